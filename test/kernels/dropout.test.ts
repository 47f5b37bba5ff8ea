import { describe, expect, it } from 'vitest';
import { dropoutApply, dropoutScale } from '../../src/kernels/dropout/dropout.js';
import { dropoutMaskRef, dropoutRef } from '../../src/kernels/dropout/dropout-ref.js';
import { dropout } from '../../src/autograd/ops/dropout.js';
import { Tensor, backward, tidy } from '../../src/autograd/index.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray } from '../helpers.js';

// Tolerances: dropout multiplies by one float32 constant, so kept values must equal
// fround(x·fround(1/(1−p))) EXACTLY and dropped ones be exactly 0. The kept fraction of a
// large tensor must lie within 3 standard deviations √(p(1−p)/n) of 1 − p.

const N_LARGE = (1 << 20) + 3; // ≥ 1e6 elements, not a multiple of the workgroup

function keptMask(y: Float32Array): Uint8Array {
  return Uint8Array.from(y, (v) => (v !== 0 ? 1 : 0));
}

/** Index of the first difference, or -1 (vitest's deep equality is slow on 1e6 elements). */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function countOnes(m: Uint8Array): number {
  let k = 0;
  for (const v of m) k += v;
  return k;
}

describe('dropout', () => {
  // The kept-fraction check runs on ≥ 1e6 elements; a second rate on a smaller tensor.
  for (const [rate, n] of [[0.3, N_LARGE], [0.5, 100_001]] as const)
    it(`rate ${rate}, ${n} elements: kept fraction, exact scaling, backward mask = forward mask, host mirror`, async () => {
      const ctx = await gpu();
      const x = randomArray(n, 1, 0.5, 2); // never zero, so y ≠ 0 ⇔ kept
      const g = randomArray(n, 2, 0.5, 2);
      const X = Tensor.fromArray(ctx, x, [n], { requiresGrad: true });
      const seed = 12345;
      // Poison the pool's next buffers of this size so an unwritten element shows as NaN.
      poisoned(ctx, [n]).dispose();
      poisoned(ctx, [n]).dispose();
      const y = tidy(() => {
        const out = dropout(X, { rate, seed, training: true });
        backward(out, Tensor.fromArray(ctx, g, [n]));
        return out;
      });
      const ya = await y.toArray();
      const dxa = await X.grad!.toArray();
      const scale = dropoutScale(rate);
      const mask = keptMask(ya);
      const kept = countOnes(mask);
      const sd = Math.sqrt((rate * (1 - rate)) / n);
      expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(3 * sd);
      for (let i = 0; i < n; i++) {
        const wantY = mask[i] ? Math.fround(x[i]! * scale) : 0;
        const wantDx = mask[i] ? Math.fround(g[i]! * scale) : 0;
        if (ya[i] !== wantY || dxa[i] !== wantDx) {
          expect.fail(`element ${i}: y ${ya[i]} (want ${wantY}), dx ${dxa[i]} (want ${wantDx}), kept ${mask[i]}`);
        }
      }
      // The backward reuses exactly the forward's mask.
      expect(firstDiff(keptMask(dxa), mask), 'backward mask differs at').toBe(-1);
      // And both are the host mirror of the hash.
      expect(firstDiff(mask, dropoutMaskRef(n, rate, seed)), 'host mirror differs at').toBe(-1);
      [X, X.grad!, y].forEach((t) => t.dispose());
    });

  it('same seed → same mask; different seeds → different, uncorrelated masks', async () => {
    const ctx = await gpu();
    const n = 200_003;
    const rate = 0.5;
    const X = Tensor.fromArray(ctx, randomArray(n, 3, 0.5, 2), [n]);
    const run = async (seed: number) => {
      const Y = poisoned(ctx, [n]);
      dropoutApply(ctx, X.buffer, Y.buffer, n, rate, seed);
      const m = keptMask(await Y.toArray());
      Y.dispose();
      return m;
    };
    const a = await run(7);
    const a2 = await run(7);
    const b = await run(8);
    const c = await run(7 ^ 0x10000);
    expect(firstDiff(a2, a), 'same seed differs at').toBe(-1);
    expect(firstDiff(b, a)).toBeGreaterThanOrEqual(0);
    // Independent masks agree on a kept element with probability (1−p)²: within 3 sd.
    for (const other of [b, c]) {
      let both = 0;
      for (let i = 0; i < n; i++) both += a[i]! & other[i]!;
      const p2 = (1 - rate) ** 2;
      expect(Math.abs(both / n - p2)).toBeLessThan(3 * Math.sqrt((p2 * (1 - p2)) / n));
    }
    X.dispose();
  });

  it('forward and backward against the float64 reference, reference against finite differences', async () => {
    const ctx = await gpu();
    const n = 1001;
    const rate = 0.25;
    const seed = 99;
    const x = randomArray(n, 4);
    const w = randomArray(n, 5);
    const X = Tensor.fromArray(ctx, x, [n]);
    const W = Tensor.fromArray(ctx, w, [n]);
    const Y = poisoned(ctx, [n]);
    const DX = poisoned(ctx, [n]);
    dropoutApply(ctx, X.buffer, Y.buffer, n, rate, seed);
    dropoutApply(ctx, W.buffer, DX.buffer, n, rate, seed); // backward of L = Σ w·y
    // float32 vs float64: one rounding of x/(1−p): rtol 1e-7 (2^-24 ≈ 6e-8), atol 0.
    expectClose(await Y.toArray(), dropoutRef(x, rate, seed), { atol: 0, rtol: 1e-7 }, 'y');
    const dxRef = dropoutRef(w, rate, seed); // the reference gradient: w·mask/(1−p)
    expectClose(await DX.toArray(), dxRef, { atol: 0, rtol: 1e-7 }, 'dx');
    const num = numericGrad((xs) => dot(w, dropoutRef(xs, rate, seed)), x, { indices: [0, 1, 2, 3, 500, 999, 1000] });
    // L is linear in x: central differences are exact up to rounding (1e-8).
    expectClose(num.grad, num.indices.map((i) => dxRef[i]!), { atol: 1e-8, rtol: 1e-8 }, 'finite differences');
    [X, W, Y, DX].forEach((t) => t.dispose());
  });

  it('inference and rate 0 are the identity; bad arguments throw', async () => {
    const ctx = await gpu();
    const X = Tensor.fromArray(ctx, randomArray(37, 6), [37], { requiresGrad: true });
    expect(dropout(X, { rate: 0.5, seed: 1, training: false })).toBe(X);
    expect(dropout(X, { rate: 0, seed: 1, training: true })).toBe(X);
    expect(() => dropout(X, { rate: 1, seed: 1, training: true })).toThrow(/rate/);
    expect(() => dropout(X, { rate: 0.5, seed: -1, training: true })).toThrow(/seed/);
    expect(() => dropout(X, { rate: 0.5, seed: 1.5, training: true })).toThrow(/seed/);
    X.dispose();
  });
});
