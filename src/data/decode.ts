/**
 * Image decoding: bytes → 8-bit RGB.
 *
 * The format is recognised by its leading bytes (magic numbers), never by the file name:
 * JPEG starts FF D8 FF, PNG with the 8-byte signature 89 50 4E 47 0D 0A 1A 0A. A few other
 * formats are recognised only to name them in the error message.
 *
 * JPEG (jpeg-js): baseline and progressive, greyscale (Y replicated to R, G, B), YCbCr and
 * Adobe CMYK. A truncated or corrupt stream throws (jpeg-js reports the missing marker). The
 * EXIF orientation tag (APP1, tag 0x0112) is applied by default, so a phone photo comes out
 * upright; Keras's `load_img` does NOT do this (PIL ignores the tag unless asked), so pass
 * `{ exifOrientation: false }` to get exactly Keras's pixels for such files.
 *
 * PNG (pngjs): every colour type and bit depth pngjs reads, interlaced or not.
 *  - greyscale (1/2/4/8/16 bit) → the grey value replicated to R, G, B;
 *  - palette → the palette colours;
 *  - 16-bit samples → round(v · 255 / 65535), i.e. round(v / 257);
 *  - alpha (grey+alpha, RGBA, palette tRNS) is DROPPED: the colour channels are kept as they
 *    are, not composited on black or white. This is what PIL's `convert('RGB')` (so Keras's
 *    `load_img(color_mode='rgb')`) does. A colour-key tRNS chunk on a grey or RGB image is
 *    ignored for the same reason (pngjs would otherwise turn those pixels black).
 *
 * Size limit (decompression bombs): a PNG of 69 bytes can declare 30000×30000 pixels, which
 * pngjs would allocate (several GB, half a minute) before finding there is no data. So the
 * dimensions a file declares (PNG IHDR, JPEG SOF) are read first and a file over the limit is
 * refused before anything is allocated: 100 megapixels by default (jpeg-js's own default;
 * PIL, so Keras, warns from 89.5 and refuses from 179 megapixels), or `maxPixels`, or the
 * environment variable ALEXNET_MAX_MEGAPIXELS (read at each call, so worker threads see it).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbImage } from './image.js';

export type ImageFormat = 'jpeg' | 'png';

/** Thrown for bytes that are not a JPEG or PNG, or that fail to decode. */
export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** 'jpeg' or 'png' from the leading bytes, or null. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

/** A short description of what unsupported bytes look like, for error messages. */
function describeUnknown(bytes: Uint8Array): string {
  const ascii = (a: number, b: number) => String.fromCharCode(...bytes.subarray(a, b));
  if (bytes.length === 0) return 'empty file';
  if (ascii(0, 4) === 'GIF8') return 'a GIF image (only JPEG and PNG are supported)';
  if (ascii(0, 2) === 'BM') return 'a BMP image (only JPEG and PNG are supported)';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP image (only JPEG and PNG are supported)';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'a TIFF image (only JPEG and PNG are supported)';
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `not a JPEG or PNG (starts with bytes ${head})`;
}

export interface DecodeOptions {
  /** Apply the JPEG EXIF orientation tag (default true; Keras does not). */
  exifOrientation?: boolean;
  /** Largest width × height accepted (default {@link defaultMaxPixels}). */
  maxPixels?: number;
}

/** 100 megapixels. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * The pixel limit: ALEXNET_MAX_MEGAPIXELS (a positive number, in millions of pixels) when
 * set, else {@link DEFAULT_MAX_PIXELS}. A value that is not a positive number is an error,
 * not silently the default.
 */
export function defaultMaxPixels(): number {
  // `process` is absent in the browser page, which bundles this file.
  const v = typeof process !== 'undefined' ? process.env?.ALEXNET_MAX_MEGAPIXELS : undefined;
  if (v === undefined || v === '') return DEFAULT_MAX_PIXELS;
  const mp = Number(v);
  if (!(mp > 0 && Number.isFinite(mp))) {
    throw new ImageDecodeError(`ALEXNET_MAX_MEGAPIXELS must be a positive number of megapixels, got '${v}'`);
  }
  return Math.round(mp * 1e6);
}

