/**
 * Differentiable inverted dropout: in training each element is kept with probability
 * 1 − rate and scaled by 1/(1 − rate), so inference is the identity (returns x itself, as
 * does rate 0). The mask is a hash of (seed, index) computed on the GPU; the backward
 * recomputes the same mask from the same seed (no mask buffer). Pass a new seed each step.
 */
import { checkDropoutArgs, dropoutApply } from '../../kernels/dropout/dropout.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export function dropout(x: Tensor, opts: { rate: number; seed: number; training: boolean }): Tensor {
  const { rate, seed } = opts;
  checkDropoutArgs(rate, seed);
  if (!opts.training || rate === 0) return x;
  const y = Tensor.empty(x.ctx, x.shape);
  dropoutApply(x.ctx, x.buffer, y.buffer, x.size, rate, seed);
  return record('dropout', [x], y, (g) => {
    const dx = Tensor.empty(x.ctx, x.shape);
    dropoutApply(x.ctx, g.buffer, dx.buffer, x.size, rate, seed);
    return [dx];
  });
}
