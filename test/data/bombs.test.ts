/**
 * Decompression bombs: a file whose header declares far more pixels than it holds is refused
 * from its header (PNG IHDR, JPEG SOF), before any pixel memory is allocated — quickly and
 * with a message giving the declared size and the limit. The declared sizes are checked
 * against Pillow's (fixtures) and the files' own construction; the limit's boundary, the
 * option and the ALEXNET_MAX_MEGAPIXELS variable are checked on real images.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, ImageDecodeError, checkDeclaredSize, decodeImage, readImageSize } from '../../src/data/decode.js';
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { jpegBomb, pngBomb } from './bomb-files.js';
import { makePng, smoothImage } from './helpers.js';

function refusal(bytes: Uint8Array, opts = {}): { error: Error; ms: number } {
  const t0 = performance.now();
  try {
    decodeImage(bytes, opts);
  } catch (e) {
    return { error: e as Error, ms: performance.now() - t0 };
  }
  throw new Error('decoded without error');
}

afterEach(() => {
  delete process.env.ALEXNET_MAX_MEGAPIXELS;
});

describe('declared image size', () => {
  it("matches Pillow's size for every fixture JPEG (baseline, progressive, grey, CMYK) and the PNGs' own", () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/jpeg-pillow.json', import.meta.url), 'utf8')) as {
      width: number;
      height: number;
      files: { name: string; base64: string }[];
    };
    expect(fx.files.length).toBeGreaterThanOrEqual(5);
    for (const f of fx.files) expect(readImageSize(Buffer.from(f.base64, 'base64')), f.name).toEqual({ width: fx.width, height: fx.height });
    const png = makePng({ width: 5, height: 3, colorType: 0, bitDepth: 8, pixels: Array.from({ length: 15 }, (_, i) => [i]) });
    expect(readImageSize(png)).toEqual({ width: 5, height: 3 });
    expect(readImageSize(encodeJpeg(smoothImage(37, 23)))).toEqual({ width: 37, height: 23 });
    expect(readImageSize(pngBomb(30000, 30000))).toEqual({ width: 30000, height: 30000 });
    expect(readImageSize(new Uint8Array([1, 2, 3]))).toBeNull();
  });
});

describe('decompression bombs are refused from the header', () => {
  it('a PNG of under 70 bytes declaring 30000x30000: refused at once (not the 6 GB decode)', () => {
    const bomb = pngBomb(30000, 30000);
    expect(bomb.length).toBeLessThan(70);
    const before = process.memoryUsage().rss;
    const { error, ms } = refusal(bomb);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.message).toBe(
      'PNG declares 30000x30000 pixels (900.0 megapixels), over the limit of 100 megapixels (not decoded; ALEXNET_MAX_MEGAPIXELS raises the limit)',
    );
    expect(ms).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 2 ** 20);
  });

  it('a JPEG whose SOF declares 30000x30000 is refused the same way', () => {
    const { error, ms } = refusal(jpegBomb(30000, 30000));
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.message).toMatch(/^JPEG declares 30000x30000 pixels \(900\.0 megapixels\), over the limit of 100 megapixels/);
    expect(ms).toBeLessThan(1000);
  });

  it('the default limit is 100 megapixels: 10000x10000 is allowed by the header check, 10000x10001 not', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(100_000_000);
    // (checked without decoding: pngjs would allocate the 400 MB for it)
    expect(() => checkDeclaredSize(pngBomb(10000, 10000))).not.toThrow();
    expect(refusal(pngBomb(10000, 10001)).error.message).toMatch(/^PNG declares 10000x10001 pixels \(100\.0 megapixels\)/);
  });
});

describe('the limit is configurable', () => {
  const img = smoothImage(50, 40); // 2000 pixels
  const png = makePng({ width: 50, height: 40, colorType: 2, bitDepth: 8, pixels: Array.from({ length: 2000 }, (_, i) => [...img.data.subarray(i * 3, i * 3 + 3)]) });
  const jpg = encodeJpeg(img);

  it('maxPixels: exactly at the limit decodes, one pixel under refuses (PNG and JPEG)', () => {
    for (const bytes of [png, jpg]) {
      const ok = decodeImage(bytes, { maxPixels: 2000 });
      expect([ok.width, ok.height]).toEqual([50, 40]);
      expect(refusal(bytes, { maxPixels: 1999 }).error.message).toMatch(/declares 50x40 pixels \(0\.0 megapixels\), over the limit of 0\.002 megapixels/);
    }
    // PNG pixels are lossless: the decode under the limit is the image itself.
    expect([...decodeImage(png, { maxPixels: 2000 }).data]).toEqual([...img.data]);
  });

  it('ALEXNET_MAX_MEGAPIXELS sets the default; a value that is not a positive number is an error', () => {
    process.env.ALEXNET_MAX_MEGAPIXELS = '0.001';
    expect(refusal(png).error.message).toMatch(/over the limit of 0\.001 megapixels/);
    expect(refusal(jpg).error.message).toMatch(/over the limit of 0\.001 megapixels/);
    process.env.ALEXNET_MAX_MEGAPIXELS = '1000';
    expect(() => checkDeclaredSize(pngBomb(30000, 30000))).not.toThrow(); // 900 MP now passes (not decoded here)
    expect(() => checkDeclaredSize(pngBomb(40000, 30000))).toThrow(/1200\.0 megapixels\), over the limit of 1000 megapixels/);
    process.env.ALEXNET_MAX_MEGAPIXELS = 'lots';
    expect(refusal(png).error.message).toBe("ALEXNET_MAX_MEGAPIXELS must be a positive number of megapixels, got 'lots'");
  });
});
