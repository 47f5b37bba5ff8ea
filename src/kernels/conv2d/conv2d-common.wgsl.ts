/**
 * Pieces shared by the convolution kernels (conv2d-gemm.wgsl.ts, conv2d-wgrad.wgsl.ts): the
 * unrolled register-block helpers, the bias/activation epilogue, the kernel specs' common
 * uniforms. The cost model behind them: conv2d-gemm.wgsl.ts.
 */
import { ACTIVATIONS_WGSL } from '../elementwise/pointwise.js';

export const range = (n: number) => [...Array(n).keys()];

/** The WGSL extensions a kernel with subgroup chunk sgc needs. */
export const enables = (sgc: number): string[] => (sgc > 0 ? ['subgroups'] : []);

/** Statements loading the TN shared column values b0..b{TN-1} from `src[rowExpr + col]`. */
export function sharedColumns(src: string, rowExpr: string, TN: number, sgc: number): string {
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
export function columnIndices(colBase: string, c0: string, ncols: string, TN: number, sgc: number): string {
  if (sgc > 0) {
    return range(TN / sgc)
      .map((k) => `  let scol${k} = ${colBase} + min(${c0} + ${k * sgc}u + (sgi % ${sgc}u), ${ncols} - 1u);`)
      .join('\n');
  }
  return range(TN).map((j) => `  let scol${j} = ${colBase} + min(${c0} + ${j}u, ${ncols} - 1u);`).join('\n');
}

export function fmaBlock(rows: number, TN: number, rowVal: (i: number) => string): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    out.push(`    let a${i} = ${rowVal(i)};`);
    for (let j = 0; j < TN; j++) out.push(`    acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`);
  }
  return out.join('\n');
}

export function accDecl(rows: number, TN: number): string {
  return range(rows)
    .map((i) => '  ' + range(TN).map((j) => `var acc${i}_${j} = 0.0;`).join(' '))
    .join('\n');
}

/** The @builtin of the lane index within a subgroup, when subgroups are used. */
export const subgroupBuiltin = (sgc: number): string => (sgc > 0 ? ', @builtin(subgroup_invocation_id) sgi: u32' : '');

/**
 * Stores of one output row's TN columns (accumulators acc{i}_0..): bias when FLAGS bit 0
 * is set, ReLU when bit 1 is (runtime flags, so forward and data gradient share a
 * pipeline), any other table activation through the ACT override (0 = none, folded away).
 */
export function biasActStores(i: number, TN: number): string {
  return range(TN)
    .map(
      (j) => `    if (c0 + ${j}u < p.NCOLS) {
      var v = acc${i}_${j};
      if (hasBias) { v += bias[cb + ${j}u]; }
      if (relu) { v = max(v, 0.0); }
      if (ACT != 0u) { v = activate(ACT, v); }
      y[o + ${j}u] = v;
    }`,
    )
    .join('\n');
}

/** Declarations the epilogue reads: the flags, and the activation functions. */
export const EPILOGUE_PRELUDE = /* wgsl */ `
  // FLAGS bit 0: add the bias; bit 1: ReLU (runtime, so forward and data gradient share a pipeline).
  let hasBias = (p.FLAGS & 1u) != 0u;
  let relu = (p.FLAGS & 2u) != 0u;`;
export const EPILOGUE_WGSL = ACTIVATIONS_WGSL;

/** Uniforms of the implicit-GEMM kernels (see convGemmKernel for their meaning). */
export const CONV_GEMM_UNIFORMS = {
  M: 'u32', OU: 'u32', OV: 'u32', NCOLS: 'u32',
  inH: 'u32', inW: 'u32', CIN: 'u32', inCOff: 'u32',
  SU: 'u32', SV: 'u32', offU: 'u32', offV: 'u32',
  TH: 'u32', NRUN: 'u32', RUN: 'u32', WROW: 'u32',
  wOff: 'u32', wGOff: 'u32', OH: 'u32', OW: 'u32',
  COUT: 'u32', outCOff: 'u32', OSU: 'u32', OSV: 'u32',
  ooffU: 'u32', ooffV: 'u32', NCB: 'u32', FLAGS: 'u32',
} as const;
export const CONV_GEMM_BINDINGS = { x: 'read', w: 'read', bias: 'read', y: 'read_write' } as const;
export const CONV_EPILOGUE_OVERRIDES = { WG: ['u32', 64], ACT: ['u32', 0] } as const;

/** Uniforms of the weight-gradient kernels; LANES (row kernel) = invocations with work. */
export const CONV_WGRAD_UNIFORMS = {
  M: 'u32', OH: 'u32', OW: 'u32', Kg: 'u32',
  inH: 'u32', inW: 'u32', CIN: 'u32', Cg: 'u32',
  SU: 'u32', SV: 'u32', KW: 'u32', NCOLS: 'u32',
  COUT: 'u32', NCB: 'u32', CHUNK: 'u32', LANES: 'u32',
} as const;
