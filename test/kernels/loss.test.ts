/**
 * Losses, L2 penalty and accuracy counts against float64 references; every reference
 * gradient against central finite differences.
 *
 * Tolerances: the losses are means of N ≤ 100 terms with one exp/log each (a few float32
 * ulps per term on lavapipe), so values use atol 1e-5, rtol 1e-5 and gradients, (σ − y)/N
 * of magnitude ≤ 1/N, atol 1e-6, rtol 1e-4. References against finite differences (float64,
 * h = 1e-6, truncation ~h²·f''' plus cancellation ~1e-16/h): atol 1e-7, rtol 1e-5. The L2
 * sum of squares over 300k weights in float32 partial sums: rtol 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/autograd/tape.js';
import { scale } from '../../src/autograd/ops/basic.js';
import {
  binaryAccuracy,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  categoricalAccuracy,
  l2Penalty,
  softmaxCrossEntropy,
} from '../../src/autograd/ops/loss.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { unary } from '../../src/kernels/elementwise/elementwise.js';
import type { GpuContext } from '../../src/kernels/context.js';
import {
  bceLogitsRef,
  bceProbsRef,
  binaryAccuracyRef,
  categoricalAccuracyRef,
  clipBounds,
  l2Ref,
  softmaxCERef,
} from '../../src/kernels/loss/loss-ref.js';
import { expectClose, gpu, numericGrad, randomArray, rng, sampleIndices } from '../helpers.js';

const VAL = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 1e-6, rtol: 1e-4 };
const FD = { atol: 1e-7, rtol: 1e-5 };

/** Fills pooled buffers of these sizes with NaN and frees them, so the next ops' outputs start as NaN. */
function poisonPool(ctx: GpuContext, sizes: number[]): void {
  const ts = sizes.map((n) => Tensor.empty(ctx, [n]));
  for (const t of ts) unary(ctx, 'fill', t.buffer, t.buffer, t.size, NaN);
  for (const t of ts) t.dispose();
}

function labels01(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));
}

function oneHot(N: number, C: number, seed: number): Float32Array {
  const r = rng(seed);
  const y = new Float32Array(N * C);
  for (let i = 0; i < N; i++) y[i * C + Math.floor(r() * C)] = 1;
  return y;
}

function softLabels(N: number, C: number, seed: number): Float32Array {
  const y = randomArray(N * C, seed, 0.05, 1);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += y[i * C + c]!;
    for (let c = 0; c < C; c++) y[i * C + c]! /= s;
  }
  return y;
}

/** Runs loss(x, y) on the GPU, backward with upstream gradient `upstream`, returns [loss, dx]. */
async function runLoss(
  ctx: GpuContext,
  fn: (x: Tensor, y: Tensor) => Tensor,
  x: Float32Array,
  y: Float32Array,
  shape: number[],
  upstream = 1,
): Promise<[number, Float32Array]> {
  poisonPool(ctx, Array(8).fill(x.length));
  const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true, persistent: true });
  const Y = Tensor.fromArray(ctx, y, shape);
  const L = fn(X, Y);
  expect(L.shape).toEqual([1]);
  backward(upstream === 1 ? L : scale(L, upstream));
  const loss = (await L.toArray())[0]!;
  const dx = await X.grad!.toArray();
  X.grad!.dispose();
  X.dispose();
  return [loss, dx];
}

function checkFd(f: (x: Float64Array) => number, x: ArrayLike<number>, grad: ArrayLike<number>, seed: number): void {
  const idx = sampleIndices(x.length, 12, seed);
  const num = numericGrad(f, x, { indices: idx });
  expectClose(num.grad, idx.map((i) => grad[i]!), FD, 'finite differences vs reference gradient');
}

