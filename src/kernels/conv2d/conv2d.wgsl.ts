/**
 * WGSL for the 2-D convolution (NHWC activations, HWIO weights).
 *
 * Cost model these kernels are shaped by (lavapipe, measured, see conv2d.ts): every
 * storage-buffer load costs about 1–2 ns *per invocation* (llvmpipe emits a per-lane loop
 * with exec-mask and bounds checks, even when all lanes read the same address), while a
 * multiply-add costs ~0.05 ns per invocation. So the kernels minimise loads per FMA:
 *
 * - Register blocking: an invocation computes TM rows × TN columns, so each loaded row value
 *   feeds TN FMAs.
 * - Column values (weights in the forward / data-gradient GEMM, output gradients in the
 *   weight gradient) are the same for every invocation of a workgroup. With subgroups, the
 *   lanes of a subgroup load SGC distinct values at once and share them with
 *   subgroupBroadcast (a register shuffle): one load instead of SGC. Without subgroups each
 *   invocation loads them all (same results, slower).
 *
 * The inner bodies are unrolled in the generated text so every accumulator index is a
 * constant (a dynamically indexed array would live in memory). TM/TN/TK (and KW/SW of the
 * row kernels) size those bodies, so they are baked into the source (one cached pipeline per
 * variant; the long bodies take seconds to compile on lavapipe, once, then Mesa's shader
 * cache has them); the workgroup size is an override constant, bias/ReLU a runtime flag.
 */

const range = (n: number) => [...Array(n).keys()];

function enableLine(sgc: number): string {
  return sgc > 0 ? 'enable subgroups;\n' : '';
}

/** Statements loading the TN shared column values b0..b{TN-1} from `src[rowExpr + col]`. */
function sharedColumns(src: string, rowExpr: string, TN: number, sgc: number): string {
  if (sgc > 0) {
    const q = TN / sgc;
    return (
      range(q).map((k) => `    let sv${k} = ${src}[${rowExpr} + scol${k}];`).join('\n') +
      '\n' +
      range(TN)
        .map((j) => `    let b${j} = subgroupBroadcast(sv${Math.floor(j / sgc)}, ${j % sgc}u);`)
        .join('\n')
    );
  }
  return range(TN).map((j) => `    let b${j} = ${src}[${rowExpr} + scol${j}];`).join('\n');
}

/**
 * Column indices each invocation loads from: with subgroups, lane l loads column
 * c0 + k·SGC + (l mod SGC) of chunk k; without, every column. Clamped so edge blocks read
 * valid memory (their results are dropped).
 */
function columnIndices(colBase: string, c0: string, ncols: string, TN: number, sgc: number): string {
  if (sgc > 0) {
    return range(TN / sgc)
      .map((k) => `  let scol${k} = ${colBase} + min(${c0} + ${k * sgc}u + (sgi % ${sgc}u), ${ncols} - 1u);`)
      .join('\n');
  }
  return range(TN).map((j) => `  let scol${j} = ${colBase} + min(${c0} + ${j}u, ${ncols} - 1u);`).join('\n');
}

function fmaBlock(rows: number, TN: number, rowVal: (i: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    out.push(`    let a${i} = ${rowVal(i)};`);
    for (let j = 0; j < TN; j++) out.push(`    acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`);
  }
  return out.join('\n');
}

function accDecl(rows: number, TN: number): string {
  return range(rows)
    .map((i) => '  ' + range(TN).map((j) => `var acc${i}_${j} = 0.0;`).join(' '))
    .join('\n');
}

