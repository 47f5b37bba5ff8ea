/**
 * The RGB principal components for AlexNet's colour augmentation: the 3×3 symmetric
 * eigen-solver against its definition (A v = λ v, orthonormal, sorted), and computeRgbPca on
 * pixel sets whose covariance is known in closed form.
 */
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/data/image.js';
import { computeRgbPca, symmetricEigen3 } from '../../src/data/pca.js';
import { Rng } from '../../src/data/prng.js';
import { randomImage } from './helpers.js';

describe('symmetricEigen3', () => {
  it('A v = λ v, V orthonormal, λ descending — on random symmetric matrices', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 50; t++) {
      const b = Array.from({ length: 9 }, () => rng.uniform(-1, 1));
      const a = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => b[i * 3 + j]! + b[j * 3 + i]!));
      const { values, vectors: v } = symmetricEigen3(a);
      expect(values[0]).toBeGreaterThanOrEqual(values[1]!);
      expect(values[1]).toBeGreaterThanOrEqual(values[2]!);
      for (let k = 0; k < 3; k++) {
        for (let i = 0; i < 3; i++) {
          let av = 0;
          for (let j = 0; j < 3; j++) av += a[i * 3 + j]! * v[j * 3 + k]!;
          expect(av).toBeCloseTo(values[k]! * v[i * 3 + k]!, 10);
        }
        for (let l = 0; l < 3; l++) {
          let dot = 0;
          for (let i = 0; i < 3; i++) dot += v[i * 3 + k]! * v[i * 3 + l]!;
          expect(dot).toBeCloseTo(k === l ? 1 : 0, 12);
        }
      }
    }
  });

  it('a diagonal matrix: its diagonal, sorted, with unit vectors', () => {
    const { values, vectors } = symmetricEigen3([2, 0, 0, 0, 5, 0, 0, 0, 1]);
    expect(values).toEqual([5, 2, 1]);
    expect(vectors).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
  });
});

/** An image of the given pixel colours. */
function imageOf(pixels: number[][]): RgbImage {
  return { width: pixels.length, height: 1, data: Uint8Array.from(pixels.flat()) };
}

describe('computeRgbPca', () => {
  it('black and white pixels in equal numbers: one component along grey, λ = 3 · ¼', () => {
    const pca = computeRgbPca([imageOf([[0, 0, 0], [255, 255, 255], [0, 0, 0], [255, 255, 255]])]);
    expect(pca.eigenvalues[0]).toBeCloseTo(0.75, 12);
    expect(pca.eigenvalues[1]).toBeCloseTo(0, 12);
    expect(pca.eigenvalues[2]).toBeCloseTo(0, 12);
    for (let c = 0; c < 3; c++) expect(pca.eigenvectors[c]![0]).toBeCloseTo(1 / Math.sqrt(3), 10);
    expect(pca.mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('independent red (0/255) and green (0/102) over several images: diag(¼, 0.04, 0)', () => {
    const combos = [[0, 0, 9], [255, 0, 9], [0, 102, 9], [255, 102, 9]];
    const pca = computeRgbPca([imageOf(combos), imageOf([...combos].reverse())]);
    expect(pca.eigenvalues[0]).toBeCloseTo(0.25, 12);
    expect(pca.eigenvalues[1]).toBeCloseTo(0.04, 12);
    expect(pca.eigenvalues[2]).toBeCloseTo(0, 12);
    expect(pca.eigenvectors.map((r) => r[0])).toEqual([1, 0, 0]);
    expect(pca.eigenvectors.map((r) => Math.abs(r[1]!))).toEqual([0, 1, 0]);
  });

  it('sampling pixels (maxPixelsPerImage) approximates the full computation, deterministically', () => {
    const imgs = [randomImage(64, 64, 1), randomImage(64, 64, 2)];
    const full = computeRgbPca(imgs);
    const a = computeRgbPca(imgs, { maxPixelsPerImage: 2000, seed: 4 });
    const b = computeRgbPca(imgs, { maxPixelsPerImage: 2000, seed: 4 });
    expect(a).toEqual(b);
    a.eigenvalues.forEach((v, i) => expect(Math.abs(v - full.eigenvalues[i]!)).toBeLessThan(0.01));
    // uniform random bytes: each channel's variance is (256² − 1) / 12 / 255² ≈ 0.0837
    full.eigenvalues.forEach((v) => expect(v).toBeCloseTo(0.0837, 2));
  });
});
