/**
 * JPEG decoding paths: baseline 4:4:4 (jpeg-js's own encoder), baseline and progressive 4:2:0,
 * progressive 4:4:4, greyscale and CMYK (files written by Pillow / libjpeg-turbo, see
 * fixtures/make_fixtures.py), EXIF orientation, and the errors for non-images and truncation.
 *
 * Tolerances: JPEG is lossy, so a decode is compared (a) with the smooth source image within
 * the quantisation error at quality ≥ 90, and (b) with libjpeg-turbo's decode of the same
 * file within the differences of two IDCT / chroma-upsampling implementations (jpeg-js
 * replicates chroma samples where libjpeg-turbo interpolates them: larger for 4:2:0).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, decodeImage, readExifOrientation, sniffImageFormat } from '../../src/data/decode.js';
import type { RgbImage } from '../../src/data/image.js';
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { maxAbsDiff, meanAbsDiff, smoothImage } from './helpers.js';

interface JpegFixture {
  width: number;
  height: number;
  source: number[];
  files: { name: string; base64: string; pillowDecode: number[]; given: number[] }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/jpeg-pillow.json', import.meta.url), 'utf8')) as JpegFixture;
const file = (name: string) => {
  const f = fx.files.find((x) => x.name === name);
  if (!f) throw new Error(`fixture ${name} missing`);
  return { ...f, bytes: Buffer.from(f.base64, 'base64') };
};

/** The SOFn marker of a JPEG (0xc0 baseline, 0xc2 progressive). */
function sofMarker(b: Uint8Array): number {
  let p = 2;
  while (p + 4 < b.length) {
    const m = b[p + 1]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return m;
    p += 2 + ((b[p + 2]! << 8) | b[p + 3]!);
  }
  return -1;
}

describe('JPEG decode paths', () => {
  it('baseline 4:4:4 (jpeg-js encoder): decode of an encode of a smooth image is within JPEG error', () => {
    const src = smoothImage(40, 30);
    const bytes = encodeJpeg(src, 95);
    expect(sniffImageFormat(bytes)).toBe('jpeg');
    expect(sofMarker(bytes)).toBe(0xc0);
    const img = decodeImage(bytes);
    expect([img.width, img.height]).toEqual([40, 30]);
    expect(maxAbsDiff(img.data, src.data)).toBeLessThanOrEqual(6);
    expect(meanAbsDiff(img.data, src.data)).toBeLessThan(1.5);
  });

  it('progressive 4:4:4 (SOF2): matches libjpeg-turbo and the source', () => {
    const f = file('progressive-444');
    expect(sofMarker(f.bytes)).toBe(0xc2);
    const img = decodeImage(f.bytes);
    expect([img.width, img.height]).toEqual([fx.width, fx.height]);
    expect(maxAbsDiff(img.data, f.pillowDecode)).toBeLessThanOrEqual(4);
    expect(maxAbsDiff(img.data, f.given)).toBeLessThanOrEqual(8);
    expect(meanAbsDiff(img.data, f.given)).toBeLessThan(1.5);
  });

  it('progressive 4:2:0 decodes to exactly the pixels of the baseline file with the same coefficients', () => {
    // Progressive coding only reorders the same quantised DCT coefficients: a correct
    // progressive decoder must reproduce the baseline decode bit for bit.
    const prog = file('progressive-420');
    const base = file('baseline-420');
    expect(sofMarker(prog.bytes)).toBe(0xc2);
    expect(sofMarker(base.bytes)).toBe(0xc0);
    const a = decodeImage(prog.bytes);
    const b = decodeImage(base.bytes);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(maxAbsDiff(a.data, prog.pillowDecode)).toBeLessThanOrEqual(12);
    expect(meanAbsDiff(a.data, prog.pillowDecode)).toBeLessThan(3.5);
    expect(meanAbsDiff(a.data, prog.given)).toBeLessThan(4);
  });

  it('greyscale JPEG → grey replicated to R, G, B', () => {
    const f = file('grey');
    const img = decodeImage(f.bytes);
    for (let i = 0; i < img.width * img.height; i++) {
      expect(img.data[i * 3]).toBe(img.data[i * 3 + 1]);
      expect(img.data[i * 3]).toBe(img.data[i * 3 + 2]);
    }
    expect(maxAbsDiff(img.data, f.pillowDecode)).toBeLessThanOrEqual(2);
  });

  it('CMYK (Adobe) JPEG → RGB as libjpeg + PIL convert it', () => {
    const f = file('cmyk');
    const img = decodeImage(f.bytes);
    expect(maxAbsDiff(img.data, f.pillowDecode)).toBeLessThanOrEqual(3);
  });
});

// ---------------------------------------------------------------------------------------------
// EXIF orientation

