/**
 * Batch-norm launchers over x viewed as [R, C] (R = N·H·W rows, C channels, NHWC's last
 * axis). Kernels and the reduction scheme: ./batchnorm.wgsl.ts; reference: ./batchnorm-ref.ts.
 */
import { type GpuContext, grid2d, params } from '../context.js';
import {
  BN_GRAD_COMBINE_WGSL,
  BN_INFERENCE_STATS_WGSL,
  BN_STATS_COMBINE_WGSL,
  bnApplyWgsl,
  bnGradApplyWgsl,
  bnGradPartialWgsl,
  bnStatsPartialWgsl,
} from './batchnorm.wgsl.js';

const WG = 256;
const WG_C = 64;

export interface BnDims {
  R: number;
  C: number;
  /** Rows per partial-reduction chunk (tests force small chunks; default: bnChunkRows). */
  chunkRows?: number;
}

/**
 * Rows per chunk: at least 32 (so a chunk's loop amortises its launch share), and at most
 * ~256 chunks so the per-channel combine loop stays short. [8·54·54 = 23328, 48] → 92 rows,
 * 254 chunks, 12192 partial invocations.
 */
export function bnChunkRows(R: number): number {
  return Math.max(32, Math.ceil(R / 256));
}

/** Channels per invocation in the vector kernels (see batchnorm.wgsl.ts). */
function lanesFor(C: number): 1 | 4 {
  return C % 4 === 0 ? 4 : 1;
}

function chunking(d: BnDims): { chunkRows: number; numChunks: number } {
  const chunkRows = d.chunkRows ?? bnChunkRows(d.R);
  return { chunkRows, numChunks: Math.ceil(d.R / chunkRows) };
}

function label(op: string, d: BnDims): string {
  return `${op}[${d.R}×${d.C}]`;
}

function check(op: string, d: BnDims, bufs: Record<string, [GPUBuffer, number]>): void {
  if (!Number.isInteger(d.R) || !Number.isInteger(d.C) || d.R < 1 || d.C < 1) throw new Error(`${label(op, d)}: empty shape`);
  for (const [name, [b, n]] of Object.entries(bufs)) {
    if (b.size < n * 4) throw new Error(`${label(op, d)}: ${name} buffer holds ${b.size} bytes, needs ${n * 4}`);
  }
}

function rowParams(d: BnDims, chunkRows: number, numChunks: number, eps = 0, keep = 0, unbias = 1): ArrayBuffer {
  return params([d.R, d.C, d.C / lanesFor(d.C), chunkRows, numChunks, { f32: eps }, { f32: keep }, { f32: unbias }]);
}