/**
 * Implicit GEMM convolution: out[pixel, col] = Σ_k in[pixel's window, k] · wt[k, col].
 *
 * One kernel serves the forward pass (in = padded x, wt = w viewed [KH·KW·Cg, Cout]) and
 * each stride phase of the data gradient (in = padded dy, wt = the flipped, transposed
 * filter taps of that phase), through these parameters:
 *   pixel m ∈ [0, M) ↦ (n, u, v) on an OU×OV grid;
 *   window start in the input = (n, u·SU + offU, v·SV + offV), channel offset g·inCOff;
 *   k runs over TH window rows × NRUN runs × RUN contiguous floats (a run is a whole
 *   kernel row KW·Cin when groups = 1, one tap's Cg channels otherwise), runs CIN apart;
 *   weight row k starts at wOff + g·wGOff + k·WROW, NCOLS columns (per group);
 *   output (n, ooffU + u·OSU, ooffV + v·OSV) of an OH×OW×COUT tensor, channel offset
 *   g·outCOff.
 * Workgroups: x,y = blocks of TM·WG pixels (2-D grid), z = group · NCB + column block.
 */
export function convGemmWgsl(TM: number, TN: number, sgc: number): string {
  const rowsInit = range(TM)
    .map(
      (i) => `  let m${i} = lane * ${TM}u + ${i}u;
  let mc${i} = min(m${i}, p.M - 1u);
  let n${i} = mc${i} / plane;
  let r${i} = mc${i} - n${i} * plane;
  let u${i} = r${i} / p.OV;
  let v${i} = r${i} - u${i} * p.OV;
  let xb${i} = ((n${i} * p.inH + u${i} * p.SU + p.offU) * p.inW + v${i} * p.SV + p.offV) * p.CIN + g * p.inCOff;`,
    )
    .join('\n');
  const epilogue = range(TM)
    .map((i) => {
      const stores = range(TN)
        .map(
          (j) => `    if (c0 + ${j}u < p.NCOLS) {
      var v = acc${i}_${j};
      if (hasBias) { v += bias[cb + ${j}u]; }
      if (relu) { v = max(v, 0.0); }
      y[o + ${j}u] = v;
    }`,
        )
        .join('\n');
      return `  if (m${i} < p.M) {
    let o = ((n${i} * p.OH + p.ooffU + u${i} * p.OSU) * p.OW + p.ooffV + v${i} * p.OSV) * p.COUT + cb;
${stores}
  }`;
    })
    .join('\n');
  return /* wgsl */ `${enableLine(sgc)}
override WG: u32 = 64u;

struct P {
  M: u32, OU: u32, OV: u32, NCOLS: u32,
  inH: u32, inW: u32, CIN: u32, inCOff: u32,
  SU: u32, SV: u32, offU: u32, offV: u32,
  TH: u32, NRUN: u32, RUN: u32, WROW: u32,
  wOff: u32, wGOff: u32, OH: u32, OW: u32,
  COUT: u32, outCOff: u32, OSU: u32, OSV: u32,
  ooffU: u32, ooffV: u32, NCB: u32, FLAGS: u32,
};
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${sgc > 0 ? ', @builtin(subgroup_invocation_id) sgi: u32' : ''}) {
  let lane = (wid.x + wid.y * nwg.x) * WG + lid;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let cb = g * p.outCOff + c0;
  // FLAGS bit 0: add the bias; bit 1: ReLU (runtime, so forward and data gradient share a pipeline).
  let hasBias = (p.FLAGS & 1u) != 0u;
  let relu = (p.FLAGS & 2u) != 0u;
  let plane = p.OU * p.OV;
${rowsInit}
${columnIndices('p.wOff + g * p.wGOff', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TM, TN)}
  var krow = 0u;
  let rowStep = p.inW * p.CIN;
  for (var t = 0u; t < p.TH; t++) {
    for (var jr = 0u; jr < p.NRUN; jr++) {
      let off = t * rowStep + jr * p.CIN;
      for (var r = 0u; r < p.RUN; r++) {
        let o = off + r;
${sharedColumns('w', 'krow', TN, sgc)}
${fmaBlock(TM, TN, (i) => `x[xb${i} + o]`)}
        krow += p.WROW;
      }
    }
  }
${epilogue}
}
`;
}