/**
 * The width and height a JPEG (first SOF marker) or PNG (IHDR) declares, read from its
 * header without decoding; null when the header is not there or not readable (the decoder
 * then reports the damage).
 */
export function readImageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const format = sniffImageFormat(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    // Signature (8), then the IHDR chunk: length (4), type (4), width (4), height (4).
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (format !== 'jpeg') return null;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return null;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    const len = dv.getUint16(p + 2);
    // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC): length, precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (p + 9 > bytes.length) return null;
      return { width: dv.getUint16(p + 7), height: dv.getUint16(p + 5) };
    }
    p += 2 + len;
  }
  return null;
}

/**
 * Throws {@link ImageDecodeError} when the size a JPEG or PNG header declares is over the
 * limit (also used by the web page before the browser decodes a PNG).
 */
export function checkDeclaredSize(bytes: Uint8Array, maxPixels: number = defaultMaxPixels()): void {
  const size = readImageSize(bytes);
  if (!size) return;
  const what = sniffImageFormat(bytes) === 'png' ? 'PNG' : 'JPEG';
  const pixels = size.width * size.height;
  const { width, height } = size;
  if (pixels > maxPixels) {
    throw new ImageDecodeError(
      `${what} declares ${width}x${height} pixels (${(pixels / 1e6).toFixed(1)} megapixels), over the limit of ` +
        `${+(maxPixels / 1e6).toFixed(3)} megapixels (not decoded; ALEXNET_MAX_MEGAPIXELS raises the limit)`,
    );
  }
}

/**
 * What can be told of an image file without decoding it: throws {@link ImageDecodeError} for
 * bytes that are not a JPEG or PNG, whose header cannot be read, or whose declared size is
 * over the limit — so a loader can size a dataset before decoding it.
 */
export function probeImage(bytes: Uint8Array, maxPixels: number = defaultMaxPixels()): { width: number; height: number } {
  if (!sniffImageFormat(bytes)) throw new ImageDecodeError(describeUnknown(bytes));
  const size = readImageSize(bytes);
  if (!size) throw new ImageDecodeError(`damaged ${sniffImageFormat(bytes) === 'png' ? 'PNG' : 'JPEG'} header (no image size before the data)`);
  checkDeclaredSize(bytes, maxPixels);
  return size;
}

/** Decodes JPEG or PNG bytes to RGB. Throws {@link ImageDecodeError} on anything else. */
export function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): RgbImage {
  const format = sniffImageFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes, opts);
  if (format === 'png') return decodePng(bytes, opts);
  throw new ImageDecodeError(describeUnknown(bytes));
}

/**
 * jpeg-js's own guard counts ~21 bytes per pixel for a three-component image; give it room for
 * any image inside the pixel limit (CMYK, no subsampling) so that the pixel limit is the one
 * that decides, with one message.
 */
const JPEG_BYTES_PER_PIXEL_BUDGET = 32;

export function decodeJpeg(bytes: Uint8Array, opts: DecodeOptions = {}): RgbImage {
  const maxPixels = opts.maxPixels ?? defaultMaxPixels();
  checkDeclaredSize(bytes, maxPixels);
  let img: RgbImage;
  try {
    const d = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_BYTES_PER_PIXEL_BUDGET) / 2 ** 20) + 64,
    });
    img = { width: d.width, height: d.height, data: d.data };
  } catch (e) {
    throw new ImageDecodeError(`corrupt or truncated JPEG (${(e as Error).message})`);
  }
  if (img.width < 1 || img.height < 1 || img.data.length !== img.width * img.height * 3) {
    throw new ImageDecodeError(`corrupt JPEG (decoded ${img.width}x${img.height})`);
  }
  if (opts.exifOrientation ?? true) {
    const o = readExifOrientation(bytes);
    if (o !== 1) img = applyExifOrientation(img, o);
  }
  return img;
}