describe('binaryCrossEntropyWithLogits', () => {
  for (const [N, shape, soft] of [
    [37, [37], false],
    [8, [8, 1], false],
    [61, [61, 1], true],
  ] as const)
    it(`N=${N} shape [${shape}] ${soft ? 'soft' : '0/1'} labels: value and gradient`, async () => {
      const ctx = await gpu();
      const z = randomArray(N, 11 + N, -8, 8);
      const y = soft ? randomArray(N, 12 + N, 0, 1) : labels01(N, 12 + N);
      const ref = bceLogitsRef(z, y);
      const [loss, dx] = await runLoss(ctx, binaryCrossEntropyWithLogits, z, y, [...shape], 2.5);
      expectClose([loss], [ref.loss], VAL, 'loss');
      expectClose(dx, ref.grad.map((g) => 2.5 * g), GRAD, 'dlogits');
      checkFd((zz) => bceLogitsRef(zz, y).loss, z, ref.grad, N);
    });

  it('logits of ±100 (and ±20, ±1e4) give finite, exact values and gradients', async () => {
    const ctx = await gpu();
    const z = Float32Array.from([100, 100, -100, -100, 20, -20, 1e4, -1e4, 0.5]);
    const y = Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1, 1]);
    const ref = bceLogitsRef(z, y);
    // Per element: 100 − 100 + log1p(e⁻¹⁰⁰) ≈ 3.7e-44, 100, 100, ≈0, 2.06e-9, 2.06e-9, 1e4, 1e4, …
    expect(Number.isFinite(ref.loss)).toBe(true);
    const [loss, dx] = await runLoss(ctx, binaryCrossEntropyWithLogits, z, y, [9, 1]);
    expect(Number.isFinite(loss)).toBe(true);
    expectClose([loss], [ref.loss], { atol: 1e-6, rtol: 1e-6 }, 'loss');
    expectClose(dx, ref.grad, { atol: 1e-7, rtol: 1e-5 }, 'dlogits');
    // Each saturated term separately: exact 0 / 100 / tiny.
    for (const [zi, yi, want] of [
      [100, 0, 100],
      [-100, 1, 100],
      [100, 1, 0],
      [-100, 0, 0],
      [20, 1, Math.log1p(Math.exp(-20))],
    ] as const) {
      const [l] = await runLoss(ctx, binaryCrossEntropyWithLogits, Float32Array.of(zi), Float32Array.of(yi), [1]);
      expectClose([l], [want], { atol: 1e-12, rtol: 1e-5 }, `bce(${zi}, ${yi})`);
    }
  });
});

describe('binaryCrossEntropy (probabilities, Keras clip)', () => {
  it('N=45 interior probabilities: value, gradient, finite differences', async () => {
    const ctx = await gpu();
    const N = 45;
    const p = randomArray(N, 21, 0.02, 0.98);
    const y = labels01(N, 22);
    const ref = bceProbsRef(p, y);
    const [loss, dx] = await runLoss(ctx, (a, b) => binaryCrossEntropy(a, b), p, y, [N, 1]);
    expectClose([loss], [ref.loss], VAL, 'loss');
    // 1/q reaches 50/N: relative tolerance carries it.
    expectClose(dx, ref.grad, GRAD, 'dprobs');
    checkFd((pp) => bceProbsRef(pp, y).loss, p, ref.grad, 23);
  });

  it('clipped probabilities: bounded values, zero gradient where clipped', async () => {
    const ctx = await gpu();
    // 0, 1, 1e-9 and 1−1e-10 (= 1 in float32) are clipped; 0.3/0.8 are not.
    const p = Float32Array.from([0, 1, 1e-9, 1 - 1e-10, 0, 1, 0.3, 0.8, 1e-3]);
    const y = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 0, 1]);
    const ref = bceProbsRef(p, y);
    const { lo, hi } = clipBounds(1e-7);
    // −log(ε) = 16.118 and −log(1 − (1 − ε)f32) = 15.942: the float32 bound matters.
    expect(-Math.log(lo)).toBeCloseTo(16.118, 3);
    expect(-Math.log(1 - hi)).toBeCloseTo(15.942, 3);
    const [loss, dx] = await runLoss(ctx, (a, b) => binaryCrossEntropy(a, b), p, y, [9]);
    expect(Number.isFinite(loss)).toBe(true);
    expectClose([loss], [ref.loss], { atol: 1e-5, rtol: 1e-5 }, 'loss');
    expectClose(dx, ref.grad, { atol: 1e-6, rtol: 1e-4 }, 'dprobs');
    for (const i of [0, 1, 2, 3, 4, 5]) expect(dx[i], `clipped element ${i}`).toBe(0);
    expect(dx[8]).toBeCloseTo(-1000 / 9, 2);
    // Custom epsilon: the loss of p = 0, y = 1 is −log(ε).
    const [l2] = await runLoss(ctx, (a, b) => binaryCrossEntropy(a, b, { epsilon: 1e-3 }), Float32Array.of(0), Float32Array.of(1), [1]);
    expectClose([l2], [-Math.log(Math.fround(1e-3))], { atol: 1e-6, rtol: 1e-6 }, 'loss with ε = 1e-3');
  });
});

