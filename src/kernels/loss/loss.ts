/**
 * Loss and metric launchers: fused mean losses (one dispatch forward, one backward), the
 * correct-prediction counts, and the two-stage sum of squares of the L2 penalty.
 * Buffers are raw GPUBuffers; src/autograd/ops/loss.ts wraps them as differentiable ops.
 */
import { type GpuContext, grid2d, params } from '../context.js';
import {
  LOSS_BACKWARD_WGSL,
  LOSS_FORWARD_WGSL,
  SCALE_BY_SCALAR_WGSL,
  SUMSQ_PARTIAL_WGSL,
  SUM_FINAL_WGSL,
} from './loss.wgsl.js';

export const LossOp = { bceLogits: 0, bceProbs: 1, softmaxCE: 2, binaryAccuracy: 3, categoricalAccuracy: 4 } as const;
export type LossOpName = keyof typeof LossOp;
export type LossBackwardOpName = 'bceLogits' | 'bceProbs' | 'softmaxCE';

const REDUCE_WG = 64;
const MAP_WG = 64;

export interface LossShape {
  /** Rows summed over (elements for the binary losses, samples for the row-wise ones). */
  rows: number;
  /** Values per row (1 for the binary losses). */
  C: number;
}

export interface LossScalars {
  /** Multiplier of the sum (1/N for a mean, 1 for a count). */
  alpha?: number;
  /** Clip bounds of bceProbs. */
  lo?: number;
  hi?: number;
  /** binaryAccuracy: x > threshold predicts class 1 (0.5 on probabilities, 0 on logits). */
  threshold?: number;
}

/** out[0] = alpha · Σ_rows f(x_row, y_row) for the loss or metric `op`, in one workgroup. */
export function lossForward(
  ctx: GpuContext,
  op: LossOpName,
  x: GPUBuffer,
  y: GPUBuffer,
  out: GPUBuffer,
  { rows, C }: LossShape,
  s: LossScalars = {},
): void {
  if (rows <= 0 || C <= 0) throw new Error(`${op}: empty input (${rows} rows × ${C})`);
  ctx.dispatch({
    label: `${op}[${rows}×${C}]`,
    pipeline: ctx.pipeline(`loss-${op}`, LOSS_FORWARD_WGSL, { OP: LossOp[op], WG: REDUCE_WG }),
    params: params([rows, C, { f32: s.alpha ?? 1 }, { f32: s.lo ?? 0 }, { f32: s.hi ?? 1 }, { f32: s.threshold ?? 0.5 }, 0, 0]),
    buffers: [x, y, out],
    workgroups: [1],
  });
}

/** dx = g[0] · alpha · ∂f/∂x (g: the upstream gradient of the scalar loss, on the GPU). */
export function lossBackward(
  ctx: GpuContext,
  op: LossBackwardOpName,
  g: GPUBuffer,
  x: GPUBuffer,
  y: GPUBuffer,
  dx: GPUBuffer,
  { rows, C }: LossShape,
  s: LossScalars = {},
): void {
  ctx.dispatch({
    label: `${op}-backward[${rows}×${C}]`,
    pipeline: ctx.pipeline(`loss-${op}-backward`, LOSS_BACKWARD_WGSL, { OP: LossOp[op], WG: MAP_WG }),
    params: params([rows, C, { f32: s.alpha ?? 1 }, { f32: s.lo ?? 0 }, { f32: s.hi ?? 1 }, 0, 0, 0]),
    buffers: [g, x, y, dx],
    workgroups: grid2d(Math.ceil(rows / MAP_WG)),
  });
}

/** Workgroups of the sum-of-squares stage for n elements: ~4096 elements each, at most 256. */
export function sumsqWorkgroups(n: number): number {
  return Math.max(1, Math.min(256, Math.ceil(n / 4096)));
}

/**
 * partials[offset .. offset + sumsqWorkgroups(n)) = partial sums of w² (stage 1 of Σw²).
 * Returns the number of partials written.
 */
export function sumOfSquaresPartials(ctx: GpuContext, w: GPUBuffer, n: number, partials: GPUBuffer, offset: number): number {
  const wgs = sumsqWorkgroups(n);
  ctx.dispatch({
    label: `sumsq[${n}]`,
    pipeline: ctx.pipeline('sumsq-partial', SUMSQ_PARTIAL_WGSL, { WG: REDUCE_WG }),
    params: params([n, offset, 0, 0]),
    buffers: [w, partials],
    workgroups: [wgs],
  });
  return wgs;
}

/** out[0] = alpha · Σ partials[0..n) (stage 2). */
export function sumPartials(ctx: GpuContext, partials: GPUBuffer, n: number, out: GPUBuffer, alpha = 1): void {
  ctx.dispatch({
    label: `sum-partials[${n}]`,
    pipeline: ctx.pipeline('sum-partials', SUM_FINAL_WGSL, { WG: REDUCE_WG }),
    params: params([n, { f32: alpha }, 0, 0]),
    buffers: [partials, out],
    workgroups: [1],
  });
}

/** out[i] = alpha · s[0] · x[i] with s a one-element GPU buffer. */
export function scaleByScalar(ctx: GpuContext, s: GPUBuffer, x: GPUBuffer, out: GPUBuffer, n: number, alpha = 1): void {
  const WG = 256;
  ctx.dispatch({
    label: `scale-by-scalar[${n}]`,
    pipeline: ctx.pipeline('scale-by-scalar', SCALE_BY_SCALAR_WGSL, { WG }),
    params: params([n, { f32: alpha }, 0, 0]),
    buffers: [s, x, out],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
