/**
 * The body shared by every tiled kernel (GEMM, the convolution's implicit GEMMs): load a
 * slice of each operand into workgroup memory, barrier, multiply the slices from there into
 * per-invocation TM×TN register blocks, barrier, repeat along the reduction; then hand each
 * accumulator to the caller's epilogue.
 *
 * Why this shape (the classic GPU GEMM; cf. CUTLASS's threadblock tiles, or TensorFlow.js's
 * WebGPU matmul): a value loaded once from storage into workgroup memory is reused by
 * BN/TN (for A) or BM/TM (for B) invocations, and each value read from workgroup memory
 * into a register feeds TN (or TM) multiply-adds, so storage traffic falls by the tile size.
 *
 * Operands are described by where their elements live, so the same loader serves a plain
 * matrix and an implicit im2col:
 * - `layout` 'kc': the reduction index k is contiguous in memory (A not transposed, B
 *   transposed, the convolution's input window); 'ic': the row/column index i is (A
 *   transposed, B not transposed, weights, output gradients). Consecutive invocations load
 *   consecutive addresses (coalesced), `V` = 4 as vec4 where the launcher has checked that
 *   the contiguous extent, the leading dimension and the base offset are multiples of 4.
 * - Each invocation loads a fixed column (k for 'kc', i for 'ic') of the slice, so index
 *   arithmetic that depends only on it (`fixed`, `perK`) is hoisted out of the loads.
 *
 * Invocation (tx, ty) owns rows ty·TM + i and columns tx·TN + j of the block (contiguous),
 * so per reduction step it reads its TM values of A and TN of B from workgroup memory as one
 * vector each (the shared arrays hold vec<TM> / vec<TN>) and updates its block with TM vector
 * multiply-adds. Besides being how fast SGEMMs read shared memory (128-bit loads), this keeps
 * the unrolled step small: lavapipe compiles a kernel at its first dispatch, and scalar
 * shared reads (one per-lane gather each) made the 64×64 tile's first dispatch take ~3.5 s
 * instead of ~1.9 s (on the loaded 2-core machine).
 * No early return anywhere: every invocation reaches every barrier (uniform control flow).
 */
import { type TileShape, tileProblem, tileWorkgroup } from './tiles.js';

const range = (n: number) => [...Array(n).keys()];

export interface TiledOperand {
  layout: 'kc' | 'ic';
  V: 1 | 4;
  /**
   * Statements run once before the reduction loop for a fixed index i (expression `gi`),
   * declaring names suffixed with `slot`.
   */
  fixed?: (slot: string, gi: string) => string;
  /**
   * Statements for one reduction index `gk` this invocation loads, shared by all its elements
   * at that k: once per tile for 'kc' (one k per invocation), once per loaded row for 'ic'.
   */
  perK?: (gk: string) => string;
  /** The element (i, k) — a vec4 when V = 4 — and when it exists (k < kEnd is added here). */
  elem: (slot: string, gi: string, gk: string) => { cond: string; value: string };
}

export interface TiledBody {
  tile: TileShape;
  A: TiledOperand;
  B: TiledOperand;
  /** Statements defining at least m0, n0 (block origin), kBegin, kEnd (uniform per workgroup). */
  prologue: string;
  /** Row and column counts of the output (expressions): the epilogue stops at them. */
  rows: string;
  cols: string;
  /** Epilogue of row `m` (< rows): statements before its columns, e.g. an output offset. */
  rowStart?: (m: string) => string;
  /** Epilogue of one output: row `m` (< rows), column `n` (< cols), accumulator `acc`. */
  store: (m: string, n: string, acc: string) => string;
}

/** WGSL type of a shared element holding W floats. */
export const vecType = (W: number) => (W === 1 ? 'f32' : `vec${W}<f32>`);

/** Row stride (floats) of an operand's shared slice: 'kc' rows padded by one vector (see loader). */
export const sharedStride = (layout: 'kc' | 'ic', BI: number, W: number) => (layout === 'kc' ? BI + W : BI);

/**
 * One operand's loader: setup before the loop, and the loads into `S` for the tile at k0.
 * `S` holds vectors of W floats (W = TM for A, TN for B). Every store writes whole vectors
 * (no dynamically indexed component), so an invocation's item is W rows × V k values
 * ('kc': V-wide loads of W rows, regrouped into V shared vectors) or U = max(V, W)
 * consecutive indices i at one k ('ic': U/V loads, U/W shared vectors).
 */
