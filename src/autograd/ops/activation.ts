/**
 * Differentiable activations, one generic op over the pointwise table
 * (src/kernels/elementwise/pointwise.ts): the forward kernel and the backward rule both
 * come from the table's entry, which also says whether the backward reads the op's input or
 * its output (only that one is kept for the backward).
 */
import { activationBackward, activationForward } from '../../kernels/elementwise/elementwise.js';
import { type ActivationName, type ActivationOption, activationEntry } from '../../kernels/elementwise/pointwise.js';
import { record } from '../tape.js';
import { Tensor } from '../tensor.js';

export type { ActivationName, ActivationOption };

/** y = act(x) elementwise for any activation of the table; 'linear' returns x. */
export function activation(x: Tensor, name: ActivationOption): Tensor {
  if (name === 'linear') return x;
  const from = activationEntry(name).backward.from;
  const y = Tensor.empty(x.ctx, x.shape);
  activationForward(x.ctx, name, x.buffer, y.buffer, x.size);
  return record(name, [x], y, (g) => activationGrad(name, g, from === 'x' ? x : y));
}

/** dx of activation `name` from the upstream gradient g and the saved input or output s. */
export function activationGrad(name: ActivationName, g: Tensor, s: Tensor): [Tensor] {
  const dx = Tensor.empty(g.ctx, g.shape);
  activationBackward(g.ctx, name, g.buffer, s.buffer, dx.buffer, g.size);
  return [dx];
}

export const gelu = (x: Tensor): Tensor => activation(x, 'gelu');
export const silu = (x: Tensor): Tensor => activation(x, 'silu');
export const leakyRelu = (x: Tensor): Tensor => activation(x, 'leaky_relu');
