/**
 * Turning one decoded image into model input the way training preprocessed it (resize,
 * optional centre crop or ten crops, rescale) — for predict, evaluate and the web page.
 * Platform-neutral.
 */
import { cropImage, tenCrops, type RgbImage } from './image.js';
import { resizeImage } from './resize.js';
import type { Preprocessing } from '../nn/manifest.js';

/**
 * The model inputs for one image: one view (resized; centre-cropped for the paper's recipe),
 * or ten (four corners, centre and their mirrors) with `tenCrop`. For a model trained on
 * whole images, ten crops are taken from the image resized to 256/224 of the input size.
 */
export function inputsFor(img: RgbImage, p: Preprocessing, tenCrop: boolean): Float32Array[] {
  const s = p.imageSize;
  const base = p.cropFrom && p.cropFrom > s ? p.cropFrom : tenCrop ? Math.round((s * 256) / 224) : s;
  const resized = resizeImage(img, base, base, p.resize);
  const off = Math.floor((base - s) / 2);
  const views: RgbImage[] = tenCrop ? tenCrops(resized, s) : base > s ? [cropImage(resized, off, off, s, s)] : [resized];
  return views.map((v) => {
    const f = new Float32Array(s * s * 3);
    for (let i = 0; i < v.data.length; i++) f[i] = v.data[i]! * p.rescale;
    return f;
  });
}
