/**
 * GEMM launcher and its float64 reference. Carries the dense layers and, through implicit
 * GEMM, the convolutions.
 */
import { type GpuContext, GpuError, params } from '../context.js';
import { gemmWgsl } from './gemm.wgsl.js';

export interface GemmOptions {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Bias over N (columns of C), added before the activation. */
  bias?: GPUBuffer;
  relu?: boolean;
  alpha?: number;
  /** C = … + beta·C (accumulate into existing C). */
  beta?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  label?: string;
}

export interface GemmVariant {
  TM: number;
  TN: number;
  WGX: number;
  WGY: number;
}

export const DEFAULT_GEMM: GemmVariant = { TM: 4, TN: 4, WGX: 8, WGY: 8 };

let currentVariant: GemmVariant = DEFAULT_GEMM;
export function setGemmVariant(v: GemmVariant): void {
  currentVariant = v;
}

export function gemm(ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, o: GemmOptions, variant = currentVariant): void {
  const { M, N, K } = o;
  const batch = o.batch ?? 1;
  const label = o.label ?? `gemm[${M}×${K}${o.transA ? 'ᵀ' : ''} · ${K}×${N}${o.transB ? 'ᵀ' : ''}${batch > 1 ? ` ×${batch}` : ''}]`;
  if (M <= 0 || N <= 0 || K <= 0) throw new GpuError(`${label}: empty dimensions`);
  const needA = ((batch - 1) * (o.strideA ?? M * K) + M * K) * 4;
  const needB = ((batch - 1) * (o.strideB ?? K * N) + K * N) * 4;
  const needC = ((batch - 1) * (o.strideC ?? M * N) + M * N) * 4;
  if (a.size < needA || b.size < needB || c.size < needC) {
    throw new GpuError(`${label}: buffers too small (A ${a.size}/${needA}, B ${b.size}/${needB}, C ${c.size}/${needC} bytes)`);
  }
  const pipeline = ctx.pipeline(`gemm-${variant.TM}x${variant.TN}`, gemmWgsl(variant.TM, variant.TN), {
    TRANS_A: o.transA ? 1 : 0,
    TRANS_B: o.transB ? 1 : 0,
    HAS_BIAS: o.bias ? 1 : 0,
    RELU: o.relu ? 1 : 0,
    ACCUMULATE: o.beta !== undefined && o.beta !== 0 ? 1 : 0,
    WGX: variant.WGX,
    WGY: variant.WGY,
  });
  ctx.dispatch({
    label,
    pipeline,
    params: params([M, N, K, o.strideA ?? M * K, o.strideB ?? K * N, o.strideC ?? M * N, { f32: o.alpha ?? 1 }, { f32: o.beta ?? 0 }]),
    // Without a bias, bind C's own buffer read-only in its place? Not allowed (aliasing a
    // read-write binding), so bind A, which HAS_BIAS=false never reads.
    buffers: [a, b, o.bias ?? a, c],
    workgroups: [Math.ceil(N / (variant.TN * variant.WGX)), Math.ceil(M / (variant.TM * variant.WGY)), batch],
  });
}

/** Float64 reference: C = act(alpha·op(A)·op(B) + bias + beta·C0). */
export function gemmRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  o: { M: number; N: number; K: number; transA?: boolean; transB?: boolean; bias?: ArrayLike<number>; relu?: boolean; alpha?: number; beta?: number; c0?: ArrayLike<number> },
): Float64Array {
  const { M, N, K } = o;
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = o.transA ? a[k * M + m]! : a[m * K + k]!;
        const bv = o.transB ? b[n * K + k]! : b[k * N + n]!;
        s += av * bv;
      }
      let v = (o.alpha ?? 1) * s;
      if (o.bias) v += o.bias[n]!;
      if (o.beta && o.c0) v += o.beta * o.c0[m * N + n]!;
      if (o.relu) v = Math.max(v, 0);
      c[m * N + n] = v;
    }
  return c;
}