/**
 * Weight gradient, split along the reduction: partial[s, k, col] = Σ_{m in chunk s}
 * in[window(m), k] · gy[m, col], with k = (kh, kw, ci) over one group's Kg = KH·KW·Cg rows.
 * Invocations own TK rows k (their input offsets are fixed, the window base moves with m);
 * the gradient row gy[m, c0 .. c0+TN) is shared by the workgroup.
 * Workgroups: x = blocks of TK·WG rows, y = chunk s, z = group · NCB + column block.
 */
export function convWgradWgsl(TK: number, TN: number, sgc: number): string {
  const rowsInit = range(TK)
    .map(
      (i) => `  let k${i} = lane * ${TK}u + ${i}u;
  let kc${i} = min(k${i}, p.Kg - 1u);
  let kh${i} = kc${i} / kwc;
  let kr${i} = kc${i} - kh${i} * kwc;
  let kw${i} = kr${i} / p.Cg;
  let off${i} = (kh${i} * p.inW + kw${i}) * p.CIN + g * p.Cg + kr${i} - kw${i} * p.Cg;`,
    )
    .join('\n');
  const epilogue = range(TK)
    .map((i) => {
      const stores = range(TN)
        .map((j) => `    if (c0 + ${j}u < p.NCOLS) { part[o + ${j}u] = acc${i}_${j}; }`)
        .join('\n');
      return `  if (k${i} < p.Kg) {
    let o = (s * p.Kg + k${i}) * p.COUT + g * p.NCOLS + c0;
${stores}
  }`;
    })
    .join('\n');
  return /* wgsl */ `${enableLine(sgc)}
override WG: u32 = 64u;

struct P {
  M: u32, OH: u32, OW: u32, Kg: u32,
  inH: u32, inW: u32, CIN: u32, Cg: u32,
  SU: u32, SV: u32, KW: u32, NCOLS: u32,
  COUT: u32, NCB: u32, CHUNK: u32, _pad: u32,
};
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${sgc > 0 ? ', @builtin(subgroup_invocation_id) sgi: u32' : ''}) {
  let lane = wid.x * WG + lid;
  let s = wid.y;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let kwc = p.KW * p.Cg;
${rowsInit}
${columnIndices('g * p.NCOLS', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TK, TN)}
  let m0 = min(s * p.CHUNK, p.M);
  let m1 = min(m0 + p.CHUNK, p.M);
  let plane = p.OH * p.OW;
  var n = m0 / plane;
  var oy = (m0 - n * plane) / p.OW;
  var ox = m0 - n * plane - oy * p.OW;
  var pix = ((n * p.inH + oy * p.SU) * p.inW + ox * p.SV) * p.CIN;
  let pixStep = p.SV * p.CIN;
  var grow = m0 * p.COUT;
  for (var m = m0; m < m1; m++) {
${sharedColumns('gy', 'grow', TN, sgc)}
${fmaBlock(TK, TN, (i) => `x[pix + off${i}]`)}
    grow += p.COUT;
    ox += 1u;
    pix += pixStep;
    if (ox == p.OW) {
      ox = 0u;
      oy += 1u;
      if (oy == p.OH) { oy = 0u; n += 1u; }
      pix = (n * p.inH + oy * p.SU) * p.inW * p.CIN;
    }
  }
${epilogue}
}
`;
}

/**
 * Zero padding of an NHWC tensor: out [N, H+pt+pb, W+pl+pr, C] with the input at (pt, pl).
 * Invocation (x, y, z) = (element of the padded row, padded row, image): no integer
 * division (llvmpipe scalarises vector divisions, which would dominate a copy).
 */
export const PAD_WGSL = /* wgsl */ `
override WG: u32 = 256u;
struct P { H: u32, W: u32, C: u32, Wp: u32, pt: u32, pl: u32, _a: u32, _b: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rowLen = p.Wp * p.C;
  let r = gid.x;
  if (r >= rowLen) { return; }
  let yp = gid.y;
  let n = gid.z;
  // Unsigned wrap-around makes positions above/left of the input huge, hence out of range.
  let yi = yp - p.pt;
  let e = r - p.pl * p.C;
  var v = 0.0;
  if (yi < p.H && e < p.W * p.C) { v = src[(n * p.H + yi) * p.W * p.C + e]; }
  dst[(n * nwg.y + yp) * rowLen + r] = v;
}
`;

