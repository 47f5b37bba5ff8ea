/**
 * Turning one decoded image into model input the way training preprocessed it (resize,
 * optional centre crop or ten crops, rescale; greyscale for 1-channel models) — for predict,
 * evaluate and the web page. Platform-neutral.
 */
import { cropImage, tenCrops, type RgbImage } from './image.js';
import { resizeImage } from './resize.js';
import type { Preprocessing } from '../nn/manifest.js';

/**
 * PIL's `convert('L')` (what Keras's `load_img(color_mode='grayscale')` does, before it
 * resizes): L = (19595·R + 38470·G + 7471·B + 2^15) >> 16, ITU-R 601-2 luma in 16-bit fixed
 * point. The grey value is kept in all three channels so the RGB resize code applies as is.
 */
export function toGreyscale(img: RgbImage): RgbImage {
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) {
    const l = (d[i]! * 19595 + d[i + 1]! * 38470 + d[i + 2]! * 7471 + 0x8000) >>> 16;
    out[i] = out[i + 1] = out[i + 2] = l;
  }
  return { width: img.width, height: img.height, data: out };
}

/**
 * The model inputs for one image: one view (resized; centre-cropped for the paper's recipe),
 * or ten (four corners, centre and their mirrors) with `tenCrop`. For a model trained on
 * whole images, ten crops are taken from the image resized to 256/224 of the input size.
 * Each view is [size, size, channels] with channels 3, or 1 when the preprocessing says so.
 */
export function inputsFor(img: RgbImage, p: Preprocessing, tenCrop: boolean): Float32Array[] {
  const s = p.imageSize;
  const channels = p.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new Error(`preprocessing: channels must be 1 or 3, got ${String(channels)}`);
  const src = channels === 1 ? toGreyscale(img) : img;
  const base = p.cropFrom && p.cropFrom > s ? p.cropFrom : tenCrop ? Math.round((s * 256) / 224) : s;
  const resized = resizeImage(src, base, base, p.resize);
  const off = Math.floor((base - s) / 2);
  const views: RgbImage[] = tenCrop ? tenCrops(resized, s) : base > s ? [cropImage(resized, off, off, s, s)] : [resized];
  return views.map((v) => {
    const f = new Float32Array(s * s * channels);
    if (channels === 3) for (let i = 0; i < v.data.length; i++) f[i] = v.data[i]! * p.rescale;
    else for (let i = 0; i < f.length; i++) f[i] = v.data[i * 3]! * p.rescale;
    return f;
  });
}
