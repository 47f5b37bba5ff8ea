/**
 * reduceMiddle (sum over the middle axis of [A, R, B]) against its float64 reference, outputs
 * poisoned with NaN; a 2-D grid of outputs (A·B > 65,535 workgroups); a full sum of
 * 17,000,003 elements and the sum op's backward at that size (2-D broadcast grid).
 *
 * Tolerances: sums of R terms of magnitude ≤ 1 in float32 with 16–64 partial sums: error
 * ~√R·6e-8·|terms|, so atol 1e-5·√R-ish: atol 1e-4, rtol 1e-5 for R ≤ 1000. The 17M sum of
 * values in [0, 1) (~8.5e6) accumulates 265k terms per thread: ~2e-6 relative, rtol 2e-5.
 */
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { sum } from '../../src/autograd/ops/basic.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { grid2d } from '../../src/kernels/context.js';
import { unary } from '../../src/kernels/elementwise/elementwise.js';
import { reduceMiddle, reduceMiddleRef } from '../../src/kernels/reduce/reduce.js';
import { expectClose, gpu, poisoned, randomArray } from '../helpers.js';

describe('reduceMiddle', () => {
  const cases: Array<[number, number, number, number]> = [
    [1, 1000, 1, 1],
    [3, 37, 5, 1],
    [7, 1, 9, 1],
    [2, 300, 3, 0.5],
    [5, 13, 1, -2],
    [1, 65, 1, 1],
    [4, 17, 6, 1 / 17],
  ];
  for (const [A, R, B, alpha] of cases)
    it(`[${A}×${R}×${B}] α=${alpha}`, async () => {
      const ctx = await gpu();
      const x = randomArray(A * R * B, A * 100 + R + B);
      const X = Tensor.fromArray(ctx, x, [A, R, B]);
      const Y = poisoned(ctx, [A, B]);
      reduceMiddle(ctx, X.buffer, Y.buffer, A, R, B, alpha);
      expectClose(await Y.toArray(), reduceMiddleRef(x, A, R, B, alpha), { atol: 1e-4, rtol: 1e-5 }, 'sum');
      X.dispose();
      Y.dispose();
    });

  it('more than 65,535 outputs: [3 × 5 × 22,001] and [1 × 2 × 70,001]', async () => {
    const ctx = await gpu();
    for (const [A, R, B] of [
      [3, 5, 22_001],
      [1, 2, 70_001],
    ] as const) {
      expect(grid2d(A * B)[1]).toBeGreaterThan(1);
      const x = randomArray(A * R * B, 7 + B);
      const X = Tensor.fromArray(ctx, x, [A, R, B]);
      const Y = poisoned(ctx, [A, B]);
      reduceMiddle(ctx, X.buffer, Y.buffer, A, R, B);
      expectClose(await Y.toArray(), reduceMiddleRef(x, A, R, B), { atol: 1e-5, rtol: 1e-5 }, `sum [${A}×${R}×${B}]`);
      X.dispose();
      Y.dispose();
    }
  });
});

describe('more than 65,535 × 256 elements', () => {
  it('sum of 17,000,003 values, and its backward broadcast over all of them', async () => {
    const ctx = await gpu();
    const N = 17_000_003;
    // A 32-bit LCG: 17M values in milliseconds (values in [0, 1)).
    const x = new Float32Array(N);
    let st = 12345;
    let total = 0;
    for (let i = 0; i < N; i++) {
      st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
      x[i] = (st >>> 8) / 16777216;
      total += x[i]!;
    }
    const X = Tensor.fromArray(ctx, x, [N], { requiresGrad: true, persistent: true });
    const Y = sum(X);
    expect(Y.shape).toEqual([]);
    expectClose(await Y.toArray(), [total], { atol: 1, rtol: 2e-5 }, 'Σx');
    // d(2.5·Σx)/dx = 2.5 everywhere; the grad buffer starts as NaN so every element must be written.
    X.grad = Tensor.empty(ctx, [N], { persistent: true });
    unary(ctx, 'fill', X.grad.buffer, X.grad.buffer, N, NaN);
    backward(Y, Tensor.fromArray(ctx, [2.5], [1]));
    const G = poisoned(ctx, [1]);
    reduceMiddle(ctx, X.grad.buffer, G.buffer, 1, N, 1);
    expectClose(await G.toArray(), [2.5 * N], { atol: 0, rtol: 1e-6 }, 'Σ dx (a NaN anywhere fails)');
    const tail = await ctx.read(X.grad.buffer, 4096 * 4, undefined, (N - 4096) * 4);
    expect(Array.from(tail).every((v) => v === 2.5)).toBe(true);
    X.grad.dispose();
    X.dispose();
  });
});