/**
 * Rearranges w [KH, KW, Cg, Cout] for the data gradient: for each stride phase
 * (rh, rw) = (kh mod sh, kw mod sw), in row-major phase order, a block
 * [groups][Th][Tw][Coutg][Cg] holding the phase's taps flipped (t' = T − 1 − kh div sh),
 * output and input channels swapped. Th(rh) = ceil((KH − rh)/sh) taps.
 * Invocation (x, y, z) = (co, ci, kh·KW + kw).
 */
export const FLIP_WEIGHTS_WGSL = /* wgsl */ `
override WG: u32 = 64u;
struct P { KH: u32, KW: u32, Cg: u32, Cout: u32, Coutg: u32, sh: u32, sw: u32, groups: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> wt: array<f32>;

fn taps(k: u32, r: u32, s: u32) -> u32 { return select(0u, (k - r + s - 1u) / s, r < k); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let co = gid.x;
  if (co >= p.Cout) { return; }
  let ci = gid.y;
  let kh = gid.z / p.KW;
  let kw = gid.z - kh * p.KW;
  let rh = kh % p.sh;
  let rw = kw % p.sw;
  let th = taps(p.KH, rh, p.sh);
  let tw = taps(p.KW, rw, p.sw);
  let tfh = th - 1u - kh / p.sh;
  let tfw = tw - 1u - kw / p.sw;
  // Rows of the phases before (rh, rw): all kernel rows kh' with kh' mod sh < rh span all KW
  // columns; within row phase rh, the columns kw' with kw' mod sw < rw.
  var rowsBefore = 0u;
  for (var r = 0u; r < rh; r++) { rowsBefore += taps(p.KH, r, p.sh); }
  var colsBefore = 0u;
  for (var r = 0u; r < rw; r++) { colsBefore += taps(p.KW, r, p.sw); }
  let blk = p.Coutg * p.Cg;
  let phaseBase = (rowsBefore * p.KW + th * colsBefore) * p.groups * blk;
  let g = co / p.Coutg;
  let col = co - g * p.Coutg;
  let k = (tfh * tw + tfw) * p.Coutg + col;
  wt[phaseBase + g * th * tw * blk + k * p.Cg + ci] = w[(gid.z * p.Cg + ci) * p.Cout + co];
}
`;

/** out[i] = Σ_s part[s·L + i]: reduces the weight-gradient partial sums. */
export const SUM_PARTIALS_WGSL = /* wgsl */ `
override WG: u32 = 256u;
struct P { L: u32, S: u32, _a: u32, _b: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.L) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.S; k++) { s += part[k * p.L + i]; }
  out[i] = s;
}
`;

/**
 * Direct convolution with row reuse, for kernel widths and strides known at compile time
 * (KW, SW): an invocation computes TM consecutive output pixels of one output row × TN
 * columns. For each window row t and input channel it loads the (TM−1)·SW + KW input
 * columns once and reuses each for every (pixel, tap) pair that reads it (3×3/1 with
 * TM = 6: 8 loads instead of 18; 11×11/4: 31 instead of 66), then per tap shares one
 * weight row across the TM pixels. (Loading 4 channels at once as vec4 was measured slower:
 * the 4× longer unrolled body spills more than the loads save.)
 * Same parameters as convGemmWgsl, except: M counts invocations (output rows × NVB blocks
 * of TM pixels), RUN = input channels per group, weight row k = (t·KW + kw)·RUN + channel.
 */
