/**
 * Average pooling (NHWC), forward and backward, 'valid' and TensorFlow 'same' (divisor =
 * the window's cells inside the input), scalar and vec4 paths, against float64 references
 * written from the definition (src/kernels/pool/pool-ref.ts); the backward also against
 * central finite differences of the reference; the op through the tape; the AvgPool and
 * GlobalAvgPool layers.
 *
 * Tolerances: a mean of ≤ 9 float32 values and a division (error ≤ ~10·2^-24·|x|), and a
 * backward of ≤ 4 such terms: atol 1e-6, rtol 1e-5. Finite differences of the linear
 * float64 reference (h = 1e-3): exact up to rounding, 1e-9.
 */
import { describe, expect, it } from 'vitest';
import { avgPool2d, globalAvgPool2d } from '../../src/autograd/ops/pool.js';
import { mul, sum } from '../../src/autograd/ops/basic.js';
import { backward } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { avgPool2dBackward, avgPool2dForward, poolGeometry, type Pool2dOptions } from '../../src/kernels/pool/pool.js';
import { avgPool2dBackwardRef, avgPool2dRef } from '../../src/kernels/pool/pool-ref.js';
import { AvgPool, GlobalAvgPool } from '../../src/nn/layers/simple.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray } from '../helpers.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };

const cases: Array<{ shape: [number, number, number, number]; opts: Pool2dOptions }> = [
  { shape: [2, 9, 8, 3], opts: { size: 2, stride: 2 } }, // 'valid' drops the odd last row
  { shape: [2, 11, 10, 5], opts: { size: 3, stride: 2 } }, // overlapping windows
  { shape: [2, 11, 10, 12], opts: { size: 3, stride: 2 } }, // vec4 path
  { shape: [2, 10, 11, 6], opts: { size: 3, stride: 2, padding: 'same' } }, // edge windows hold 6 or 4 cells
  { shape: [2, 10, 11, 8], opts: { size: 3, stride: 2, padding: 'same' } }, // vec4 path
  { shape: [1, 7, 6, 5], opts: { size: [3, 2], stride: [1, 3], padding: 'same' } }, // asymmetric
];

const fmt = (s: number[], o: Pool2dOptions) => `[${s.join('×')}] size ${JSON.stringify(o.size)} stride ${JSON.stringify(o.stride ?? o.size)} ${o.padding ?? 'valid'}`;

describe('avgPool2d kernels', () => {
  for (const [k, c] of cases.entries())
    it(fmt(c.shape, c.opts), async () => {
      const ctx = await gpu();
      const g = poolGeometry(c.shape, c.opts, 'avgPool2d');
      const nIn = g.N * g.H * g.W * g.C;
      const nOut = g.N * g.OH * g.OW * g.C;
      const x = randomArray(nIn, 100 + k, -2, 2);
      const dy = randomArray(nOut, 200 + k);
      const X = Tensor.fromArray(ctx, x, c.shape);
      const DY = Tensor.fromArray(ctx, dy, [g.N, g.OH, g.OW, g.C]);
      const Y = poisoned(ctx, [g.N, g.OH, g.OW, g.C]);
      const DX = poisoned(ctx, c.shape);
      avgPool2dForward(ctx, X.buffer, Y.buffer, g);
      avgPool2dBackward(ctx, DY.buffer, DX.buffer, g);
      expectClose(await Y.toArray(), avgPool2dRef(x, g), TOL, 'y');
      const dxRef = avgPool2dBackwardRef(dy, g);
      expectClose(await DX.toArray(), dxRef, TOL, 'dx');
      // The reference backward is the gradient of L = Σ ref(x) ⊙ dy.
      const fd = numericGrad((v) => dot(avgPool2dRef(v, g), dy), x, { h: 1e-3 }).grad;
      expectClose(dxRef, fd, { atol: 1e-9, rtol: 1e-9 }, 'reference dx vs finite differences');
      [X, DY, Y, DX].forEach((t) => t.dispose());
    });

  it("'same' divides by the cells inside the input (TensorFlow), not the window size", () => {
    // 1×3 ones, window 2, stride 2, 'same': out 2, total pad 1 at the right → windows {0,1}, {2}.
    const g = poolGeometry([1, 1, 3, 1], { size: [1, 2], stride: [1, 2], padding: 'same' });
    expect(Array.from(avgPool2dRef([1, 1, 1], g))).toEqual([1, 1]);
  });
});

describe('avgPool2d op and the pooling layers', () => {
  it('the op: y and dL/dx through the tape', async () => {
    const ctx = await gpu();
    const shape: [number, number, number, number] = [2, 7, 7, 4];
    const opts: Pool2dOptions = { size: 3, stride: 2, padding: 'same' };
    const g = poolGeometry(shape, opts);
    const x = randomArray(2 * 7 * 7 * 4, 31);
    const w = randomArray(g.N * g.OH * g.OW * g.C, 32);
    const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true });
    const Y = avgPool2d(X, opts);
    backward(sum(mul(Y, Tensor.fromArray(ctx, w, Y.shape))));
    expectClose(await Y.toArray(), avgPool2dRef(x, g), TOL, 'y');
    expectClose(await X.grad!.toArray(), numericGrad((v) => dot(avgPool2dRef(v, g), w), x, { h: 1e-3 }).grad, TOL, 'dL/dx');
  });

  it('AvgPool layer shapes and config', () => {
    const l = new AvgPool({ size: 2, stride: 2, padding: 'valid' });
    expect(l.outputShape([9, 8, 3])).toEqual([4, 4, 3]);
    expect(l.config()).toMatchObject({ type: 'AvgPool', size: 2, stride: 2 });
    expect(() => l.outputShape([1, 8, 3])).toThrow(/avgPool2d: window 2×2 larger than the input/);
  });

  it('GlobalAvgPool: [N, H, W, C] → [N, C], the mean over H·W, and its gradient', async () => {
    const ctx = await gpu();
    const [N, H, W, C] = [3, 5, 4, 6];
    const x = randomArray(N * H * W * C, 41);
    const w = randomArray(N * C, 42);
    const ref = (v: ArrayLike<number>) => {
      const y = new Float64Array(N * C);
      for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) for (let c = 0; c < C; c++) y[n * C + c]! += v[(n * H * W + i) * C + c]! / (H * W);
      return y;
    };
    const l = new GlobalAvgPool();
    expect(l.outputShape([H, W, C])).toEqual([C]);
    const X = Tensor.fromArray(ctx, x, [N, H, W, C], { requiresGrad: true });
    const Y = l.forward(X);
    expect(Y.shape).toEqual([N, C]);
    backward(sum(mul(Y, Tensor.fromArray(ctx, w, [N, C]))));
    expectClose(await Y.toArray(), ref(x), TOL, 'y');
    expectClose(await X.grad!.toArray(), numericGrad((v) => dot(ref(v), w), x, { h: 1e-3 }).grad, TOL, 'dL/dx');
    expect(() => globalAvgPool2d(Tensor.fromArray(ctx, x, [N, H * W * C]))).toThrow(/globalAvgPool2d: expected an NHWC input/);
  });
});
