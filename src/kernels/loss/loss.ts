/**
 * Loss and metric launchers: fused mean losses (one dispatch forward, one backward), the
 * correct-prediction counts, and the two-stage sum of squares of the L2 penalty.
 * Buffers are raw GPUBuffers; src/autograd/ops/loss.ts wraps them as differentiable ops.
 */
import { type GpuContext, grid2d } from '../context.js';
import { REDUCE } from '../reduce/reduce.wgsl.js';
import { f32Bytes, launch } from '../spec.js';
import { caseId } from '../wgsl-common.js';
import { BACKWARD_CASES, FORWARD_CASES, LOSS_BACKWARD, LOSS_FORWARD, SCALE_BY_SCALAR, SUMSQ_PARTIAL } from './loss.wgsl.js';

export type LossOpName = keyof typeof FORWARD_CASES;
export type LossBackwardOpName = keyof typeof BACKWARD_CASES;

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
  launch(ctx, LOSS_FORWARD, {
    label: `${op}[${rows}×${C}]`,
    constants: { OP: caseId(FORWARD_CASES, op), WG: REDUCE_WG },
    uniforms: { rows, C, alpha: s.alpha ?? 1, lo: s.lo ?? 0, hi: s.hi ?? 1, threshold: s.threshold ?? 0.5 },
    buffers: { x, y, out },
    need: { x: f32Bytes(rows * C), y: f32Bytes(rows * C), out: f32Bytes(1) },
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
  launch(ctx, LOSS_BACKWARD, {
    label: `${op}-backward[${rows}×${C}]`,
    constants: { OP: caseId(BACKWARD_CASES, op), WG: MAP_WG },
    uniforms: { n: rows, C, alpha: s.alpha ?? 1, lo: s.lo ?? 0, hi: s.hi ?? 1 },
    buffers: { g, x, y, dx },
    need: { g: f32Bytes(1), x: f32Bytes(rows * C), y: f32Bytes(rows * C), dx: f32Bytes(rows * C) },
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
  launch(ctx, SUMSQ_PARTIAL, {
    label: `sumsq[${n}]`,
    constants: { WG: REDUCE_WG },
    uniforms: { n, offset },
    buffers: { w, partials },
    need: { w: f32Bytes(n), partials: f32Bytes(offset + wgs) },
    workgroups: [wgs],
  });
  return wgs;
}

/** out[0] = alpha · Σ partials[0..n) (stage 2): the middle-axis reduction with one output. */
export function sumPartials(ctx: GpuContext, partials: GPUBuffer, n: number, out: GPUBuffer, alpha = 1): void {
  launch(ctx, REDUCE, {
    label: `sum-partials[${n}]`,
    constants: { WG: REDUCE_WG },
    uniforms: { A: 1, R: n, B: 1, alpha },
    buffers: { x: partials, out },
    need: { x: f32Bytes(n), out: f32Bytes(1) },
    workgroups: [1],
  });
}

/** out[i] = alpha · s[0] · x[i] with s a one-element GPU buffer. */
export function scaleByScalar(ctx: GpuContext, s: GPUBuffer, x: GPUBuffer, out: GPUBuffer, n: number, alpha = 1): void {
  const WG = 256;
  launch(ctx, SCALE_BY_SCALAR, {
    label: `scale-by-scalar[${n}]`,
    constants: { WG },
    uniforms: { n, alpha },
    buffers: { s, x, out },
    need: { s: f32Bytes(1), x: f32Bytes(n), out: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
