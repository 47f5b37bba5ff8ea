/**
 * PNG decoding: every colour type and bit depth → RGB, against pixel values known from how the
 * file was written. Files are assembled by hand (helpers.makePng) so palette, low bit depths,
 * 16-bit and interlacing are all covered. Alpha is dropped (PIL's convert('RGB')), not
 * composited — each test with alpha uses a pixel with alpha 0 whose colour must survive.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage, decodePng, sniffImageFormat } from '../../src/data/decode.js';
import { makePng } from './helpers.js';

/** Decoded RGB triples, row-major. */
function rgb(buf: Uint8Array): { w: number; h: number; px: number[][] } {
  const img = decodeImage(buf);
  const px: number[][] = [];
  for (let i = 0; i < img.width * img.height; i++) px.push(Array.from(img.data.subarray(i * 3, i * 3 + 3)));
  return { w: img.width, h: img.height, px };
}

describe('PNG colour types', () => {
  it('8-bit greyscale → grey replicated to R, G, B', () => {
    const png = makePng({ width: 3, height: 2, colorType: 0, bitDepth: 8, pixels: [[0], [17], [128], [200], [254], [255]] });
    expect(sniffImageFormat(png)).toBe('png');
    const d = rgb(png);
    expect([d.w, d.h]).toEqual([3, 2]);
    expect(d.px).toEqual([[0, 0, 0], [17, 17, 17], [128, 128, 128], [200, 200, 200], [254, 254, 254], [255, 255, 255]]);
  });

  it('1-, 2- and 4-bit greyscale scale to 0–255 (v · 255 / (2^d − 1))', () => {
    expect(rgb(makePng({ width: 4, height: 1, colorType: 0, bitDepth: 1, pixels: [[0], [1], [1], [0]] })).px)
      .toEqual([[0, 0, 0], [255, 255, 255], [255, 255, 255], [0, 0, 0]]);
    expect(rgb(makePng({ width: 4, height: 1, colorType: 0, bitDepth: 2, pixels: [[0], [1], [2], [3]] })).px)
      .toEqual([[0, 0, 0], [85, 85, 85], [170, 170, 170], [255, 255, 255]]);
    expect(rgb(makePng({ width: 3, height: 1, colorType: 0, bitDepth: 4, pixels: [[0], [7], [15]] })).px)
      .toEqual([[0, 0, 0], [119, 119, 119], [255, 255, 255]]);
  });

  it('16-bit greyscale → round(v / 257)', () => {
    // 0x1234 = 4660 → 18.13 → 18; 0x8080 = 32896 → 128; 0xfeff = 65279 → 254.0 → 254; 0xffff → 255
    const png = makePng({ width: 4, height: 1, colorType: 0, bitDepth: 16, pixels: [[0x1234], [0x8080], [0xfeff], [0xffff]] });
    expect(rgb(png).px).toEqual([[18, 18, 18], [128, 128, 128], [254, 254, 254], [255, 255, 255]]);
  });

  it('greyscale + alpha (8 and 16 bit): alpha dropped, grey kept even where alpha is 0', () => {
    expect(rgb(makePng({ width: 2, height: 1, colorType: 4, bitDepth: 8, pixels: [[90, 0], [200, 255]] })).px)
      .toEqual([[90, 90, 90], [200, 200, 200]]);
    expect(rgb(makePng({ width: 2, height: 1, colorType: 4, bitDepth: 16, pixels: [[0x5a5a, 0], [0xc8c8, 0xffff]] })).px)
      .toEqual([[90, 90, 90], [200, 200, 200]]);
  });

  it('RGB 8 and 16 bit', () => {
    expect(rgb(makePng({ width: 2, height: 1, colorType: 2, bitDepth: 8, pixels: [[1, 2, 3], [250, 128, 7]] })).px)
      .toEqual([[1, 2, 3], [250, 128, 7]]);
    // 16-bit: 257·k → exactly k; 0x7fff → 127.498 → 127; 0x8000 → 127.502 → 128 (rounded, not truncated)
    expect(rgb(makePng({ width: 2, height: 1, colorType: 2, bitDepth: 16, pixels: [[257 * 10, 0x7fff, 0x8000], [0, 65535, 257]] })).px)
      .toEqual([[10, 127, 128], [0, 255, 1]]);
  });

  it('RGBA 8 and 16 bit: alpha dropped, not composited (a transparent pixel keeps its colour)', () => {
    expect(rgb(makePng({ width: 2, height: 1, colorType: 6, bitDepth: 8, pixels: [[10, 20, 30, 0], [40, 50, 60, 128]] })).px)
      .toEqual([[10, 20, 30], [40, 50, 60]]);
    expect(rgb(makePng({ width: 1, height: 1, colorType: 6, bitDepth: 16, pixels: [[257 * 70, 257 * 80, 257 * 90, 0]] })).px)
      .toEqual([[70, 80, 90]]);
  });

  it('palette (8, 4, 2, 1 bit) → palette colours; palette alpha (tRNS) dropped', () => {
    const palette: [number, number, number][] = [[255, 0, 0], [0, 128, 0], [12, 34, 56], [250, 240, 230]];
    const idx = [[3], [0], [2], [1], [1], [3]];
    const want = idx.map(([i]) => palette[i!]!);
    for (const bitDepth of [8, 4, 2] as const) {
      const png = makePng({ width: 3, height: 2, colorType: 3, bitDepth, pixels: idx, palette, trns: [0, 255, 0, 128] });
      expect(rgb(png).px, `${bitDepth}-bit palette`).toEqual(want);
    }
    const one = makePng({ width: 5, height: 1, colorType: 3, bitDepth: 1, pixels: [[1], [0], [0], [1], [1]], palette: [[9, 8, 7], [200, 100, 50]] });
    expect(rgb(one).px).toEqual([[200, 100, 50], [9, 8, 7], [9, 8, 7], [200, 100, 50], [200, 100, 50]]);
  });

  it('a colour-key tRNS on grey / RGB does not blacken the keyed pixels', () => {
    // tRNS for colour type 2 is one 16-bit RGB triple: (10, 20, 30) is "transparent".
    const png = makePng({ width: 2, height: 1, colorType: 2, bitDepth: 8, pixels: [[10, 20, 30], [40, 50, 60]], trns: [0, 10, 0, 20, 0, 30] });
    expect(rgb(png).px).toEqual([[10, 20, 30], [40, 50, 60]]);
    const grey = makePng({ width: 2, height: 1, colorType: 0, bitDepth: 8, pixels: [[77], [78]], trns: [0, 77] });
    expect(rgb(grey).px).toEqual([[77, 77, 77], [78, 78, 78]]);
  });

  it('Adam7-interlaced PNG decodes to the same pixels as the plain one', () => {
    const w = 11;
    const h = 9;
    const pixels = Array.from({ length: w * h }, (_, i) => [(i * 7) % 256, (i * 13 + 5) % 256, (i * 29 + 11) % 256]);
    const plain = rgb(makePng({ width: w, height: h, colorType: 2, bitDepth: 8, pixels }));
    const inter = rgb(makePng({ width: w, height: h, colorType: 2, bitDepth: 8, pixels, interlace: true }));
    expect(plain.px).toEqual(pixels);
    expect(inter.px).toEqual(pixels);
  });

  it('a truncated PNG, or one with a bad CRC, throws', () => {
    const good = makePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, pixels: Array.from({ length: 64 }, (_, i) => [i, i, i]) });
    expect(() => decodePng(good.subarray(0, good.length - 30))).toThrow(/PNG/);
    const bad = Buffer.from(good);
    bad[bad.length - 20] ^= 0xff; // inside IDAT → CRC mismatch
    expect(() => decodePng(bad)).toThrow(/PNG/);
  });
});
