/**
 * Resizing to the target size: the same pixels as Pillow's Image.resize (what Keras's load_img
 * calls), for NEAREST (Keras's default) and BILINEAR, down- and up-scaling, checked bit for
 * bit against values produced by Pillow 12 (fixtures/resize-pillow.json); and the aspect ratio
 * is not preserved (images are stretched, as Keras does).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resizeImage } from '../../src/data/resize.js';
import { randomImage } from './helpers.js';

interface ResizeFixture {
  width: number;
  height: number;
  source: number[];
  cases: { method: 'nearest' | 'bilinear'; width: number; height: number; data: number[] }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/resize-pillow.json', import.meta.url), 'utf8')) as ResizeFixture;
const src = { width: fx.width, height: fx.height, data: Uint8Array.from(fx.source) };

describe('resize matches Pillow', () => {
  for (const c of fx.cases) {
    it(`${c.method} ${fx.width}x${fx.height} → ${c.width}x${c.height}`, () => {
      const out = resizeImage(src, c.width, c.height, c.method);
      expect([out.width, out.height]).toEqual([c.width, c.height]);
      expect(Array.from(out.data)).toEqual(c.data);
    });
  }
});

describe('resize conventions', () => {
  it('stretches: a 40×10 image becomes 20×20 with rows and columns sampled independently', () => {
    // Pixel (x, y) holds (x, y, 0), so each output pixel names its source pixel.
    const w = 40;
    const h = 10;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 0], (y * w + x) * 3);
    const out = resizeImage({ width: w, height: h, data }, 20, 20, 'nearest');
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        const p = (y * 20 + x) * 3;
        expect(out.data[p]).toBe(Math.floor((x + 0.5) * 2)); // 40 → 20: every other column
        expect(out.data[p + 1]).toBe(Math.floor((y + 0.5) / 2)); // 10 → 20: every row twice
      }
    }
  });

  it('same size is the identity for both filters', () => {
    const img = randomImage(9, 7, 3);
    expect(Array.from(resizeImage(img, 9, 7, 'nearest').data)).toEqual(Array.from(img.data));
    expect(Array.from(resizeImage(img, 9, 7, 'bilinear').data)).toEqual(Array.from(img.data));
  });

  it('writes into a given buffer at an offset (the loader cache)', () => {
    const img = randomImage(9, 7, 4);
    const cache = new Uint8Array(2 * 5 * 4 * 3).fill(7);
    resizeImage(img, 5, 4, 'bilinear', cache, 5 * 4 * 3);
    expect(Array.from(cache.subarray(0, 60))).toEqual(new Array(60).fill(7));
    expect(Array.from(cache.subarray(60))).toEqual(Array.from(resizeImage(img, 5, 4, 'bilinear').data));
  });

  it('rejects bad sizes and filters', () => {
    const img = randomImage(4, 4, 1);
    expect(() => resizeImage(img, 0, 4)).toThrow(/bad target size/);
    expect(() => resizeImage(img, 4, 4, 'bicubic' as 'nearest')).toThrow(/unknown interpolation/);
  });
});
