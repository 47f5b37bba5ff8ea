/**
 * The tape and scopes: gradient accumulation for tensors used more than once, leaf
 * gradients overwritten (not accumulated) across backward calls, tidy() releasing every
 * intermediate, and a training loop reaching a steady state with no new GPU buffers or
 * pipelines after its first step.
 *
 * Tolerances as in ops.test.ts: atol 1e-5, rtol 1e-4 against float64; finite differences
 * atol 1e-6, rtol 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { add, mul, relu, scale, sigmoid, sum } from '../../src/autograd/ops/basic.js';
import { binaryCrossEntropyWithLogits, l2Penalty } from '../../src/autograd/ops/loss.js';
import { dense } from '../../src/autograd/ops/matmul.js';
import { keep, tidy } from '../../src/autograd/scope.js';
import { backward, noGrad, releaseGrads, tapeLength } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { sizeClass } from '../../src/kernels/buffer-pool.js';
import { Adam } from '../../src/nn/optim.js';
import { dot, expectClose, gpu, numericGrad, randomArray, rng } from '../helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const FD = { atol: 1e-6, rtol: 1e-5 };
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('gradient accumulation', () => {
  it('a leaf used twice in one op, and in two ops, gets the sum of both gradients', async () => {
    const ctx = await gpu();
    const n = 37;
    const x = randomArray(n, 1);
    const b = randomArray(n, 2);
    const w = randomArray(n, 3);
    const X = Tensor.fromArray(ctx, x, [n], { requiresGrad: true, persistent: true });
    const B = Tensor.fromArray(ctx, b, [n]);
    const W = Tensor.fromArray(ctx, w, [n]);
    // y = x·x + (x + b)·x  →  dL/dx = w·(2x + 2x + b)
    const y = add(mul(X, X), mul(add(X, B), X));
    backward(sum(mul(y, W)));
    const ref = (xx: Float64Array) => dot(Array.from(xx, (v, i) => v * v + (v + b[i]!) * v), w);
    const want = Float64Array.from(x, (v, i) => w[i]! * (4 * v + b[i]!));
    expectClose(await X.grad!.toArray(), want, TOL, 'dL/dx');
    expectClose(numericGrad(ref, x).grad, want, FD, 'finite differences');
  });

  it('an intermediate used twice (h = σ(x); y = h·h + 3h) sums its two gradients', async () => {
    const ctx = await gpu();
    const n = 29;
    const x = randomArray(n, 4, -3, 3);
    const w = randomArray(n, 5);
    const X = Tensor.fromArray(ctx, x, [n], { requiresGrad: true, persistent: true });
    const h = sigmoid(X);
    const y = add(mul(h, h), scale(h, 3));
    backward(sum(mul(y, Tensor.fromArray(ctx, w, [n]))));
    const ref = (xx: Float64Array) => dot(Array.from(xx, (v) => sig(v) ** 2 + 3 * sig(v)), w);
    const want = Float64Array.from(x, (v, i) => w[i]! * (2 * sig(v) + 3) * sig(v) * (1 - sig(v)));
    expectClose(await X.grad!.toArray(), want, TOL, 'dL/dx');
    expectClose(numericGrad(ref, x).grad, want, FD, 'finite differences');
  });

  it("a leaf's grad is overwritten, not accumulated, by a second backward", async () => {
    const ctx = await gpu();
    const x = randomArray(19, 6);
    const X = Tensor.fromArray(ctx, x, [19], { requiresGrad: true, persistent: true });
    const W = Tensor.fromArray(ctx, randomArray(19, 7), [19]);
    backward(sum(mul(square3(X), W)));
    const first = await X.grad!.toArray();
    backward(sum(mul(square3(X), W)));
    expect(await X.grad!.toArray()).toEqual(first); // not 2× first
    // A different loss replaces it entirely.
    backward(sum(scale(X, 2)));
    expect(Array.from(await X.grad!.toArray())).toEqual(Array(19).fill(2));
  });

  it('backward() refuses a loss that depends on nothing requiring a gradient', async () => {
    const ctx = await gpu();
    const X = Tensor.fromArray(ctx, randomArray(5, 8), [5]);
    expect(() => backward(sum(X))).toThrow(/does not depend on any tensor that requires a gradient/);
    const Y = Tensor.fromArray(ctx, randomArray(5, 9), [5], { requiresGrad: true });
    expect(() => backward(noGrad(() => sum(Y)))).toThrow(/does not depend/);
  });
});

function square3(x: Tensor): Tensor {
  return mul(mul(x, x), x);
}

describe('tidy', () => {
  it('releases every intermediate, keeps returned and kept tensors, clears the tape', async () => {
    const ctx = await gpu();
    const X = Tensor.fromArray(ctx, randomArray(300, 10), [30, 10], { requiresGrad: true, persistent: true });
    const Wt = Tensor.fromArray(ctx, randomArray(70, 11), [10, 7], { requiresGrad: true, persistent: true });
    const step = () =>
      tidy(() => {
        const h = relu(dense(X, Wt, null));
        const loss = sum(mul(h, h));
        backward(loss);
        return loss;
      });
    step(); // creates the persistent grads
    await ctx.sync();
    const before = ctx.pool.bytesInUse;
    const loss = step();
    expect(tapeLength()).toBe(0);
    expect(loss.disposed).toBe(false);
    // Only the returned scalar (one 256-byte size class) is still held.
    expect(ctx.pool.bytesInUse).toBe(before + 256);
    const v = (await loss.toArray())[0]!;
    expect(Number.isFinite(v) && v > 0).toBe(true);
    loss.dispose();
    expect(ctx.pool.bytesInUse).toBe(before);

    let kept: Tensor | null = null;
    tidy(() => {
      kept = keep(scale(X, 2));
      scale(X, 3);
    });
    expect(kept!.disposed).toBe(false);
    // The kept [30×10] tensor holds one buffer of its size class; the unkept one went back.
    expect(ctx.pool.bytesInUse).toBe(before + sizeClass(300 * 4));
    kept!.dispose();
    expect(ctx.pool.bytesInUse).toBe(before);
  });
});

describe('training steady state', () => {
  it('50 steps of dense→relu→dense→BCE (+ L2) → backward → Adam create no buffers or pipelines after step 1', async () => {
    const ctx = await gpu();
    const [N, D, H] = [24, 5, 16];
    const r = rng(42);
    const x = randomArray(N * D, 43);
    const y = Float32Array.from({ length: N }, (_, i) => (x[i * D]! * x[i * D + 1]! > 0 ? 1 : 0));
    const mk = (shape: number[], name: string, scaleBy: number) => {
      const t = Tensor.fromArray(ctx, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scaleBy), shape, {
        persistent: true,
        requiresGrad: true,
      });
      t.name = name;
      return t;
    };
    const params = [mk([D, H], 'd1.kernel', 0.6), mk([H], 'd1.bias', 0.1), mk([H, 1], 'd2.kernel', 0.5), mk([1], 'd2.bias', 0.1)];
    const X = Tensor.fromArray(ctx, x, [N, D], { persistent: true });
    const Y = Tensor.fromArray(ctx, y, [N, 1], { persistent: true });
    const opt = new Adam({ lr: 0.02 });
    // State allocated up front, as the Trainer does: created lazily inside step 1 it would
    // take a buffer that step 1's backward had freed, and step 2 would need one more.
    opt.initState(params);
    const losses: number[] = [];
    let after1 = { buffers: 0, pipelines: 0, bytes: 0 };
    for (let s = 0; s < 50; s++) {
      const loss = tidy(() => {
        const h = dense(X, params[0]!, params[1]!, { relu: true });
        const logits = dense(h, params[2]!, params[3]!);
        const l = add(binaryCrossEntropyWithLogits(logits, Y), l2Penalty([params[0]!, params[2]!], 1e-3));
        backward(l);
        opt.step(params);
        releaseGrads(params);
        return l;
      });
      losses.push((await loss.toArray())[0]!);
      loss.dispose();
      if (s === 0) after1 = { buffers: ctx.stats.buffersCreated, pipelines: ctx.stats.pipelinesCreated, bytes: ctx.pool.bytesInUse };
    }
    expect(ctx.stats.buffersCreated).toBe(after1.buffers);
    expect(ctx.stats.pipelinesCreated).toBe(after1.pipelines);
    expect(ctx.pool.bytesInUse).toBe(after1.bytes);
    expect(opt.iterations).toBe(50);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[49]!).toBeLessThan(losses[0]! * 0.8);
  });
});
