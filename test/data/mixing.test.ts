/**
 * Label smoothing and mixup against their definitions: exact values for smoothing, the
 * blend of each image with its partner for mixup, Beta(α, α) moments for the mixing weight,
 * and the same draws for the same seed.
 */
import { describe, expect, it } from 'vitest';
import { mixupBatch, sampleBeta, smoothLabels } from '../../src/data/mixing.js';
import { Rng } from '../../src/data/prng.js';

describe('label smoothing', () => {
  it('binary targets move ε/2 towards ½ (Keras binary_crossentropy); one-hot ones ε/K towards uniform', () => {
    const y = Float32Array.from([0, 1, 1, 0]);
    smoothLabels(y, 0.1, 1);
    expect(Array.from(y)).toEqual(Array.from(Float32Array.from([0.05, 0.95, 0.95, 0.05])));
    const oneHot = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 0]); // two rows of 4 classes
    smoothLabels(oneHot, 0.2, 4);
    expect(Array.from(oneHot)).toEqual(Array.from(Float32Array.from([0.05, 0.05, 0.85, 0.05, 0.85, 0.05, 0.05, 0.05])));
    expect(() => smoothLabels(y, 1, 1)).toThrow(/\[0, 1\)/);
  });
});

describe('mixup', () => {
  it('Beta(α, α) draws have the mean ½ and variance 1 / (4(2α + 1))', () => {
    for (const alpha of [0.2, 0.4, 1, 3]) {
      const rng = new Rng(7);
      const n = 20000;
      let s = 0;
      let s2 = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = sampleBeta(alpha, alpha, rng);
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        s += v;
        s2 += v * v;
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      const want = 1 / (4 * (2 * alpha + 1));
      // Standard error of the mean ≈ sqrt(var / n) ≤ 0.0036: 5σ bounds.
      expect(Math.abs(mean - 0.5), `α=${alpha}`).toBeLessThan(0.018);
      expect(Math.abs(variance - want) / want, `α=${alpha}`).toBeLessThan(0.05);
    }
  });

  it('each image becomes λ·itself + (1 − λ)·its partner, labels likewise; same seed, same mix', () => {
    const n = 5;
    const pixels = 12;
    const r = new Rng(3);
    const x = Float32Array.from({ length: n * pixels }, () => r.next());
    const y = Float32Array.from([0, 1, 1, 0, 1]);
    const x0 = x.slice();
    const y0 = y.slice();
    const { lambda, partner } = mixupBatch(x, y, n, 0.4, new Rng(11));
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeLessThan(1);
    expect([...partner].sort()).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < n; i++) {
      const j = partner[i]!;
      for (let p = 0; p < pixels; p++) expect(x[i * pixels + p]).toBeCloseTo(lambda * x0[i * pixels + p]! + (1 - lambda) * x0[j * pixels + p]!, 6);
      expect(y[i]).toBeCloseTo(lambda * y0[i]! + (1 - lambda) * y0[j]!, 6);
    }
    const again = x0.slice();
    const yAgain = y0.slice();
    expect(mixupBatch(again, yAgain, n, 0.4, new Rng(11)).lambda).toBe(lambda);
    expect(Array.from(again)).toEqual(Array.from(x));
  });
});
