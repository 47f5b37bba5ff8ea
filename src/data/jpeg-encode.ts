/**
 * Baseline JPEG encoding through jpeg-js, with one reused encoder.
 *
 * jpeg-js's exported `encode()` constructs a new `JPEGEncoder` per call, and the constructor
 * builds its lookup tables (tens to hundreds of milliseconds — far more than encoding a small
 * image). The class is not exported, so we evaluate jpeg-js's own encoder.js once in a function
 * scope to get it, and keep one instance per quality. If that ever fails (a different jpeg-js
 * layout), we fall back to the exported `encode()` — slower, same bytes.
 *
 * Output: baseline JPEG, 4:4:4 (no chroma subsampling), JFIF APP0.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import type { RgbImage } from './image.js';

interface Encoder {
  encode(image: { data: Uint8Array; width: number; height: number }, quality: number): Uint8Array;
}

let encoderClass: (new (quality: number) => Encoder) | null | undefined;
const encoders = new Map<number, Encoder>();

function getEncoder(quality: number): Encoder | null {
  if (encoderClass === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const src = readFileSync(require.resolve('jpeg-js/lib/encoder.js'), 'utf8');
      const factory = new Function('module', 'exports', 'require', `${src}\nreturn JPEGEncoder;`);
      encoderClass = factory({ exports: {} }, {}, require) as new (quality: number) => Encoder;
    } catch {
      encoderClass = null;
    }
  }
  if (!encoderClass) return null;
  let e = encoders.get(quality);
  if (!e) {
    e = new encoderClass(quality);
    encoders.set(quality, e);
  }
  return e;
}

/** JPEG bytes of an RGB image (baseline, 4:4:4, quality 1–100). */
export function encodeJpeg(img: RgbImage, quality = 90): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) {
    rgba[j] = img.data[i]!;
    rgba[j + 1] = img.data[i + 1]!;
    rgba[j + 2] = img.data[i + 2]!;
    rgba[j + 3] = 255;
  }
  const image = { data: rgba, width: img.width, height: img.height };
  const enc = getEncoder(quality);
  return enc ? new Uint8Array(enc.encode(image, quality)) : jpeg.encode(image, quality).data;
}
