/**
 * Differentiable max and average pooling over NHWC activations (AlexNet's overlapping 3×3/2 and the
 * common 2×2/2), 'valid' or 'same' (TensorFlow's padding rule, see kernels/pool/geometry.ts).
 *
 * Gradient: each output's gradient goes to the FIRST maximum of its window in row-major
 * order (PyTorch's rule; TensorFlow's CPU kernel agrees). Overlapping windows add up. The
 * forward saves the argmax (u32 per output) only when a gradient is needed.
 */
import {
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  poolGeometry,
  type Pool2dOptions,
} from '../../kernels/pool/pool.js';
import { needsGrad, record } from '../tape.js';
import { mean } from './basic.js';
import { Tensor } from '../tensor.js';

export type { Pool2dOptions } from '../../kernels/pool/pool.js';

export function pool2dOutputShape(inShape: number[], opts: Pool2dOptions, op = 'maxPool2d'): number[] {
  const g = poolGeometry(inShape, opts, op);
  return [g.N, g.OH, g.OW, g.C];
}

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const g = poolGeometry(x.shape, opts);
  const y = Tensor.empty(x.ctx, [g.N, g.OH, g.OW, g.C]);
  // The argmax buffer holds u32 indices; a Tensor is only its pooled, scope-managed storage.
  const argmax = needsGrad([x]) ? Tensor.empty(x.ctx, y.shape, { name: 'maxPool2d.argmax' }) : null;
  maxPool2dForward(x.ctx, x.buffer, y.buffer, argmax?.buffer ?? null, g);
  return record('maxPool2d', [x], y, (gy) => {
    const dx = Tensor.empty(x.ctx, x.shape);
    maxPool2dBackward(x.ctx, gy.buffer, argmax!.buffer, dx.buffer, g);
    return [dx];
  });
}

/**
 * Average pooling, Keras AveragePooling2D: with 'same' the divisor counts only the window's
 * cells inside the input (TensorFlow's avg_pool). Its gradient spreads each output's
 * gradient evenly over those cells.
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const g = poolGeometry(x.shape, opts, 'avgPool2d');
  const y = Tensor.empty(x.ctx, [g.N, g.OH, g.OW, g.C]);
  avgPool2dForward(x.ctx, x.buffer, y.buffer, g);
  return record('avgPool2d', [x], y, (gy) => {
    const dx = Tensor.empty(x.ctx, x.shape);
    avgPool2dBackward(x.ctx, gy.buffer, dx.buffer, g);
    return [dx];
  });
}

/** Keras GlobalAveragePooling2D: [N, H, W, C] → [N, C], the mean over height and width. */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`globalAvgPool2d: expected an NHWC input [N,H,W,C], got [${x.shape.join('×')}]`);
  return mean(x, [1, 2]);
}
