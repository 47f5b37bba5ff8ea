/**
 * Batch-norm launchers over x viewed as [R, C] (R = N·H·W rows, C channels, NHWC's last
 * axis). Kernels and the reduction scheme: ./batchnorm.wgsl.ts; reference: ./batchnorm-ref.ts.
 */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { vecWidth } from '../wgsl-common.js';
import {
  BN_GRAD_COMBINE,
  BN_INFERENCE_STATS,
  BN_STATS_COMBINE,
  bnApplyKernel,
  bnGradApplyKernel,
  bnGradPartialKernel,
  bnStatsPartialKernel,
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


function chunking(d: BnDims): { chunkRows: number; numChunks: number } {
  const chunkRows = d.chunkRows ?? bnChunkRows(d.R);
  return { chunkRows, numChunks: Math.ceil(d.R / chunkRows) };
}

function label(op: string, d: BnDims): string {
  return `${op}[${d.R}×${d.C}]`;
}

function check(op: string, d: BnDims): void {
  if (!Number.isInteger(d.R) || !Number.isInteger(d.C) || d.R < 1 || d.C < 1) throw new Error(`${label(op, d)}: empty shape`);
}

function rowUniforms(d: BnDims, chunkRows: number, numChunks: number, eps = 0, keep = 0, unbias = 1) {
  return { R: d.R, C: d.C, CL: d.C / vecWidth(d.C), chunkRows, numChunks, eps, keep, unbias };
}

function apply(ctx: GpuContext, x: GPUBuffer, stats: GPUBuffer, y: GPUBuffer, d: BnDims): void {
  const L = vecWidth(d.C);
  const n = (d.R * d.C) / L;
  launch(ctx, bnApplyKernel(L), {
    label: label('batchNormApply', d),
    constants: { WG },
    uniforms: { n, CL: d.C / L },
    buffers: { x, stats, y },
    need: { x: f32Bytes(d.R * d.C), stats: f32Bytes(4 * d.C), y: f32Bytes(d.R * d.C) },
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
  check('batchNorm', d);
  if (R < 2) throw new Error(`${label('batchNorm', d)}: training needs more than one value per channel (the running variance is unbiased)`);
  const { chunkRows, numChunks } = chunking(d);
  const L = vecWidth(C);
  const partial = ctx.newStorage(numChunks * C * 2 * 4, 'bn-partial');
  const uniforms = rowUniforms(d, chunkRows, numChunks, d.eps, d.keep, R / (R - 1));
  const [c1, c2, c4] = [f32Bytes(C), f32Bytes(2 * numChunks * C), f32Bytes(4 * C)];
  launch(ctx, bnStatsPartialKernel(L), {
    label: label('batchNormStatsPartial', d),
    constants: { WG },
    uniforms,
    buffers: { x: b.x, partial },
    need: { x: f32Bytes(R * C), partial: c2 },
    workgroups: grid2d(Math.ceil((numChunks * C) / L / WG)),
  });
  launch(ctx, BN_STATS_COMBINE, {
    label: label('batchNormStatsCombine', d),
    constants: { WG: WG_C },
    uniforms,
    buffers: { partial, gamma: b.gamma, beta: b.beta, runMean: b.runMean, runVar: b.runVar, stats: b.stats },
    need: { partial: c2, gamma: c1, beta: c1, runMean: c1, runVar: c1, stats: c4 },
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
  check('batchNorm', d);
  const c1 = f32Bytes(C);
  launch(ctx, BN_INFERENCE_STATS, {
    label: label('batchNormInferenceStats', d),
    constants: { WG: WG_C },
    uniforms: rowUniforms(d, 1, R, d.eps),
    buffers: { gamma: b.gamma, beta: b.beta, runMean: b.runMean, runVar: b.runVar, stats: b.stats },
    need: { gamma: c1, beta: c1, runMean: c1, runVar: c1, stats: f32Bytes(4 * C) },
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
  check('batchNormBackward', d);
  const { chunkRows, numChunks } = chunking(d);
  const L = vecWidth(C);
  const partial = ctx.newStorage(numChunks * C * 2 * 4, 'bn-grad-partial');
  const coef = ctx.newStorage(4 * C * 4, 'bn-grad-coef');
  const uniforms = rowUniforms(d, chunkRows, numChunks);
  const [c1, c2, c4, rc] = [f32Bytes(C), f32Bytes(2 * numChunks * C), f32Bytes(4 * C), f32Bytes(R * C)];
  launch(ctx, bnGradPartialKernel(L), {
    label: label('batchNormGradPartial', d),
    constants: { WG },
    uniforms,
    buffers: { x: b.x, dy: b.dy, stats: b.stats, partial },
    need: { x: rc, dy: rc, stats: c4, partial: c2 },
    workgroups: grid2d(Math.ceil((numChunks * C) / L / WG)),
  });
  launch(ctx, BN_GRAD_COMBINE, {
    label: label('batchNormGradCombine', d),
    constants: { WG: WG_C, TRAINING: d.training ? 1 : 0 },
    uniforms,
    buffers: { partial, stats: b.stats, dgamma: b.dgamma, dbeta: b.dbeta, coef },
    need: { partial: c2, stats: c4, dgamma: c1, dbeta: c1, coef: c4 },
    workgroups: [Math.ceil(C / WG_C)],
  });
  if (b.dx) {
    const n = (R * C) / L;
    launch(ctx, bnGradApplyKernel(L), {
      label: label('batchNormGradApply', d),
      constants: { WG },
      uniforms: { n, CL: C / L },
      buffers: { x: b.x, dy: b.dy, coef, dx: b.dx },
      need: { x: rc, dy: rc, coef: c4, dx: rc },
      workgroups: grid2d(Math.ceil(n / WG)),
    });
  }
  ctx.releaseLater(partial);
  ctx.releaseLater(coef);
}