describe('softmaxCrossEntropy', () => {
  for (const [N, C, soft] of [
    [13, 7, false],
    [8, 2, false],
    [5, 11, true],
  ] as const)
    it(`[${N}×${C}] ${soft ? 'soft' : 'one-hot'} labels: value, gradient, finite differences`, async () => {
      const ctx = await gpu();
      const z = randomArray(N * C, 31 + C, -5, 5);
      const y = soft ? softLabels(N, C, 32) : oneHot(N, C, 32 + C);
      const ref = softmaxCERef(z, y, N, C);
      const [loss, dx] = await runLoss(ctx, softmaxCrossEntropy, z, y, [N, C], 0.75);
      expectClose([loss], [ref.loss], VAL, 'loss');
      expectClose(dx, ref.grad.map((g) => 0.75 * g), GRAD, 'dlogits');
      checkFd((zz) => softmaxCERef(zz, y, N, C).loss, z, ref.grad, 33);
    });

  it('large logits (|z| up to 5000) stay finite and exact', async () => {
    const ctx = await gpu();
    const [N, C] = [6, 3];
    const z = Float32Array.from([5000, 0, -5000, 1000, 1001, 999, -3000, -3000, -2999, 88, 89, 90, 1e4, 1e4, 1e4, 0, 200, -200]);
    const y = oneHot(N, C, 41);
    const ref = softmaxCERef(z, y, N, C);
    const [loss, dx] = await runLoss(ctx, softmaxCrossEntropy, z, y, [N, C]);
    expect(Number.isFinite(loss)).toBe(true);
    // Terms up to 1e4: float32 lse carries ~1e4·6e-8 = 6e-4 absolute.
    expectClose([loss], [ref.loss], { atol: 2e-3, rtol: 1e-5 }, 'loss');
    expectClose(dx, ref.grad, { atol: 1e-6, rtol: 1e-4 }, 'dlogits');
  });

  it('rejects mismatched shapes', async () => {
    const ctx = await gpu();
    const a = Tensor.fromArray(ctx, randomArray(6, 1), [2, 3]);
    const b = Tensor.fromArray(ctx, randomArray(6, 2), [3, 2]);
    expect(() => softmaxCrossEntropy(a, b)).toThrow(/softmaxCrossEntropy.*\[2×3\].*\[3×2\]/);
    expect(() => binaryCrossEntropyWithLogits(a, Tensor.fromArray(ctx, randomArray(5, 3), [5]))).toThrow(/binaryCrossEntropyWithLogits/);
  });
});

