/**
 * Resizing to the loader's target size, as Keras's `load_img(target_size=…)` does it (PIL's
 * `Image.resize`).
 *
 * The aspect ratio is NOT preserved: every image is stretched to exactly height × width, which
 * is what Keras's `flow_from_directory` does (its `keep_aspect_ratio` defaults to False).
 *
 * - 'nearest' (Keras's default): output pixel x takes source pixel floor((x + 0.5) · in / out),
 *   per axis — PIL's NEAREST, checked against Pillow in the tests.
 * - 'bilinear': PIL's BILINEAR — a triangle filter whose support widens with the downscale
 *   factor (so a large reduction averages, i.e. antialiases, instead of skipping pixels); a
 *   horizontal pass into an 8-bit intermediate, then a vertical pass, with PIL's 22-bit
 *   fixed-point coefficients and rounding, so results match Pillow to the last bit (tested
 *   against values produced by Pillow 12).
 */
import type { RgbImage } from './image.js';

export type Interpolation = 'nearest' | 'bilinear';

/** Resizes `src` to `width`×`height`, into `out` at `outOffset` (bytes) when given. */
export function resizeImage(
  src: RgbImage,
  width: number,
  height: number,
  method: Interpolation = 'nearest',
  out?: Uint8Array,
  outOffset = 0,
): RgbImage {
  if (!(width >= 1 && height >= 1 && Number.isInteger(width) && Number.isInteger(height))) {
    throw new RangeError(`resizeImage: bad target size ${width}x${height}`);
  }
  const n = width * height * 3;
  const dst = out ? out.subarray(outOffset, outOffset + n) : new Uint8Array(n);
  if (dst.length !== n) throw new RangeError('resizeImage: output buffer too small');
  if (method === 'nearest') resizeNearest(src, width, height, dst);
  else if (method === 'bilinear') resizeBilinearPil(src, width, height, dst);
  else throw new Error(`resizeImage: unknown interpolation '${String(method)}' (use 'nearest' or 'bilinear')`);
  return { width, height, data: dst };
}

/** Source index of each output index for PIL's NEAREST: floor((i + 0.5) · in / out), exactly. */
function nearestIndex(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) idx[i] = Math.min(inSize - 1, Math.floor(((2 * i + 1) * inSize) / (2 * outSize)));
  return idx;
}

function resizeNearest(src: RgbImage, w: number, h: number, dst: Uint8Array): void {
  const xs = nearestIndex(src.width, w);
  const ys = nearestIndex(src.height, h);
  const s = src.data;
  let d = 0;
  for (let y = 0; y < h; y++) {
    const row = ys[y]! * src.width * 3;
    for (let x = 0; x < w; x++) {
      const p = row + xs[x]! * 3;
      dst[d++] = s[p]!;
      dst[d++] = s[p + 1]!;
      dst[d++] = s[p + 2]!;
    }
  }
}

const PRECISION_BITS = 32 - 8 - 2; // Pillow's Resample.c
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coeffs {
  bounds: Int32Array; // [xmin, count] per output sample
  ksize: number;
  k: Float64Array; // integer fixed-point coefficients, ksize per output sample
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
function bilinearCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Float64Array(outSize * ksize);
  const tmp = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      tmp[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? tmp[x]! / ww : tmp[x]!;
      k[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, ksize, k };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function resizeBilinearPil(src: RgbImage, w: number, h: number, dst: Uint8Array): void {
  const inW = src.width;
  const inH = src.height;
  // Horizontal pass (skipped, as in Pillow, when the width does not change).
  let mid: Uint8Array = src.data;
  if (w !== inW) {
    const c = bilinearCoeffs(inW, w);
    mid = new Uint8Array(w * inH * 3);
    for (let y = 0; y < inH; y++) {
      const srow = y * inW * 3;
      const drow = y * w * 3;
      for (let x = 0; x < w; x++) {
        const xmin = c.bounds[x * 2]!;
        const cnt = c.bounds[x * 2 + 1]!;
        const kb = x * c.ksize;
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let i = 0; i < cnt; i++) {
          const kk = c.k[kb + i]!;
          const p = srow + (xmin + i) * 3;
          r += src.data[p]! * kk;
          g += src.data[p + 1]! * kk;
          b += src.data[p + 2]! * kk;
        }
        const d = drow + x * 3;
        mid[d] = clip8(r);
        mid[d + 1] = clip8(g);
        mid[d + 2] = clip8(b);
      }
    }
  }
  if (h === inH) {
    dst.set(mid.subarray(0, w * h * 3));
    return;
  }
  // Vertical pass.
  const c = bilinearCoeffs(inH, h);
  const rowLen = w * 3;
  for (let y = 0; y < h; y++) {
    const ymin = c.bounds[y * 2]!;
    const cnt = c.bounds[y * 2 + 1]!;
    const kb = y * c.ksize;
    const drow = y * rowLen;
    for (let j = 0; j < rowLen; j++) {
      let s = HALF;
      for (let i = 0; i < cnt; i++) s += mid[(ymin + i) * rowLen + j]! * c.k[kb + i]!;
      dst[drow + j] = clip8(s);
    }
  }
}