export function convRowWgsl(TM: number, TN: number, KW: number, SW: number, sgc: number): string {
  const NC = (TM - 1) * SW + KW;
  const cols = range(NC).map((c) => `  let xo${c} = min(colBase + ${c}u, p.inW - 1u) * p.CIN;`).join('\n');
  const loads = range(NC).map((c) => `        let xv${c} = x[rb + xo${c} + ci];`).join('\n');
  const rows = range(KW).map(
    (kw) => `        {
          let krow = kb + ${kw}u * kwStep;
${sharedColumns('w', 'krow', TN, sgc).replace(/^/gm, '      ')}
${fmaBlock(TM, TN, (i) => `xv${i * SW + kw}`).replace(/^/gm, '      ')}
        }`,
  );
  const epilogue = range(TM)
    .map((i) => {
      const stores = range(TN)
        .map(
          (j) => `    if (c0 + ${j}u < p.NCOLS) {
      var v = acc${i}_${j};
      if (hasBias) { v += bias[cb + ${j}u]; }
      if (relu) { v = max(v, 0.0); }
      y[o + ${j}u] = v;
    }`,
        )
        .join('\n');
      return `  if (valid && v0 + ${i}u < p.OV) {
    let o = ((n * p.OH + p.ooffU + u * p.OSU) * p.OW + p.ooffV + (v0 + ${i}u) * p.OSV) * p.COUT + cb;
${stores}
  }`;
    })
    .join('\n');
  return /* wgsl */ `${enableLine(sgc)}
override WG: u32 = 64u;

struct P {
  M: u32, OU: u32, OV: u32, NCOLS: u32,
  inH: u32, inW: u32, CIN: u32, inCOff: u32,
  SU: u32, SV: u32, offU: u32, offV: u32,
  TH: u32, NRUN: u32, RUN: u32, WROW: u32,
  wOff: u32, wGOff: u32, OH: u32, OW: u32,
  COUT: u32, outCOff: u32, OSU: u32, OSV: u32,
  ooffU: u32, ooffV: u32, NCB: u32, NVB: u32,
  FLAGS: u32, _a: u32, _b: u32, _c: u32,
};
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${sgc > 0 ? ', @builtin(subgroup_invocation_id) sgi: u32' : ''}) {
  let lane = (wid.x + wid.y * nwg.x) * WG + lid;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let cb = g * p.outCOff + c0;
  // FLAGS bit 0: add the bias; bit 1: ReLU (runtime, so forward and data gradient share a pipeline).
  let hasBias = (p.FLAGS & 1u) != 0u;
  let relu = (p.FLAGS & 2u) != 0u;
  let blocks = p.M;
  let valid = lane < blocks;
  let lc = min(lane, blocks - 1u);
  let row = lc / p.NVB;
  let v0 = (lc - row * p.NVB) * ${TM}u;
  let n = row / p.OU;
  let u = row - n * p.OU;
  let colBase = v0 * ${SW}u + p.offV;
${cols}
${columnIndices('p.wOff + g * p.wGOff', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TM, TN)}
  let kwStep = p.RUN * p.WROW;
  for (var t = 0u; t < p.TH; t++) {
    let rb = ((n * p.inH + u * p.SU + p.offU + t) * p.inW) * p.CIN + g * p.inCOff;
    for (var ci = 0u; ci < p.RUN; ci++) {
      let kb = (t * ${KW}u * p.RUN + ci) * p.WROW;
${loads}
${rows.join('\n')}
    }
  }
${epilogue}
}
`;
}

/**
 * Weight gradient with a sliding window, for compile-time KW and SW: an invocation owns the
 * KW·CB rows k = (kh, kw, cb·CB + q) of one kernel row kh and channel block, so as the
 * output pixel m advances along a row its input window slides by SW columns: SW new loads
 * per step (CB channels each, vec4 when CB = 4) instead of KW·CB. The gradient row
 * gy[m, c0 .. c0+TN) is shared by the workgroup as in convWgradWgsl.
 * Workgroups: x = blocks of WG (kh, channel block) pairs, y = chunk s, z = group · NCB +
 * column block.
 */
