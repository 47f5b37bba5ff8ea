/**
 * GEMM: C[M,N] = act(alpha · op(A)·op(B) + bias + beta·C), batched over gid.z.
 *
 * Each invocation computes a TM×TN block of outputs held in registers and reads A and B
 * straight from storage: on lavapipe (SIMD across invocations on a CPU) workgroup memory
 * and barriers cost more than they save (measured: docs/BENCHMARKS.md). TM/TN size function-scope
 * arrays, which WGSL only allows with const expressions, so they are baked into the source
 * (one cached pipeline per variant); flags are override constants.
 */
import { ACTIVATIONS_WGSL } from '../elementwise/pointwise.js';
import { defineKernel, kernelCache } from '../spec.js';

/** Spec of both GEMM kernels' bindings and uniforms (the subgroup one adds nbP). */
export const GEMM_BINDINGS = { a: 'read', b: 'read', bias: 'read', c: 'read_write' } as const;
export const GEMM_UNIFORMS = { M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', strideC: 'u32', alpha: 'f32', beta: 'f32' } as const;
/** Epilogue flags; ACT: activation id of the pointwise table (0 = linear). */
export const GEMM_EPILOGUE_OVERRIDES = { HAS_BIAS: ['bool', false], ACT: ['u32', 0], ACCUMULATE: ['bool', false] } as const;

export const gemmKernel = kernelCache((TM: number, TN: number) =>
  defineKernel(
    {
      name: `gemm-${TM}x${TN}`,
      overrides: { TRANS_A: ['bool', false], TRANS_B: ['bool', false], ...GEMM_EPILOGUE_OVERRIDES, WGX: ['u32', 8], WGY: ['u32', 8] },
      workgroupSize: ['WGX', 'WGY'],
      uniforms: GEMM_UNIFORMS,
      bindings: GEMM_BINDINGS,
    },
    gemmMain(TM, TN),
    `const TM: u32 = ${TM}u;\nconst TN: u32 = ${TN}u;\n${ACTIVATIONS_WGSL}`,
  ),
);

function gemmMain(TM: number, TN: number): string {
  return /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * TN;
  let m0 = gid.y * TM;
  if (m0 >= p.M || n0 >= p.N) { return; }
  let oa = gid.z * p.strideA;
  let ob = gid.z * p.strideB;
  let oc = gid.z * p.strideC;
  var acc: array<array<f32, TN>, TM>;
  // Clamp row/column indices so edge blocks read valid memory; their results are dropped.
  var rows: array<u32, TM>;
  var cols: array<u32, TN>;
  for (var i = 0u; i < TM; i++) { rows[i] = min(m0 + i, p.M - 1u); }
  for (var j = 0u; j < TN; j++) { cols[j] = min(n0 + j, p.N - 1u); }
  for (var k = 0u; k < p.K; k++) {
    var av: array<f32, TM>;
    var bv: array<f32, TN>;
    for (var i = 0u; i < TM; i++) {
      if (TRANS_A) { av[i] = a[oa + k * p.M + rows[i]]; } else { av[i] = a[oa + rows[i] * p.K + k]; }
    }
    for (var j = 0u; j < TN; j++) {
      if (TRANS_B) { bv[j] = b[ob + cols[j] * p.K + k]; } else { bv[j] = b[ob + k * p.N + cols[j]]; }
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) { acc[i][j] = fma(av[i], bv[j], acc[i][j]); }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + i;
    if (m >= p.M) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + j;
      if (n >= p.N) { break; }
      var v = p.alpha * acc[i][j];
      if (HAS_BIAS) { v += bias[n]; }
      let idx = oc + m * p.N + n;
      if (ACCUMULATE) { v += p.beta * c[idx]; }
      v = activate(ACT, v);
      c[idx] = v;
    }
  }
}
`;
}