describe('l2Penalty', () => {
  it('λ·Σw² over several weights (one of 300,001 elements) and its gradient 2λw', async () => {
    const ctx = await gpu();
    const shapes = [[37, 5], [11], [3, 3, 3, 7], [300_001]];
    const lambda = 5e-4;
    const data = shapes.map((s, k) => randomArray(s.reduce((a, b) => a * b, 1), 51 + k));
    const ref = l2Ref(data, lambda);
    poisonPool(ctx, [...Array(8).fill(1), 300_001, 300_001, 300_001]);
    const ws = data.map((d, k) => Tensor.fromArray(ctx, d, shapes[k]!, { requiresGrad: true, persistent: true }));
    const P = l2Penalty(ws, lambda);
    expect(P.shape).toEqual([1]);
    backward(scale(P, 3));
    expectClose(await P.toArray(), [ref.value], { atol: 1e-7, rtol: 1e-5 }, 'penalty');
    for (let k = 0; k < ws.length; k++) {
      expectClose(await ws[k]!.grad!.toArray(), ref.grads[k]!.map((g) => 3 * g), { atol: 1e-9, rtol: 1e-5 }, `dw${k}`);
    }
    // The reference gradient against finite differences of the reference value (weights 0 and 3).
    for (const k of [0, 3]) {
      // The other weights only add a constant: the penalty of weight k alone has the same gradient.
      const f = (w: Float64Array) => l2Ref([w], lambda).value;
      const idx = sampleIndices(data[k]!.length, 8, 60 + k);
      const num = numericGrad(f, data[k]!, { indices: idx, h: 1e-3 });
      // Quadratic: central differences are exact up to roundoff of a ~1e2 sum (1e-13/1e-3).
      expectClose(num.grad, idx.map((i) => ref.grads[k]![i]!), { atol: 1e-9, rtol: 1e-6 }, `fd dw${k}`);
    }
    ws.forEach((w) => {
      w.grad!.dispose();
      w.dispose();
    });
  });
});

describe('accuracy counts', () => {
  it('binaryAccuracy from probabilities and from logits (N=101)', async () => {
    const ctx = await gpu();
    const N = 101;
    const y = labels01(N, 71);
    const z = randomArray(N, 72, -3, 3);
    const p = z.map((v) => 1 / (1 + Math.exp(-v)));
    poisonPool(ctx, Array(4).fill(1));
    const Y = Tensor.fromArray(ctx, y, [N, 1]);
    const fromLogits = binaryAccuracy(Tensor.fromArray(ctx, z, [N, 1]), Y, { fromLogits: true });
    const fromProbs = binaryAccuracy(Tensor.fromArray(ctx, p, [N, 1]), Y);
    const want = binaryAccuracyRef(z, y, true);
    expect(want).toBe(binaryAccuracyRef(p, y, false));
    expect(want).toBeGreaterThan(20);
    expect(want).toBeLessThan(80);
    expect(fromLogits.shape).toEqual([1]);
    expect((await fromLogits.toArray())[0]).toBe(want);
    expect((await fromProbs.toArray())[0]).toBe(want);
    // Threshold is strict (Keras: y_pred > 0.5): p = 0.5 predicts class 0.
    const edge = binaryAccuracy(Tensor.fromArray(ctx, [0.5, 0.5, 0.50001], [3]), Tensor.fromArray(ctx, [0, 1, 1], [3]));
    expect((await edge.toArray())[0]).toBe(2);
  });

  it('categoricalAccuracy counts argmax matches, first index on ties (N=67, C=5)', async () => {
    const ctx = await gpu();
    const [N, C] = [67, 5];
    const y = oneHot(N, C, 81);
    const z = randomArray(N * C, 82, -2, 2);
    // Ties: row 0 all equal (argmax 0), row 1 equal maxima at 2 and 4 (argmax 2).
    z.fill(1, 0, C);
    z.set([0, 0.1, 3, 0.2, 3], C);
    const want = categoricalAccuracyRef(z, y, N, C);
    expect(want).toBeGreaterThan(3);
    poisonPool(ctx, Array(4).fill(1));
    const acc = categoricalAccuracy(Tensor.fromArray(ctx, z, [N, C]), Tensor.fromArray(ctx, y, [N, C]));
    expect((await acc.toArray())[0]).toBe(want);
    // Tie rows alone: predictions 0 and 2.
    const tie = categoricalAccuracy(
      Tensor.fromArray(ctx, z.subarray(0, 2 * C), [2, C]),
      Tensor.fromArray(ctx, [1, 0, 0, 0, 0, 0, 0, 1, 0, 0], [2, C]),
    );
    expect((await tie.toArray())[0]).toBe(2);
  });
});
