/**
 * Differentiable local response normalisation across channels (the last axis of NHWC):
 * b_c = a_c / (k + α'·Σ_{c' in the n-channel window around c} a_{c'}²)^β.
 * Defaults are AlexNet's (n 5, k 2, α 1e-4, β 0.75) with α' = α — the 'sum' form of the
 * paper and TensorFlow's tf.nn.local_response_normalization (depth_radius = (n−1)/2,
 * bias = k). alphaScaling 'mean' gives PyTorch's nn.LocalResponseNorm (α' = α/n).
 * Details and the exact backward: src/kernels/lrn/lrn.wgsl.ts.
 */
import { lrnBackward, lrnForward, lrnParams, type LrnOptions } from '../../kernels/lrn/lrn.js';
import { record } from '../tape.js';
import { Tensor, shapeStr } from '../tensor.js';

export type { LrnOptions } from '../../kernels/lrn/lrn.js';

export function lrn(x: Tensor, opts: LrnOptions = {}): Tensor {
  if (x.rank < 1) throw new Error(`lrn: expected [N,H,W,C], got ${shapeStr(x.shape)}`);
  const p = lrnParams(opts);
  const C = x.shape[x.rank - 1]!;
  const y = Tensor.empty(x.ctx, x.shape);
  lrnForward(x.ctx, x.buffer, y.buffer, x.size, C, p);
  return record('lrn', [x], y, (g) => {
    const dx = Tensor.empty(x.ctx, x.shape);
    lrnBackward(x.ctx, x.buffer, g.buffer, dx.buffer, x.size, C, p);
    return [dx];
  });
}
