/**
 * TensorFlow's 'same' padding along one axis, shared by convolution and pooling:
 * out = ceil(in / stride); total padding max((out − 1)·stride + k − in, 0), of which
 * floor(total / 2) goes before (top/left) and the rest, the odd one, after (bottom/right).
 */
export function samePadding(size: number, k: number, stride: number): { out: number; before: number; after: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}
