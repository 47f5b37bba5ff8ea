import { describe, expect, it } from 'vitest';
import { lrnBackward, lrnForward, lrnParams, type LrnOptions } from '../../src/kernels/lrn/lrn.js';
import { lrnBackwardRef, lrnRef } from '../../src/kernels/lrn/lrn-ref.js';
import { lrn } from '../../src/autograd/ops/lrn.js';
import { Tensor, backward, tidy } from '../../src/autograd/index.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray, sampleIndices } from '../helpers.js';

// Tolerances: y and dx are a few float32 products, an n-term sum of squares and one pow
// (exp2/log2, ~1e-6 relative on lavapipe) per element, all of magnitude ≤ ~3: atol 1e-5,
// rtol 1e-4. Finite differences on the float64 reference (smooth, h = 1e-6): 1e-7 / 1e-6.
const TOL = { atol: 1e-5, rtol: 1e-4 };
const FD_TOL = { atol: 1e-7, rtol: 1e-6 };

// Besides AlexNet's constants (α = 1e-4 barely normalises, so its cross-channel gradient
// term is tiny), strong settings where the cross terms dominate the gradient.
// C a multiple of 4 with n ≤ 9 takes the vec4 kernels (window baked in), other C or wider
// windows the scalar ones; both are covered.
const cases: Array<{ shape: number[]; opts: LrnOptions }> = [
  { shape: [2, 3, 4, 7], opts: {} }, // AlexNet defaults, 'sum' (scalar)
  { shape: [2, 3, 4, 8], opts: {} }, // (vec4)
  { shape: [2, 3, 4, 12], opts: { alphaScaling: 'mean' } },
  { shape: [3, 5, 5, 10], opts: { size: 5, k: 1, alpha: 0.5, beta: 0.75, alphaScaling: 'sum' } },
  { shape: [3, 5, 5, 16], opts: { size: 5, k: 1, alpha: 0.5, beta: 0.75, alphaScaling: 'mean' } },
  { shape: [2, 3, 3, 9], opts: { size: 4, k: 0.5, alpha: 0.3, beta: 0.6 } }, // even window (PyTorch's placement)
  { shape: [2, 3, 3, 12], opts: { size: 4, k: 0.5, alpha: 0.3, beta: 0.6 } },
  { shape: [2, 2, 3, 6], opts: { size: 3, k: 2, alpha: 0.8, beta: 1.2, alphaScaling: 'mean' } },
  { shape: [2, 2, 3, 8], opts: { size: 9, k: 2, alpha: 0.8, beta: 1.2 } }, // widest vec4 window
  { shape: [3, 2, 2, 3], opts: { size: 7, k: 1.5, alpha: 0.4, beta: 0.75 } }, // window wider than C
  { shape: [3, 2, 2, 4], opts: { size: 7, k: 1.5, alpha: 0.4, beta: 0.75 } }, // one vec4 group per pixel
  { shape: [2, 2, 2, 12], opts: { size: 10, k: 1, alpha: 0.2, beta: 0.5 } }, // too wide for vec4: scalar
];

describe('lrn kernels vs float64 reference', () => {
  cases.forEach(({ shape, opts }, ci) =>
    it(`[${shape.join('×')}] ${JSON.stringify(opts)}`, async () => {
      const ctx = await gpu();
      const p = lrnParams(opts);
      const C = shape[shape.length - 1]!;
      const n = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(n, 10 + ci, -2, 2);
      const dyv = randomArray(n, 20 + ci);
      const X = Tensor.fromArray(ctx, x, shape);
      const DY = Tensor.fromArray(ctx, dyv, shape);
      const Y = poisoned(ctx, shape);
      const DX = poisoned(ctx, shape);
      lrnForward(ctx, X.buffer, Y.buffer, n, C, p);
      lrnBackward(ctx, X.buffer, DY.buffer, DX.buffer, n, C, p);
      expectClose(await Y.toArray(), lrnRef(x, C, p), TOL, 'y');
      const dxRef = lrnBackwardRef(x, dyv, C, p);
      expectClose(await DX.toArray(), dxRef, TOL, 'dx');
      const idx = sampleIndices(n, 60, 30 + ci);
      const num = numericGrad((xs) => dot(dyv, lrnRef(xs, C, p)), x, { indices: idx });
      expectClose(num.grad, idx.map((i) => dxRef[i]!), FD_TOL, 'finite differences');
      [X, DY, Y, DX].forEach((t) => t.dispose());
    }),
  );

  it("hand-computed values: 'sum' is TensorFlow's form, 'mean' PyTorch's", async () => {
    const ctx = await gpu();
    // One pixel, 3 channels, n = 5 (depth_radius 2): every window holds all channels, Σa² = 14.
    const X = Tensor.fromArray(ctx, [1, 2, 3], [1, 1, 1, 3]);
    const ys = tidy(() => [lrn(X), lrn(X, { alphaScaling: 'mean' }), lrn(X, { size: 1, alpha: 0.1, k: 1, beta: 1 })]);
    const sum = 2 + 1e-4 * 14;
    const mean = 2 + (1e-4 / 5) * 14;
    expectClose(await ys[0]!.toArray(), [1, 2, 3].map((v) => v / sum ** 0.75), { atol: 0, rtol: 1e-6 }, "'sum'");
    expectClose(await ys[1]!.toArray(), [1, 2, 3].map((v) => v / mean ** 0.75), { atol: 0, rtol: 1e-6 }, "'mean'");
    // size 1: each channel normalised by itself only.
    expectClose(await ys[2]!.toArray(), [1, 2, 3].map((v) => v / (1 + 0.1 * v * v)), { atol: 0, rtol: 1e-6 }, 'size 1');
    [X, ...ys].forEach((t) => t.dispose());
    expect(() => lrnParams({ size: 0 })).toThrow(/size/);
    expect(() => lrnParams({ alphaScaling: 'max' as 'sum' })).toThrow(/alphaScaling/);
  });
});

describe('lrn op (autograd)', () => {
  it('forward and backward through the tape', async () => {
    const ctx = await gpu();
    const shape = [2, 3, 3, 11];
    const opts: LrnOptions = { k: 1, alpha: 0.2 };
    const p = lrnParams(opts);
    const x = randomArray(2 * 3 * 3 * 11, 41, -2, 2);
    const dyv = randomArray(x.length, 42);
    const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true });
    const y = tidy(() => {
      const out = lrn(X, opts);
      backward(out, Tensor.fromArray(ctx, dyv, shape));
      return out;
    });
    expectClose(await y.toArray(), lrnRef(x, 11, p), TOL, 'y');
    expectClose(await X.grad!.toArray(), lrnBackwardRef(x, dyv, 11, p), TOL, 'x.grad');
    [X, X.grad!, y].forEach((t) => t.dispose());
  });
});
