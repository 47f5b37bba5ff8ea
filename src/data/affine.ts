/**
 * One-pass affine resampling of an 8-bit RGB image into float32, the way Keras's
 * `apply_affine_transform` calls `scipy.ndimage.affine_transform(order=1)`.
 *
 * Conventions (exactly scipy's):
 *  - Coordinates are (row, col) of pixel centres: pixel (r, c) sits at (r, c); the image spans
 *    rows 0 … H−1 and cols 0 … W−1.
 *  - The matrix maps OUTPUT coordinates to INPUT coordinates ("pull" / inverse mapping):
 *      [row_in, col_in] = [[a, b], [d, e]] · [row_out, col_out] + [c, f]
 *    stored as `[a, b, c, d, e, f]`.
 *  - order 1: bilinear interpolation between the four pixel centres around the point.
 *  - Points outside the image are given values by the fill mode (Keras names; in the examples
 *    the row is `a b c d`, extended on both sides):
 *      'nearest'  a a a a | a b c d | d d d d   (scipy 'nearest': the coordinate is clamped)
 *      'reflect'  d c b a | a b c d | d c b a   (scipy 'reflect': half-sample symmetric, the
 *                                                edge pixel repeated; period 2n)
 *      'wrap'     a b c d | a b c d | a b c d   (periodic with period n, as Keras documents it;
 *                                                this is scipy's 'grid-wrap'. scipy's own 'wrap',
 *                                                which Keras's code passes on with scipy ≥ 1.6,
 *                                                makes the first and last samples coincide —
 *                                                period n−1 — a scipy quirk we do not copy.)
 *      'constant' k k k k | a b c d | k k k k   (scipy 'constant': a point whose row is outside
 *                                                [0, H−1] or whose col is outside [0, W−1] is
 *                                                `cval`; no blending with cval across the edge)
 *    Neighbours of a point are mapped through the mode one axis at a time, then blended.
 *    'constant' accepts points within 1e-6 px outside the edge as on it, so a 90° rotation
 *    whose cos(90°) ≈ 6e-17 does not turn a whole border row into cval (scipy has no such
 *    tolerance; the difference only exists within 1e-6 px of the edge).
 *
 * The result is written as `scale · (value + bias[channel])` — `scale` is the generator's
 * `rescale`, `bias` the PCA colour shift in pixel units (0 when unused).
 */

export type FillMode = 'nearest' | 'constant' | 'reflect' | 'wrap';

/** Output (row, col) → input (row, col): `[a, b, c, d, e, f]` as documented above. */
export type Affine2x3 = readonly [number, number, number, number, number, number];

export const FILL_MODES: readonly FillMode[] = ['nearest', 'constant', 'reflect', 'wrap'];

const EDGE_EPS = 1e-6;

export interface WarpSource {
  data: Uint8Array;
  /** Byte offset of the image in `data` (images live in one shared cache). */
  offset?: number;
  height: number;
  width: number;
}

export interface WarpTarget {
  data: Float32Array;
  /** Element offset of the output image in `data`. */
  offset?: number;
  height: number;
  width: number;
}

export interface WarpOptions {
  fillMode?: FillMode;
  cval?: number;
  scale?: number;
  bias?: readonly [number, number, number];
}

