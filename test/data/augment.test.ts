/**
 * Augmentation parameters and per-image rendering: Keras's meanings of each option (ranges,
 * units, which axis), the AlexNet crops / flips / PCA colour shift / ten crops, and seeding
 * (same (seed, epoch, image) → same output; another epoch → another augmentation; one option's
 * draws never shift another's).
 */
import { describe, expect, it } from 'vitest';
import {
  type AugmentOptions, composeTransform, imageRng, outputSize, pcaColorShift, renderImage, sampleTransform,
  validateAugmentOptions,
} from '../../src/data/augment.js';
import { type FloatRgbImage, tenCropOrigins, tenCrops } from '../../src/data/image.js';
import { withoutAugmentation } from '../../src/data/loader.js';
import { Rng } from '../../src/data/prng.js';
import { maxAbsDiff, randomImage } from './helpers.js';

function draws(opts: AugmentOptions, n: number, h = 40, w = 50) {
  const rng = new Rng(99);
  return Array.from({ length: n }, () => sampleTransform(opts, rng, h, w));
}
const min = (v: number[]) => Math.min(...v);
const max = (v: number[]) => Math.max(...v);

describe('Keras option meanings', () => {
  it('rotationRange r: θ uniform in [−r, r] degrees', () => {
    const t = draws({ rotationRange: 40 }, 3000).map((p) => p.theta);
    expect(min(t)).toBeGreaterThanOrEqual(-40);
    expect(max(t)).toBeLessThanOrEqual(40);
    expect(min(t)).toBeLessThan(-38);
    expect(max(t)).toBeGreaterThan(38);
    expect(Math.abs(t.reduce((a, b) => a + b) / t.length)).toBeLessThan(1.5);
  });

  it('widthShiftRange < 1 is a fraction of the width (cols, ty); heightShiftRange of the height (rows, tx)', () => {
    const d = draws({ widthShiftRange: 0.2 }, 3000, 40, 50);
    expect(d.every((p) => p.tx === 0)).toBe(true);
    const ty = d.map((p) => p.ty);
    expect(min(ty)).toBeGreaterThanOrEqual(-10);
    expect(max(ty)).toBeLessThanOrEqual(10);
    expect(min(ty)).toBeLessThan(-9.5);
    expect(max(ty)).toBeGreaterThan(9.5);
    const tx = draws({ heightShiftRange: 0.2 }, 3000, 40, 50).map((p) => p.tx);
    expect(max(tx.map(Math.abs))).toBeLessThanOrEqual(8);
    expect(max(tx)).toBeGreaterThan(7.5);
  });

  it('a shift range ≥ 1 is in pixels; a list picks a value with a random sign', () => {
    const px = draws({ heightShiftRange: 3 }, 2000).map((p) => p.tx);
    expect(max(px.map(Math.abs))).toBeLessThanOrEqual(3);
    expect(max(px)).toBeGreaterThan(2.9);
    const list = draws({ widthShiftRange: [2, 5] }, 2000).map((p) => p.ty);
    expect(new Set(list)).toEqual(new Set([-5, -2, 2, 5]));
    const frac = draws({ widthShiftRange: [0.1] }, 200, 40, 50).map((p) => p.ty);
    expect(new Set(frac)).toEqual(new Set([-5, 5]));
  });

  it('shearRange in degrees, uniform in [−s, s]', () => {
    const s = draws({ shearRange: 0.2 }, 2000).map((p) => p.shear);
    expect(max(s.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(max(s)).toBeGreaterThan(0.19);
    // and the map uses degrees: 0.2° of shear moves a corner by far less than a pixel
    const m = composeTransform({ ...draws({}, 1)[0]!, shear: 0.2 }, 40, 50);
    expect(Math.abs(m[1])).toBeCloseTo(Math.sin((0.2 * Math.PI) / 180), 12);
  });

  it('zoomRange z → zx, zy drawn independently from [1 − z, 1 + z]; [lo, hi] as given', () => {
    const d = draws({ zoomRange: 0.2 }, 2000);
    for (const k of ['zx', 'zy'] as const) {
      const z = d.map((p) => p[k]);
      expect(min(z)).toBeGreaterThanOrEqual(0.8);
      expect(max(z)).toBeLessThanOrEqual(1.2);
      expect(min(z)).toBeLessThan(0.81);
      expect(max(z)).toBeGreaterThan(1.19);
    }
    expect(d.filter((p) => p.zx === p.zy).length).toBe(0);
    const e = draws({ zoomRange: [0.5, 0.9] }, 1000).map((p) => p.zx);
    expect(min(e)).toBeGreaterThanOrEqual(0.5);
    expect(max(e)).toBeLessThanOrEqual(0.9);
  });

  it('flips happen with probability ½ when enabled, never otherwise', () => {
    const d = draws({ horizontalFlip: true }, 2000);
    const hf = d.filter((p) => p.flipHorizontal).length / d.length;
    expect(hf).toBeGreaterThan(0.45);
    expect(hf).toBeLessThan(0.55);
    expect(d.some((p) => p.flipVertical)).toBe(false);
    expect(draws({ verticalFlip: true }, 500).some((p) => p.flipHorizontal)).toBe(false);
  });

  it('the draws of one option do not depend on which other options are on', () => {
    const a = draws({ rotationRange: 30 }, 50).map((p) => p.theta);
    const b = draws({ rotationRange: 30, zoomRange: 0.3, shearRange: 10, horizontalFlip: true, widthShiftRange: [1, 2] }, 50).map((p) => p.theta);
    expect(b).toEqual(a);
  });
});

describe('AlexNet crops and colour noise', () => {
  it('random crop: corner uniform over every valid position; output has the crop size', () => {
    const d = draws({ crop: [32, 40] }, 3000, 40, 50);
    const ys = d.map((p) => p.cropY);
    const xs = d.map((p) => p.cropX);
    expect(new Set(ys)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(new Set(xs)).toEqual(new Set(Array.from({ length: 11 }, (_, i) => i)));
    expect(outputSize({ crop: [32, 40] }, 40, 50)).toEqual([32, 40]);
    expect(() => outputSize({ crop: 41 }, 40, 50)).toThrow(/does not fit/);
  });

  it('centre crop at floor((H − h) / 2), floor((W − w) / 2); withoutAugmentation turns crop into it', () => {
    const p = sampleTransform({ centerCrop: 7 }, new Rng(1), 12, 10);
    expect([p.cropY, p.cropX]).toEqual([2, 1]);
    expect(withoutAugmentation({ rescale: 0.5, crop: 224, rotationRange: 20, horizontalFlip: true })).toEqual({ rescale: 0.5, centerCrop: 224 });
  });

  it('PCA colour shift = 255 · Σ pᵢ αᵢ σ λᵢ (paper) or √λᵢ (stddev)', () => {
    const eigenvectors: [[number, number, number], [number, number, number], [number, number, number]] = [
      [0.6, 0.8, 0],
      [0.8, -0.6, 0],
      [0, 0, 1],
    ];
    const pca = { eigenvalues: [0.04, 0.01, 0.0025] as [number, number, number], eigenvectors, std: 0.1 };
    const alphas = [1, -2, 0.5];
    const k = [0.1 * 1 * 0.04, 0.1 * -2 * 0.01, 0.1 * 0.5 * 0.0025];
    const want = [255 * (0.6 * k[0]! + 0.8 * k[1]!), 255 * (0.8 * k[0]! - 0.6 * k[1]!), 255 * k[2]!];
    pcaColorShift(pca, alphas).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    const ks = [0.1 * 1 * 0.2, 0.1 * -2 * 0.1, 0.1 * 0.5 * 0.05];
    const wantS = [255 * (0.6 * ks[0]! + 0.8 * ks[1]!), 255 * (0.8 * ks[0]! - 0.6 * ks[1]!), 255 * ks[2]!];
    pcaColorShift({ ...pca, magnitude: 'stddev' }, alphas).forEach((v, i) => expect(v).toBeCloseTo(wantS[i]!, 12));
  });

  it('PCA noise shifts every pixel of an image by the same colour, new per image', () => {
    const img = randomImage(6, 5, 8);
    const pca = { eigenvalues: [0.05, 0.02, 0.01] as [number, number, number], eigenvectors: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as [[number, number, number], [number, number, number], [number, number, number]], std: 0.5 };
    const out = new Float32Array(6 * 5 * 3);
    const p = renderImage({ data: img.data, height: 5, width: 6 }, { pcaNoise: pca }, true, imageRng(1, 0, 3), out, 0);
    const shifts = Array.from(out, (v, i) => v - img.data[i]!);
    for (let c = 0; c < 3; c++) {
      const s = shifts.filter((_, i) => i % 3 === c);
      expect(max(s) - min(s)).toBeLessThan(1e-4);
      expect(s[0]).toBeCloseTo(p.colorShift[c]!, 4);
    }
    expect(max(p.colorShift.map(Math.abs))).toBeGreaterThan(0.01);
    const q = renderImage({ data: img.data, height: 5, width: 6 }, { pcaNoise: pca }, true, imageRng(1, 0, 4), out, 0);
    expect(q.colorShift).not.toEqual(p.colorShift);
  });

  it('tenCrops: corners, centre, then their mirrors', () => {
    // pixel (x, y) = (x, y, 0): every crop names where it came from
    const w = 7;
    const h = 6;
    const data = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 0], (y * w + x) * 3);
    const img: FloatRgbImage = { width: w, height: h, data };
    const crops = tenCrops(img, [4, 3]); // 4 high, 3 wide
    expect(crops).toHaveLength(10);
    const corner = (c: FloatRgbImage) => [c.data[0], c.data[1]];
    expect(crops.slice(0, 5).map(corner)).toEqual([[0, 0], [4, 0], [0, 2], [4, 2], [2, 1]]);
    expect(tenCropOrigins(h, w, 4, 3)).toEqual([[0, 0], [0, 4], [2, 0], [2, 4], [1, 2]]);
    for (let i = 0; i < 5; i++) {
      const a = crops[i]!;
      const m = crops[i + 5]!;
      expect([m.width, m.height]).toEqual([3, 4]);
      for (let y = 0; y < 4; y++) for (let x = 0; x < 3; x++) {
        expect(m.data[(y * 3 + x) * 3]).toBe(a.data[(y * 3 + (2 - x)) * 3]);
        expect(m.data[(y * 3 + x) * 3 + 1]).toBe(a.data[(y * 3 + (2 - x)) * 3 + 1]);
      }
    }
  });

  it('the tenCrop render option writes the same ten views as tenCrops', () => {
    const img = randomImage(9, 8, 12);
    const out = new Float32Array(10 * 5 * 6 * 3);
    renderImage({ data: img.data, height: 8, width: 9 }, { tenCrop: [5, 6], rescale: 0.5 }, false, null, out, 0);
    const want = tenCrops(img, [5, 6]);
    want.forEach((c, i) => {
      const got = out.subarray(i * 90, (i + 1) * 90);
      expect(maxAbsDiff(got, Array.from(c.data, (v) => v * 0.5))).toBe(0);
    });
  });
});

describe('rendering and seeding', () => {
  const img = randomImage(20, 16, 31);
  const src = { data: img.data, height: 16, width: 20 };
  const opts: AugmentOptions = {
    rescale: 1 / 255, rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true,
  };
  const render = (o: AugmentOptions, augment: boolean, seed: number, epoch: number, index: number) => {
    const out = new Float32Array(outputSize(o, 16, 20).reduce((a, b) => a * b) * 3);
    renderImage(src, o, augment, imageRng(seed, epoch, index), out, 0);
    return out;
  };

  it('same (seed, epoch, image) → identical output; another epoch or image or seed → different', () => {
    const a = render(opts, true, 1, 0, 5);
    expect(Array.from(render(opts, true, 1, 0, 5))).toEqual(Array.from(a));
    expect(maxAbsDiff(render(opts, true, 1, 1, 5), a)).toBeGreaterThan(0.05);
    expect(maxAbsDiff(render(opts, true, 1, 0, 6), a)).toBeGreaterThan(0.05);
    expect(maxAbsDiff(render(opts, true, 2, 0, 5), a)).toBeGreaterThan(0.05);
  });

  it('without augmentation: exactly pixel · rescale, whatever the random options say', () => {
    const out = render(opts, false, 1, 0, 5);
    expect(Array.from(out)).toEqual(Array.from(img.data, (v) => Math.fround(v * (1 / 255))));
  });

  it('no rescale by default (Keras): values stay 0–255', () => {
    const out = render({ rotationRange: 10 }, true, 1, 0, 0);
    expect(max(Array.from(out))).toBeGreaterThan(200);
  });
});

describe('option validation', () => {
  it('names the bad option', () => {
    expect(() => validateAugmentOptions({ rotationRange: -1 })).toThrow(/rotationRange/);
    expect(() => validateAugmentOptions({ zoomRange: [1.2, 0.8] })).toThrow(/zoomRange/);
    expect(() => validateAugmentOptions({ zoomRange: 1 })).toThrow(/zoomRange/);
    expect(() => validateAugmentOptions({ fillMode: 'mirror' as 'wrap' })).toThrow(/fillMode/);
    expect(() => validateAugmentOptions({ crop: 10, centerCrop: 10 })).toThrow(/at most one/);
    expect(() => validateAugmentOptions({ tenCrop: 10, horizontalFlip: true })).toThrow(/tenCrop/);
    expect(() => validateAugmentOptions({ pcaNoise: { eigenvalues: [1, 2] } as never })).toThrow(/pcaNoise/);
    expect(() => validateAugmentOptions({ widthShiftRange: [-1] })).toThrow(/widthShiftRange/);
  });
});