function loader(t: TileShape, op: TiledOperand, p: string, BI: number, W: number, i0: string, S: string): { setup: string; load: string } {
  const { WG } = tileWorkgroup(t);
  const { V, layout } = op;
  const U = Math.max(V, W);
  const C = layout === 'kc' ? t.BK / V : BI / U;
  const R = layout === 'kc' ? BI / W : t.BK;
  if (WG % C) throw new Error(`tile ${JSON.stringify(t)}: ${WG} invocations do not divide ${C} columns`);
  const step = WG / C;
  const Q = Math.ceil(R / step);
  // 'kc' shared rows are padded by one vector: its stores run down a column (a stride of ST
  // per lane), and a stride off the power of two spreads them over more banks.
  const SV = sharedStride(layout, BI, W) / W;
  const zero = V === 4 ? 'vec4<f32>(0.0)' : '0.0';
  const comp = (v: string, e: number) => (V === 4 ? `${v}[${e}]` : v);
  const vec = (parts: string[]) => (W === 1 ? parts[0]! : `${vecType(W)}(${parts.join(', ')})`);
  const setup = [`  let ${p}c = lid % ${C}u;`, `  let ${p}r = lid / ${C}u;`];
  const load: string[] = [];
  const guard = (q: number) => (R % step === 0 ? '' : `if (${p}r + ${q * step}u < ${R}u) `);
  /** `var name = value or 0` for one element. */
  const fetch = (name: string, e: { cond: string; value: string }, gk: string) => `      var ${name} = ${zero};
      if (${gk} < kEnd && ${e.cond}) {
        ${name} = ${e.value};
      }`;
  if (layout === 'kc') {
    for (const q of range(Q))
      for (const w of range(W)) {
        setup.push(`  let ${p}i${q}_${w} = ${i0} + (${p}r + ${q * step}u) * ${W}u + ${w}u;`);
        if (op.fixed) setup.push(op.fixed(`${p}${q}_${w}`, `${p}i${q}_${w}`));
      }
    load.push(`    let ${p}k = k0 + ${p}c * ${V}u;`);
    if (op.perK) load.push(op.perK(`${p}k`));
    for (const q of range(Q)) {
      const body = range(W).map((w) => fetch(`v${w}`, op.elem(`${p}${q}_${w}`, `${p}i${q}_${w}`, `${p}k`), `${p}k`));
      const stores = range(V).map(
        (e) => `      ${S}[(${p}c * ${V}u + ${e}u) * ${SV}u + ${p}r + ${q * step}u] = ${vec(range(W).map((w) => comp(`v${w}`, e)))};`,
      );
      load.push(`    ${guard(q)}{
${body.join('\n')}
${stores.join('\n')}
    }`);
    }
  } else {
    for (const u of range(U / V)) {
      setup.push(`  let ${p}i${u} = ${i0} + ${p}c * ${U}u + ${u * V}u;`);
      if (op.fixed) setup.push(op.fixed(`${p}${u}`, `${p}i${u}`));
    }
    for (const q of range(Q)) {
      const row = `${p}r + ${q * step}u`;
      const gk = `${p}k${q}`;
      const body = range(U / V).map((u) => fetch(`v${u}`, op.elem(`${p}${u}`, `${p}i${u}`, gk), gk));
      const flat = range(U).map((f) => comp(`v${Math.floor(f / V)}`, f % V));
      const stores = range(U / W).map(
        (s) => `      ${S}[(${row}) * ${SV}u + ${p}c * ${U / W}u + ${s}u] = ${vec(flat.slice(s * W, s * W + W))};`,
      );
      load.push(`    ${guard(q)}{
      let ${gk} = k0 + ${row};
${op.perK ? op.perK(gk) + '\n' : ''}${body.join('\n')}
${stores.join('\n')}
    }`);
    }
  }
  return { setup: setup.join('\n'), load: load.join('\n') };
}

/** Module-scope workgroup arrays and the entry point of a tiled kernel. */
export function tiledGemmMain(b: TiledBody): { shared: string; main: string } {
  const t = b.tile;
  const problem = tileProblem(t);
  if (problem) throw new Error(`tile ${JSON.stringify(t)}: ${problem}`);
  const { WGX } = tileWorkgroup(t);
  const { TM, TN } = t;
  const AST = sharedStride(b.A.layout, t.BM, TM);
  const BST = sharedStride(b.B.layout, t.BN, TN);
  const la = loader(t, b.A, 'a', t.BM, TM, 'm0', 'As');
  const lb = loader(t, b.B, 'b', t.BN, TN, 'n0', 'Bs');
  const I = range(TM);
  const J = range(TN);
  const shared = `var<workgroup> As: array<${vecType(TM)}, ${(t.BK * AST) / TM}>;
var<workgroup> Bs: array<${vecType(TN)}, ${(t.BK * BST) / TN}>;`;
  const ai = (i: number) => (TM === 1 ? 'av' : `av[${i}]`);
  const vb = vecType(TN);
  // The epilogue is a loop over this invocation's rows and columns that exist, reading the
  // accumulators from an array filled after the main loop, as in the subgroup GEMM (whose
  // unrolled stores, every table activation inlined into each, compiled ~10× slower on
  // lavapipe; here the difference measured within noise, and the code stays short). A trip
  // count unknown at compile time keeps it rolled.
  const epilogue = `  var outv: array<${vb}, ${TM}>;
${I.map((i) => `  outv[${i}u] = acc${i};`).join('\n')}
  let mb = m0 + ty * ${TM}u;
  let nb = n0 + tx * ${TN}u;
  let iEnd = min(${TM}u, max(${b.rows}, mb) - mb);
  let jEnd = min(${TN}u, max(${b.cols}, nb) - nb);
  for (var i = 0u; i < iEnd; i++) {
    let m = mb + i;
${b.rowStart ? b.rowStart('m') : ''}
    let row = outv[i];
    for (var j = 0u; j < jEnd; j++) {
      let n = nb + j;
${b.store('m', 'n', TN === 1 ? 'row' : 'row[j]')}
    }
  }`;
  const main = /* wgsl */ `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let tx = lid % ${WGX}u;
  let ty = lid / ${WGX}u;
${b.prologue}
${la.setup}
${lb.setup}
${I.map((i) => `  var acc${i} = ${vb}(0.0);`).join('\n')}
  for (var k0 = kBegin; k0 < kEnd; k0 += ${t.BK}u) {
${la.load}
${lb.load}
    workgroupBarrier();
    for (var kk = 0u; kk < ${t.BK}u; kk++) {
      let av = As[kk * ${AST / TM}u + ty];
      let bv = Bs[kk * ${BST / TN}u + tx];
${I.map((i) => `      acc${i} = fma(${vb}(${ai(i)}), bv, acc${i});`).join('\n')}
    }
    workgroupBarrier();
  }
${epilogue}
}`;
  return { shared, main };
}
