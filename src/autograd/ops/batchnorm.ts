/**
 * Differentiable batch normalisation over the last axis (channels) of [N,H,W,C] or [N,C].
 *
 * Training: normalises with the batch mean and BIASED variance (over N·H·W per channel) and
 * updates `runningMean` / `runningVar` IN PLACE on the GPU. The running variance takes the
 * UNBIASED batch variance (·n/(n−1)), as PyTorch and Keras/TF's fused batch norm (the path
 * Keras takes for 4-D inputs) do; note Keras's non-fused path (2-D inputs) feeds the biased
 * one — we use the unbiased one everywhere. Training therefore needs n ≥ 2 rows.
 * Inference: normalises with the running statistics, which stay unchanged.
 *
 * Momentum conventions:
 *   'keras'   (default): running = m·running + (1−m)·batch, m = 0.99, eps = 1e-3;
 *   'pytorch':           running = (1−m)·running + m·batch, m = 0.1,  eps = 1e-5.
 *
 * Backward: dx, dγ, dβ — in training through the batch statistics, in inference the affine
 * map's. The running statistics get no gradient. The forward saves per-channel
 * [mean | invstd | γ·invstd | β] for its backward, so a later in-place update of the running
 * statistics (or of γ, β) does not change the gradient of this step.
 */
import { batchNormBackward, batchNormInferenceForward, batchNormTrainForward } from '../../kernels/batchnorm/batchnorm.js';
import { record } from '../tape.js';
import { Tensor, shapeStr } from '../tensor.js';

export interface BatchNormOptions {
  training: boolean;
  /** Keras convention by default: running = momentum·running + (1−momentum)·batch (0.99). */
  momentum?: number;
  /** Default 1e-3 (Keras) or 1e-5 (PyTorch). */
  epsilon?: number;
  convention?: 'keras' | 'pytorch';
}

/** Resolves the convention into keep (weight of the old running value) and epsilon. */
export function batchNormConstants(opts: BatchNormOptions): { keep: number; eps: number } {
  const conv = opts.convention ?? 'keras';
  if (conv !== 'keras' && conv !== 'pytorch') throw new Error(`batchNorm: unknown convention '${String(conv)}'`);
  const m = opts.momentum ?? (conv === 'keras' ? 0.99 : 0.1);
  const eps = opts.epsilon ?? (conv === 'keras' ? 1e-3 : 1e-5);
  if (!(m >= 0 && m <= 1)) throw new Error(`batchNorm: momentum must be in [0, 1], got ${m}`);
  if (!(eps >= 0)) throw new Error(`batchNorm: epsilon must be ≥ 0, got ${eps}`);
  return { keep: conv === 'keras' ? m : 1 - m, eps };
}

export function batchNorm(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNormOptions,
): Tensor {
  if (x.rank < 2) throw new Error(`batchNorm: expected [N,H,W,C] or [N,C], got ${shapeStr(x.shape)}`);
  const C = x.shape[x.rank - 1]!;
  const R = x.size / C;
  for (const [name, t] of [['gamma', gamma], ['beta', beta], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t.size !== C) throw new Error(`batchNorm: ${name} ${shapeStr(t.shape)} does not match ${C} channels of ${shapeStr(x.shape)}`);
  }
  const { keep, eps } = batchNormConstants(opts);
  const ctx = x.ctx;
  const y = Tensor.empty(ctx, x.shape);
  const stats = Tensor.empty(ctx, [4, C], { name: 'batchNorm.stats' });
  const bufs = {
    x: x.buffer, gamma: gamma.buffer, beta: beta.buffer,
    runMean: runningMean.buffer, runVar: runningVar.buffer, stats: stats.buffer, y: y.buffer,
  };
  if (opts.training) batchNormTrainForward(ctx, bufs, { R, C, eps, keep });
  else batchNormInferenceForward(ctx, bufs, { R, C, eps });
  const training = opts.training;
  return record('batchNorm', [x, gamma, beta], y, (g) => {
    const dx = x.requiresGrad ? Tensor.empty(ctx, x.shape) : null;
    const dgamma = Tensor.empty(ctx, gamma.shape);
    const dbeta = Tensor.empty(ctx, beta.shape);
    batchNormBackward(
      ctx,
      { x: x.buffer, dy: g.buffer, stats: stats.buffer, dx: dx?.buffer ?? null, dgamma: dgamma.buffer, dbeta: dbeta.buffer },
      { R, C, training },
    );
    return [dx, gamma.requiresGrad ? dgamma : null, beta.requiresGrad ? dbeta : null];
  });
}
