/**
 * Differentiable element-wise ops, reductions and reshapes. Each op's backward rule sits
 * right beside its forward launch.
 */
import { axpbyInPlace, binary, unary } from '../../kernels/elementwise/elementwise.js';
import { reduceMiddle } from '../../kernels/reduce/reduce.js';
import { broadcastMiddle } from '../../kernels/elementwise/broadcast.js';
import { record, setGradMath } from '../tape.js';
import { activation } from './activation.js';
import { type Shape, Tensor, shapeStr, sizeOf } from '../tensor.js';

function like(x: Tensor, shape: Shape = x.shape): Tensor {
  return Tensor.empty(x.ctx, shape);
}

export function fill(ctx: Tensor['ctx'], shape: Shape, value: number): Tensor {
  const t = Tensor.empty(ctx, shape);
  unary(ctx, 'fill', t.buffer, t.buffer, t.size, value);
  return t;
}

export function onesLike(x: Tensor): Tensor {
  return fill(x.ctx, x.shape, 1);
}

/** y = alpha·x + beta */
export function affine(x: Tensor, alpha: number, beta = 0): Tensor {
  const y = like(x);
  unary(x.ctx, 'affine', x.buffer, y.buffer, x.size, alpha, beta);
  return record('affine', [x], y, (g) => [scale(g, alpha)]);
}

export function scale(x: Tensor, alpha: number): Tensor {
  return affine(x, alpha, 0);
}

export function relu(x: Tensor): Tensor {
  return activation(x, 'relu');
}

export function sigmoid(x: Tensor): Tensor {
  return activation(x, 'sigmoid');
}

export function square(x: Tensor): Tensor {
  const y = like(x);
  unary(x.ctx, 'square', x.buffer, y.buffer, x.size);
  return record('square', [x], y, (g) => {
    const dx = like(x);
    binary(x.ctx, 'mul', g.buffer, x.buffer, dx.buffer, x.size);
    return [scale(dx, 2)];
  });
}

function checkBroadcast(op: string, a: Tensor, b: Tensor): void {
  // b must equal a's trailing dimensions (after dropping leading 1s), or be a scalar.
  const bs = [...b.shape];
  while (bs.length > 0 && bs[0] === 1 && bs.length > 0) bs.shift();
  const tail = a.shape.slice(a.shape.length - bs.length);
  const ok = b.size === 1 || (bs.length <= a.shape.length && tail.every((d, i) => d === bs[i]));
  if (!ok) throw new Error(`${op}: cannot broadcast ${shapeStr(b.shape)} over ${shapeStr(a.shape)}`);
}

/** Sums the gradient of a broadcast operand back to its shape (over the leading axes). */
function unbroadcast(g: Tensor, target: Tensor): Tensor {
  if (g.size === target.size) return g;
  const out = like(target);
  reduceMiddle(g.ctx, g.buffer, out.buffer, 1, g.size / target.size, target.size);
  return out;
}

/** out = alpha·a + beta·b, b broadcasting over a's leading axes (bias, scalar). */
export function axpby(a: Tensor, b: Tensor, alpha = 1, beta = 1): Tensor {
  checkBroadcast('add', a, b);
  const y = like(a);
  binary(a.ctx, 'axpby', a.buffer, b.buffer, y.buffer, a.size, b.size, alpha, beta);
  return record('add', [a, b], y, (g) => [
    a.requiresGrad ? (alpha === 1 ? g : scale(g, alpha)) : null,
    b.requiresGrad ? unbroadcast(beta === 1 ? g : scale(g, beta), b) : null,
  ]);
}

export function add(a: Tensor, b: Tensor): Tensor {
  return axpby(a, b, 1, 1);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  return axpby(a, b, 1, -1);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  checkBroadcast('mul', a, b);
  const y = like(a);
  binary(a.ctx, 'mul', a.buffer, b.buffer, y.buffer, a.size, b.size);
  return record('mul', [a, b], y, (g) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      da = like(a);
      binary(a.ctx, 'mul', g.buffer, b.buffer, da.buffer, a.size, b.size);
    }
    if (b.requiresGrad) {
      const full = like(a);
      binary(a.ctx, 'mul', g.buffer, a.buffer, full.buffer, a.size, a.size);
      db = unbroadcast(full, b);
    }
    return [da, db];
  });
}

/** Normalises `axes` (negative allowed) and checks they are contiguous. */
function contiguousAxes(shape: Shape, axes: number[]): [number, number] {
  const r = shape.length;
  const norm = [...new Set(axes.map((a) => (a < 0 ? a + r : a)))].sort((x, y) => x - y);
  if (norm.some((a) => a < 0 || a >= r)) throw new Error(`reduce: axes ${axes} out of range for ${shapeStr(shape)}`);
  for (let i = 1; i < norm.length; i++) {
    if (norm[i] !== norm[i - 1]! + 1) throw new Error(`reduce: axes must be contiguous, got ${axes}`);
  }
  return [norm[0]!, norm[norm.length - 1]!];
}

/**
 * Sum (or mean) over `axes` (contiguous; default all). Non-contiguous sets: reduce twice.
 * keepDims keeps reduced axes as size 1.
 */
export function sum(x: Tensor, axes?: number[], opts: { keepDims?: boolean; mean?: boolean } = {}): Tensor {
  const ax = axes ?? x.shape.map((_, i) => i);
  if (ax.length === 0) return x;
  const [lo, hi] = contiguousAxes(x.shape, ax);
  const A = sizeOf(x.shape.slice(0, lo));
  const R = sizeOf(x.shape.slice(lo, hi + 1));
  const B = sizeOf(x.shape.slice(hi + 1));
  const outShape = opts.keepDims
    ? x.shape.map((d, i) => (i >= lo && i <= hi ? 1 : d))
    : [...x.shape.slice(0, lo), ...x.shape.slice(hi + 1)];
  const alpha = opts.mean ? 1 / R : 1;
  const y = Tensor.empty(x.ctx, outShape);
  reduceMiddle(x.ctx, x.buffer, y.buffer, A, R, B, alpha);
  return record(opts.mean ? 'mean' : 'sum', [x], y, (g) => {
    // Broadcast g back over the reduced axis: dx[a, r, b] = alpha · g[a, b].
    const dx = like(x);
    broadcastMiddle(x.ctx, g.buffer, dx.buffer, A, R, B, alpha);
    return [dx];
  });
}

export function mean(x: Tensor, axes?: number[], opts: { keepDims?: boolean } = {}): Tensor {
  return sum(x, axes, { ...opts, mean: true });
}

/** A differentiable reshape (a view; its gradient is the gradient reshaped back). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const y = x.view(shape);
  return record('reshape', [x], y, (g) => [g.view(x.shape)]);
}

/** Flattens all axes after the first: [N, H, W, C] → [N, H·W·C] in NHWC (row-major) order. */
export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.shape[0]!, x.size / x.shape[0]!]);
}

setGradMath({
  ones: onesLike,
  add: (a, b) => add(a, b),
});