export function convWgradRowWgsl(KW: number, SW: number, CB: 1 | 4, TN: number, sgc: number): string {
  const comp = (q: number) => (CB === 4 ? `[${q}]` : '');
  const load = (c: number) => (CB === 4 ? `x[(pix + xo + ${c}u * p.CIN) / 4u]` : `x[pix + xo + ${c}u * p.CIN]`);
  const full = range(KW).map((c) => `      xw${c} = ${load(c)};`).join('\n');
  const slide =
    range(KW)
      .map((c) => (c + SW < KW ? `      xw${c} = xw${c + SW};` : `      xw${c} = ${load(c)};`))
      .join('\n');
  const R = KW * CB;
  const fmas: string[] = [];
  for (let kw = 0; kw < KW; kw++)
    for (let q = 0; q < CB; q++) {
      const r = kw * CB + q;
      fmas.push(`    { let a = xw${kw}${comp(q)};`);
      for (let j = 0; j < TN; j++) fmas.push(`      acc${r}_${j} = fma(a, b${j}, acc${r}_${j});`);
      fmas.push('    }');
    }
  const epilogue = range(KW)
    .flatMap((kw) =>
      range(CB).map((q) => {
        const r = kw * CB + q;
        const stores = range(TN)
          .map((j) => `    if (c0 + ${j}u < p.NCOLS) { part[o + ${j}u] = acc${r}_${j}; }`)
          .join('\n');
        return `  {
    let o = (s * p.Kg + (kh * ${KW}u + ${kw}u) * p.Cg + cbl * ${CB}u + ${q}u) * p.COUT + g * p.NCOLS + c0;
${stores}
  }`;
      }),
    )
    .join('\n');
  const vt = CB === 4 ? 'vec4<f32>' : 'f32';
  return /* wgsl */ `${enableLine(sgc)}
override WG: u32 = 32u;

struct P {
  M: u32, OH: u32, OW: u32, Kg: u32,
  inH: u32, inW: u32, CIN: u32, Cg: u32,
  SU: u32, SV: u32, KW: u32, NCOLS: u32,
  COUT: u32, NCB: u32, CHUNK: u32, LANES: u32,
};
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<${vt}>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${sgc > 0 ? ', @builtin(subgroup_invocation_id) sgi: u32' : ''}) {
  let lane = wid.x * WG + lid;
  let s = wid.y;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let valid = lane < p.LANES;
  let lc = min(lane, p.LANES - 1u);
  let nblk = p.Cg / ${CB}u;
  let kh = lc / nblk;
  let cbl = lc - kh * nblk;
  let xo = kh * p.inW * p.CIN + g * p.Cg + cbl * ${CB}u;
${columnIndices('g * p.NCOLS', 'c0', 'p.NCOLS', TN, sgc)}
${range(R).map((r) => '  ' + range(TN).map((j) => `var acc${r}_${j} = 0.0;`).join(' ')).join('\n')}
${range(KW).map((c) => `  var xw${c}: ${vt};`).join('\n')}
  let m0 = min(s * p.CHUNK, p.M);
  let m1 = min(m0 + p.CHUNK, p.M);
  let plane = p.OH * p.OW;
  var n = m0 / plane;
  var oy = (m0 - n * plane) / p.OW;
  var ox = m0 - n * plane - oy * p.OW;
  var pix = ((n * p.inH + oy * p.SU) * p.inW + ox * ${SW}u) * p.CIN;
  var fresh = true;
  var grow = m0 * p.COUT;
  for (var m = m0; m < m1; m++) {
    if (fresh) {
${full}
    } else {
${slide}
    }
${sharedColumns('gy', 'grow', TN, sgc)}
${fmas.join('\n')}
    grow += p.COUT;
    ox += 1u;
    pix += ${SW}u * p.CIN;
    fresh = false;
    if (ox == p.OW) {
      ox = 0u;
      oy += 1u;
      if (oy == p.OH) { oy = 0u; n += 1u; }
      pix = (n * p.inH + oy * p.SU) * p.inW * p.CIN;
      fresh = true;
    }
  }
  if (valid) {
${epilogue}
  }
}
`;
}