/** An APP1 Exif segment holding only IFD0 with the orientation tag. */
function exifSegment(orientation: number, bigEndian: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, o: number) => (bigEndian ? tiff.writeUInt16BE(v, o) : tiff.writeUInt16LE(v, o));
  const u32 = (v: number, o: number) => (bigEndian ? tiff.writeUInt32BE(v, o) : tiff.writeUInt32LE(v, o));
  tiff.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 offset
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18); // value, left-justified
  u32(0, 22); // no next IFD
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** `jpeg` with an Exif APP1 inserted after the JFIF APP0. */
function withExif(jpeg: Uint8Array, orientation: number, bigEndian = false): Buffer {
  const b = Buffer.from(jpeg);
  const app0End = 4 + b.readUInt16BE(4);
  return Buffer.concat([b.subarray(0, app0End), exifSegment(orientation, bigEndian), b.subarray(app0End)]);
}

const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

/** 16×8 stored image: quadrants TL red, TR green, BL blue, BR white. */
function quadrants(): RgbImage {
  const w = 16;
  const h = 8;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = y < h / 2 ? (x < w / 2 ? RED : GREEN) : x < w / 2 ? BLUE : WHITE;
      data.set(c, (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}

function colourAt(img: RgbImage, fx: number, fy: number): number[] {
  const x = Math.floor(fx * img.width);
  const y = Math.floor(fy * img.height);
  const p = (y * img.width + x) * 3;
  const px = Array.from(img.data.subarray(p, p + 3));
  // nearest of the four pure colours (JPEG blurs the quadrant borders, not the quadrant centres)
  return [RED, GREEN, BLUE, WHITE].reduce((best, c) =>
    Math.hypot(c[0]! - px[0]!, c[1]! - px[1]!, c[2]! - px[2]!) < Math.hypot(best[0]! - px[0]!, best[1]! - px[1]!, best[2]! - px[2]!) ? c : best,
  );
}

describe('EXIF orientation', () => {
  // From the EXIF spec ("0th row / 0th column" positions): where the stored top-left,
  // top-right and bottom-left quadrants appear once the image is displayed upright.
  const where: Record<number, [string, string, string]> = {
    1: ['TL', 'TR', 'BL'],
    2: ['TR', 'TL', 'BR'],
    3: ['BR', 'BL', 'TR'],
    4: ['BL', 'BR', 'TL'],
    5: ['TL', 'BL', 'TR'],
    6: ['TR', 'BR', 'TL'],
    7: ['BR', 'TR', 'BL'],
    8: ['BL', 'TL', 'BR'],
  };
  const pos: Record<string, [number, number]> = { TL: [0.25, 0.25], TR: [0.75, 0.25], BL: [0.25, 0.75], BR: [0.75, 0.75] };
  const stored = encodeJpeg(quadrants(), 95);

  for (let o = 1; o <= 8; o++) {
    it(`orientation ${o} is applied (${o >= 5 ? 'width and height swap' : 'same size'})`, () => {
      const bytes = withExif(stored, o, o % 2 === 0);
      expect(readExifOrientation(bytes)).toBe(o);
      const img = decodeImage(bytes);
      expect([img.width, img.height]).toEqual(o >= 5 ? [8, 16] : [16, 8]);
      const [tl, tr, bl] = where[o]!;
      expect(colourAt(img, ...pos[tl]!)).toEqual(RED);
      expect(colourAt(img, ...pos[tr]!)).toEqual(GREEN);
      expect(colourAt(img, ...pos[bl]!)).toEqual(BLUE);
    });
  }

  it('exifOrientation: false keeps the stored pixels (Keras behaviour)', () => {
    const img = decodeImage(withExif(stored, 6), { exifOrientation: false });
    expect([img.width, img.height]).toEqual([16, 8]);
    expect(colourAt(img, 0.25, 0.25)).toEqual(RED);
  });

  it('a JPEG without EXIF has orientation 1', () => {
    expect(readExifOrientation(stored)).toBe(1);
  });
});

describe('not images', () => {
  it('text renamed .jpg: recognised by bytes, a clear error', () => {
    expect(sniffImageFormat(Buffer.from('hello, I am a text file'))).toBeNull();
    expect(() => decodeImage(Buffer.from('hello, I am a text file'))).toThrow(ImageDecodeError);
    expect(() => decodeImage(Buffer.from('hello, I am a text file'))).toThrow(/not a JPEG or PNG \(starts with bytes 68 65 6c 6c\)/);
  });

  it('other formats and empty files are named', () => {
    expect(() => decodeImage(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toThrow(/GIF/);
    expect(() => decodeImage(new Uint8Array(0))).toThrow(/empty file/);
  });

  it('a truncated JPEG throws instead of returning a half-grey image', () => {
    const bytes = encodeJpeg(smoothImage(64, 48), 90);
    for (const frac of [0.95, 0.6, 0.2]) {
      expect(() => decodeImage(bytes.subarray(0, Math.floor(bytes.length * frac)))).toThrow(/corrupt or truncated JPEG/);
    }
  });
});