function reflectIndex(i: number, n: number): number {
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

function wrapIndex(i: number, n: number): number {
  const m = i % n;
  return m < 0 ? m + n : m;
}

/**
 * Resamples `src` through the affine map `m` into `dst`. All arithmetic is float64; the output
 * is rounded to float32 once, on store.
 */
export function warpAffine(src: WarpSource, dst: WarpTarget, m: Affine2x3, opts: WarpOptions = {}): void {
  const mode = opts.fillMode ?? 'nearest';
  if (!FILL_MODES.includes(mode)) {
    throw new Error(`unknown fillMode '${String(mode)}' (use ${FILL_MODES.map((f) => `'${f}'`).join(', ')})`);
  }
  const cval = opts.cval ?? 0;
  const scale = opts.scale ?? 1;
  const [b0, b1, b2] = opts.bias ?? [0, 0, 0];
  const H = src.height;
  const W = src.width;
  const s = src.data;
  const so = src.offset ?? 0;
  const out = dst.data;
  let o = dst.offset ?? 0;
  const [a, b, c, d, e, f] = m;
  const rowStride = W * 3;

  // Fast path: an integer translation that stays inside the image (crops, the identity,
  // validation batches) is a plain copy.
  if (a === 1 && b === 0 && d === 0 && e === 1 && Number.isInteger(c) && Number.isInteger(f) &&
      c >= 0 && f >= 0 && c + dst.height <= H && f + dst.width <= W) {
    for (let r = 0; r < dst.height; r++) {
      let p = so + (r + c) * rowStride + f * 3;
      for (let q = 0; q < dst.width; q++, p += 3) {
        out[o++] = scale * (s[p]! + b0);
        out[o++] = scale * (s[p + 1]! + b1);
        out[o++] = scale * (s[p + 2]! + b2);
      }
    }
    return;
  }

  const cv0 = scale * (cval + b0);
  const cv1 = scale * (cval + b1);
  const cv2 = scale * (cval + b2);
  for (let r = 0; r < dst.height; r++) {
    for (let q = 0; q < dst.width; q++) {
      let y = a * r + b * q + c;
      let x = d * r + e * q + f;
      let y0: number, y1: number, x0: number, x1: number, fy: number, fx: number;
      if (y >= 0 && y <= H - 1 && x >= 0 && x <= W - 1) {
        y0 = Math.floor(y);
        x0 = Math.floor(x);
        fy = y - y0;
        fx = x - x0;
        y1 = y0 + 1 < H ? y0 + 1 : y0;
        x1 = x0 + 1 < W ? x0 + 1 : x0;
      } else if (mode === 'constant') {
        if (y < -EDGE_EPS || y > H - 1 + EDGE_EPS || x < -EDGE_EPS || x > W - 1 + EDGE_EPS) {
          out[o++] = cv0;
          out[o++] = cv1;
          out[o++] = cv2;
          continue;
        }
        y = Math.min(Math.max(y, 0), H - 1);
        x = Math.min(Math.max(x, 0), W - 1);
        y0 = Math.floor(y);
        x0 = Math.floor(x);
        fy = y - y0;
        fx = x - x0;
        y1 = y0 + 1 < H ? y0 + 1 : y0;
        x1 = x0 + 1 < W ? x0 + 1 : x0;
      } else if (mode === 'nearest') {
        y = Math.min(Math.max(y, 0), H - 1);
        x = Math.min(Math.max(x, 0), W - 1);
        y0 = Math.floor(y);
        x0 = Math.floor(x);
        fy = y - y0;
        fx = x - x0;
        y1 = y0 + 1 < H ? y0 + 1 : y0;
        x1 = x0 + 1 < W ? x0 + 1 : x0;
      } else {
        const fy0 = Math.floor(y);
        const fx0 = Math.floor(x);
        fy = y - fy0;
        fx = x - fx0;
        if (mode === 'reflect') {
          y0 = reflectIndex(fy0, H);
          y1 = reflectIndex(fy0 + 1, H);
          x0 = reflectIndex(fx0, W);
          x1 = reflectIndex(fx0 + 1, W);
        } else {
          y0 = wrapIndex(fy0, H);
          y1 = wrapIndex(fy0 + 1, H);
          x0 = wrapIndex(fx0, W);
          x1 = wrapIndex(fx0 + 1, W);
        }
      }
      const p00 = so + y0 * rowStride + x0 * 3;
      const p01 = so + y0 * rowStride + x1 * 3;
      const p10 = so + y1 * rowStride + x0 * 3;
      const p11 = so + y1 * rowStride + x1 * 3;
      const w00 = (1 - fy) * (1 - fx);
      const w01 = (1 - fy) * fx;
      const w10 = fy * (1 - fx);
      const w11 = fy * fx;
      out[o++] = scale * (w00 * s[p00]! + w01 * s[p01]! + w10 * s[p10]! + w11 * s[p11]! + b0);
      out[o++] = scale * (w00 * s[p00 + 1]! + w01 * s[p01 + 1]! + w10 * s[p10 + 1]! + w11 * s[p11 + 1]! + b1);
      out[o++] = scale * (w00 * s[p00 + 2]! + w01 * s[p01 + 2]! + w10 * s[p10 + 2]! + w11 * s[p11 + 2]! + b2);
    }
  }
}

/** 3×3 row-major matrix product. */
export function matMul3(p: readonly number[], q: readonly number[]): number[] {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let acc = 0;
      for (let k = 0; k < 3; k++) acc += p[i * 3 + k]! * q[k * 3 + j]!;
      r[i * 3 + j] = acc;
    }
  }
  return r;
}