export function decodePng(bytes: Uint8Array, opts: Pick<DecodeOptions, 'maxPixels'> = {}): RgbImage {
  checkDeclaredSize(bytes, opts.maxPixels ?? defaultMaxPixels());
  let png: PNG;
  try {
    png = PNG.sync.read(stripColorKeyTrns(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  } catch (e) {
    throw new ImageDecodeError(`corrupt or truncated PNG (${(e as Error).message})`);
  }
  const { width, height } = png;
  const src = png.data; // RGBA, 8 bits per sample after pngjs's normalisation
  if (width < 1 || height < 1 || src.length < width * height * 4) {
    throw new ImageDecodeError(`corrupt PNG (decoded ${width}x${height})`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = src[i]!;
    data[j + 1] = src[i + 1]!;
    data[j + 2] = src[i + 2]!;
  }
  return { width, height, data };
}

/**
 * Removes a tRNS chunk from a greyscale (type 0) or RGB (type 2) PNG: there it only marks one
 * colour as transparent, and since alpha is dropped anyway the pixels must keep their colour.
 * Any other PNG is returned unchanged. Chunk CRCs are untouched (chunks are moved whole).
 */
function stripColorKeyTrns(buf: Buffer): Buffer {
  if (buf.length < 33) return buf;
  const colorType = buf[25]; // IHDR data starts at 16: width 4, height 4, depth 1, colour type 1
  if (colorType !== 0 && colorType !== 2) return buf;
  const parts: Buffer[] = [buf.subarray(0, 8)];
  let p = 8;
  let found = false;
  while (p + 12 <= buf.length) {
    const len = buf.readUInt32BE(p);
    const end = p + 12 + len;
    if (end > buf.length) break; // truncated: leave the rest for pngjs to complain about
    if (buf.toString('latin1', p + 4, p + 8) === 'tRNS') found = true;
    else parts.push(buf.subarray(p, end));
    p = end;
  }
  if (!found) return buf;
  if (p < buf.length) parts.push(buf.subarray(p));
  return Buffer.concat(parts);
}

/**
 * The EXIF orientation (1–8) of a JPEG, or 1 when absent or unreadable. Reads only the APP1
 * "Exif" segment's TIFF header and IFD0 (both byte orders).
 */
export function readExifOrientation(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end: no more metadata
    const len = dv.getUint16(p + 2);
    if (marker === 0xe1 && len >= 16 && p + 2 + len <= bytes.length) {
      const s = p + 4;
      if (String.fromCharCode(...bytes.subarray(s, s + 4)) === 'Exif' && bytes[s + 4] === 0 && bytes[s + 5] === 0) {
        const o = orientationFromTiff(dv, s + 6, p + 2 + len);
        if (o !== 0) return o;
      }
    }
    p += 2 + len;
  }
  return 1;
}

function orientationFromTiff(dv: DataView, t: number, end: number): number {
  if (t + 8 > end) return 0;
  const order = dv.getUint16(t);
  const le = order === 0x4949; // "II"
  if (!le && order !== 0x4d4d) return 0;
  if (dv.getUint16(t + 2, le) !== 42) return 0;
  const ifd = t + dv.getUint32(t + 4, le);
  if (ifd + 2 > end) return 0;
  const n = dv.getUint16(ifd, le);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 0;
    if (dv.getUint16(e, le) === 0x0112) {
      const v = dv.getUint16(e + 8, le); // SHORT, stored left-justified in the value field
      return v >= 1 && v <= 8 ? v : 0;
    }
  }
  return 0;
}

/**
 * Turns an image stored with EXIF orientation `o` upright (as PIL's `ImageOps.exif_transpose`):
 * 2 mirror, 3 rotate 180°, 4 flip vertically, 5 transpose, 6 rotate 90° clockwise,
 * 7 transverse, 8 rotate 90° counter-clockwise.
 */
export function applyExifOrientation(img: RgbImage, o: number): RgbImage {
  if (o < 2 || o > 8) return img;
  const { width: W, height: H } = img;
  const swap = o >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx: number;
      let sy: number;
      switch (o) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      const s = (sy * W + sx) * 3;
      const d = (y * w + x) * 3;
      out[d] = img.data[s]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s + 2]!;
    }
  }
  return { width: w, height: h, data: out };
}