function apply(ctx: GpuContext, x: GPUBuffer, stats: GPUBuffer, y: GPUBuffer, d: BnDims): void {
  const L = lanesFor(d.C);
  const n = (d.R * d.C) / L;
  ctx.dispatch({
    label: label('batchNormApply', d),
    pipeline: ctx.pipeline(`bn-apply-x${L}`, bnApplyWgsl(L), { WG }),
    params: params([n, d.C / L, 0, 0]),
    buffers: [x, stats, y],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}

/**
 * Training forward: batch statistics (biased variance normalises), y, the stats for the
 * backward (planar [mean | invstd | γ·invstd | β], 4C floats), and the running statistics updated in
 * place: running = keep·running + (1 − keep)·batch, variance unbiased (n/(n−1)).
 */
export function batchNormTrainForward(
  ctx: GpuContext,
  b: { x: GPUBuffer; gamma: GPUBuffer; beta: GPUBuffer; runMean: GPUBuffer; runVar: GPUBuffer; stats: GPUBuffer; y: GPUBuffer },
  d: BnDims & { eps: number; keep: number },
): void {
  const { R, C } = d;
  check('batchNorm', d, {
    x: [b.x, R * C], y: [b.y, R * C], gamma: [b.gamma, C], beta: [b.beta, C],
    runningMean: [b.runMean, C], runningVar: [b.runVar, C], stats: [b.stats, 4 * C],
  });
  if (R < 2) throw new Error(`${label('batchNorm', d)}: training needs more than one value per channel (the running variance is unbiased)`);
  const { chunkRows, numChunks } = chunking(d);
  const L = lanesFor(C);
  const partial = ctx.newStorage(numChunks * C * 2 * 4, 'bn-partial');
  const p = rowParams(d, chunkRows, numChunks, d.eps, d.keep, R / (R - 1));
  ctx.dispatch({
    label: label('batchNormStatsPartial', d),
    pipeline: ctx.pipeline(`bn-stats-partial-x${L}`, bnStatsPartialWgsl(L), { WG }),
    params: p,
    buffers: [b.x, partial],
    workgroups: grid2d(Math.ceil((numChunks * C) / L / WG)),
  });
  ctx.dispatch({
    label: label('batchNormStatsCombine', d),
    pipeline: ctx.pipeline('bn-stats-combine', BN_STATS_COMBINE_WGSL, { WG: WG_C }),
    params: p,
    buffers: [partial, b.gamma, b.beta, b.runMean, b.runVar, b.stats],
    workgroups: [Math.ceil(C / WG_C)],
  });
  ctx.releaseLater(partial);
  apply(ctx, b.x, b.stats, b.y, d);
}

/** Inference forward: normalises with the running statistics (left unchanged). */
export function batchNormInferenceForward(
  ctx: GpuContext,
  b: { x: GPUBuffer; gamma: GPUBuffer; beta: GPUBuffer; runMean: GPUBuffer; runVar: GPUBuffer; stats: GPUBuffer; y: GPUBuffer },
  d: BnDims & { eps: number },
): void {
  const { R, C } = d;
  check('batchNorm', d, {
    x: [b.x, R * C], y: [b.y, R * C], gamma: [b.gamma, C], beta: [b.beta, C],
    runningMean: [b.runMean, C], runningVar: [b.runVar, C], stats: [b.stats, 4 * C],
  });
  ctx.dispatch({
    label: label('batchNormInferenceStats', d),
    pipeline: ctx.pipeline('bn-inference-stats', BN_INFERENCE_STATS_WGSL, { WG: WG_C }),
    params: rowParams(d, 1, R, d.eps),
    buffers: [b.gamma, b.beta, b.runMean, b.runVar, b.stats],
    workgroups: [Math.ceil(C / WG_C)],
  });
  apply(ctx, b.x, b.stats, b.y, d);
}

/**
 * Backward given the forward's stats: dgamma, dbeta always; dx unless null. `training`
 * selects the full gradient through the batch statistics or the affine one.
 */
export function batchNormBackward(
  ctx: GpuContext,
  b: { x: GPUBuffer; dy: GPUBuffer; stats: GPUBuffer; dx: GPUBuffer | null; dgamma: GPUBuffer; dbeta: GPUBuffer },
  d: BnDims & { training: boolean },
): void {
  const { R, C } = d;
  check('batchNormBackward', d, {
    x: [b.x, R * C], dy: [b.dy, R * C], stats: [b.stats, 4 * C], dgamma: [b.dgamma, C], dbeta: [b.dbeta, C],
    ...(b.dx ? { dx: [b.dx, R * C] as [GPUBuffer, number] } : {}),
  });
  const { chunkRows, numChunks } = chunking(d);
  const L = lanesFor(C);
  const partial = ctx.newStorage(numChunks * C * 2 * 4, 'bn-grad-partial');
  const coef = ctx.newStorage(4 * C * 4, 'bn-grad-coef');
  const p = rowParams(d, chunkRows, numChunks);
  ctx.dispatch({
    label: label('batchNormGradPartial', d),
    pipeline: ctx.pipeline(`bn-grad-partial-x${L}`, bnGradPartialWgsl(L), { WG }),
    params: p,
    buffers: [b.x, b.dy, b.stats, partial],
    workgroups: grid2d(Math.ceil((numChunks * C) / L / WG)),
  });
  ctx.dispatch({
    label: label('batchNormGradCombine', d),
    pipeline: ctx.pipeline('bn-grad-combine', BN_GRAD_COMBINE_WGSL, { WG: WG_C, TRAINING: d.training ? 1 : 0 }),
    params: p,
    buffers: [partial, b.stats, b.dgamma, b.dbeta, coef],
    workgroups: [Math.ceil(C / WG_C)],
  });
  if (b.dx) {
    const n = (R * C) / L;
    ctx.dispatch({
      label: label('batchNormGradApply', d),
      pipeline: ctx.pipeline(`bn-grad-apply-x${L}`, bnGradApplyWgsl(L), { WG }),
      params: params([n, C / L, 0, 0]),
      buffers: [b.x, b.dy, coef, b.dx],
      workgroups: grid2d(Math.ceil(n / WG)),
    });
  }
  ctx.releaseLater(partial);
  ctx.releaseLater(coef);
}
