/**
 * Turning one image file into model input the way training preprocessed it (resize,
 * optional centre crop or ten crops, rescale) — for predict and evaluate.
 */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../src/data/decode.js';
import { cropImage, tenCrops, type RgbImage } from '../../src/data/image.js';
import { resizeImage } from '../../src/data/resize.js';
import type { Preprocessing } from '../../src/io/checkpoint.js';

export function loadRgb(path: string): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(bytes);
}

function toFloat(img: RgbImage, rescale: number, out: Float32Array, offset: number): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) out[offset + i] = d[i]! * rescale;
}

/**
 * The model inputs for one image: one view (resized; centre-cropped for the paper's recipe),
 * or ten (four corners, centre and their mirrors) with `tenCrop`.
 */
export function inputsFor(img: RgbImage, p: Preprocessing, tenCrop: boolean): Float32Array[] {
  const s = p.imageSize;
  const base = p.cropFrom && p.cropFrom > s ? p.cropFrom : tenCrop ? Math.round(s * 256 / 224) : s;
  const resized = resizeImage(img, base, base, p.resize);
  const views: RgbImage[] = tenCrop
    ? tenCrops(resized, s)
    : base > s
      ? [cropImage(resized, Math.floor((base - s) / 2), Math.floor((base - s) / 2), s, s)]
      : [resized];
  return views.map((v) => {
    const f = new Float32Array(s * s * 3);
    toFloat(v, p.rescale, f, 0);
    return f;
  });
}
