/**
 * Data augmentation: Keras `ImageDataGenerator` options plus the AlexNet paper's crops, flips
 * and PCA colour noise, all folded into ONE affine map per image and applied in one bilinear
 * resampling pass (see affine.ts for the exact pixel conventions).
 *
 * Keras meanings (keras.preprocessing.image, `get_random_transform` + `apply_affine_transform`):
 *  - rotationRange r: θ ~ U(−r, r) degrees; rotation matrix [[cos θ, −sin θ], [sin θ, cos θ]]
 *    on (row, col) coordinates.
 *  - heightShiftRange / widthShiftRange s: a number < 1 is a fraction of the image height /
 *    width, ≥ 1 a number of pixels, the shift drawn from U(−s, s); a list picks one of its
 *    values with a random sign (fractions when all are < 1). The matrix is
 *    [[1, 0, tx], [0, 1, ty]] with tx the height (row) shift and ty the width (col) shift, so
 *    the content moves by −shift. (Keras draws an int range from a discrete set; here every
 *    number is a continuous range, as Keras treats floats.)
 *  - shearRange s: shear angle φ ~ U(−s, s) in DEGREES (modern Keras; old Keras used radians);
 *    matrix [[1, −sin φ], [0, cos φ]].
 *  - zoomRange z: a number means [1 − z, 1 + z], or give [lo, hi]; zx (rows) and zy (cols) are
 *    drawn independently from U(lo, hi); matrix [[zx, 0], [0, zy]]. As in Keras, zx > 1 shows
 *    MORE of the image (zooms out).
 *  - horizontalFlip / verticalFlip: each applied with probability 1/2, after the affine
 *    transform (as Keras's `apply_transform`), here folded into the same map.
 *  - fillMode, cval: as Keras ('nearest' default).
 *  - The map is R · Shift · Shear · Zoom conjugated by a translation to the image centre
 *    ((H − 1)/2, (W − 1)/2), i.e. Keras's `transform_matrix_offset_center`.
 *  - rescale: output = pixel · rescale, applied last (Keras `standardize`). Default 1 (no
 *    rescale), as Keras; our CLIs pass 1/255.
 *
 * AlexNet (Krizhevsky et al. 2012, §4.1):
 *  - crop: a random crop of this size from the image as resized to the loader's target size
 *    (e.g. targetSize 256 + crop 224), with `horizontalFlip`;
 *  - centerCrop: the deterministic centre crop for validation / test;
 *  - tenCrop: (evaluation) the four corners, the centre and their mirrors — 10 outputs per image;
 *  - pcaNoise: add Σᵢ pᵢ αᵢ λᵢ to every pixel (pᵢ, λᵢ the eigenvectors / eigenvalues of the RGB
 *    covariance of the training set, pixel values in [0, 1]; αᵢ ~ N(0, σ²), σ = 0.1, drawn once
 *    per image). The shift is computed in [0, 1] units and multiplied by 255 before `rescale`.
 *    `magnitude: 'stddev'` uses √λᵢ instead of λᵢ (what fb.resnet.torch and most ports do).
 *
 * Randomness: every draw for an image comes from its own generator seeded with
 * hash(seed, epoch, image index), consumed in a fixed order whether or not an option is
 * enabled, so enabling one option never changes another's draws, and any (epoch, image) can be
 * re-made exactly (resume).
 */
import { type Affine2x3, type FillMode, FILL_MODES, matMul3, warpAffine } from './affine.js';
import { tenCropOrigins } from './image.js';
import { Rng, hashSeed } from './prng.js';
import type { RgbPca } from './pca.js';

export interface PcaNoiseOptions extends RgbPca {
  /** Standard deviation of αᵢ (AlexNet: 0.1). */
  std?: number;
  /** Multiply αᵢ by λᵢ ('eigenvalue', the paper's formula, default) or by √λᵢ ('stddev'). */
  magnitude?: 'eigenvalue' | 'stddev';
}

/** Options of Keras's `ImageDataGenerator` (camelCased) plus the AlexNet paper's. */
export interface AugmentOptions {
  rescale?: number;
  rotationRange?: number;
  widthShiftRange?: number | readonly number[];
  heightShiftRange?: number | readonly number[];
  shearRange?: number;
  zoomRange?: number | readonly [number, number];
  horizontalFlip?: boolean;
  verticalFlip?: boolean;
  fillMode?: FillMode;
  cval?: number;
  /** Random crop (AlexNet): side, or [height, width]. */
  crop?: number | readonly [number, number];
  /** Deterministic centre crop (evaluation): side, or [height, width]. */
  centerCrop?: number | readonly [number, number];
  /** Ten crops per image (evaluation): side, or [height, width]. */
  tenCrop?: number | readonly [number, number];
  /** AlexNet PCA colour noise. */
  pcaNoise?: PcaNoiseOptions;
}

/** Everything random about one image. */
export interface TransformParams {
  theta: number; // degrees
  tx: number; // row shift, pixels
  ty: number; // col shift, pixels
  shear: number; // degrees
  zx: number;
  zy: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  cropY: number;
  cropX: number;
  /** PCA colour shift per channel in pixel units (0–255 scale). */
  colorShift: [number, number, number];
}

function pair(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** The output size (height, width) for images of the given cached size. */
export function outputSize(opts: AugmentOptions, height: number, width: number): [number, number] {
  const crop = opts.crop ?? opts.centerCrop ?? opts.tenCrop;
  const [h, w] = crop === undefined ? [height, width] : pair(crop);
  if (h > height || w > width || h < 1 || w < 1) {
    throw new Error(`crop ${h}x${w} does not fit in the ${height}x${width} target size (crop ≤ targetSize)`);
  }
  return [h, w];
}

/** True when the options include anything random (so the data is augmented). */
export function isRandom(opts: AugmentOptions): boolean {
  return !!(
    opts.rotationRange || nonZeroRange(opts.widthShiftRange) || nonZeroRange(opts.heightShiftRange) ||
    opts.shearRange || zoomBounds(opts.zoomRange).some((z) => z !== 1) || opts.horizontalFlip ||
    opts.verticalFlip || opts.crop !== undefined || opts.pcaNoise
  );
}

function nonZeroRange(r: number | readonly number[] | undefined): boolean {
  return typeof r === 'number' ? r !== 0 : Array.isArray(r) ? r.some((v) => v !== 0) : false;
}

function zoomBounds(z: number | readonly [number, number] | undefined): [number, number] {
  if (z === undefined) return [1, 1];
  if (typeof z === 'number') return [1 - z, 1 + z];
  return [z[0], z[1]];
}

/** Checks the options; throws an Error naming the bad option. */
export function validateAugmentOptions(opts: AugmentOptions): void {
  const nonNeg = (name: keyof AugmentOptions) => {
    const v = opts[name];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
      throw new Error(`augmentation option ${name} must be a non-negative number, got ${String(v)}`);
    }
  };
  nonNeg('rotationRange');
  nonNeg('shearRange');
  if (opts.rescale !== undefined && !Number.isFinite(opts.rescale)) throw new Error(`rescale must be a number`);
  for (const k of ['widthShiftRange', 'heightShiftRange'] as const) {
    const v = opts[k];
    if (v === undefined) continue;
    const vals = typeof v === 'number' ? [v] : v;
    if (!vals.every((x) => Number.isFinite(x) && x >= 0)) throw new Error(`${k} must be non-negative numbers`);
  }
  if (opts.zoomRange !== undefined) {
    const [lo, hi] = zoomBounds(opts.zoomRange);
    if (!(lo > 0 && hi >= lo)) throw new Error(`zoomRange must give 0 < lo ≤ hi, got [${lo}, ${hi}]`);
  }
  if (opts.fillMode !== undefined && !FILL_MODES.includes(opts.fillMode)) {
    throw new Error(`unknown fillMode '${opts.fillMode}' (use ${FILL_MODES.join(', ')})`);
  }
  const crops = [opts.crop, opts.centerCrop, opts.tenCrop].filter((c) => c !== undefined);
  if (crops.length > 1) throw new Error('give at most one of crop, centerCrop, tenCrop');
  if (opts.tenCrop !== undefined && isRandom({ ...opts, tenCrop: undefined })) {
    throw new Error('tenCrop is for evaluation and cannot be combined with random augmentation');
  }
  if (opts.pcaNoise) {
    const p = opts.pcaNoise;
    if (p.eigenvalues?.length !== 3 || p.eigenvectors?.length !== 3 || p.eigenvectors.some((r) => r.length !== 3)) {
      throw new Error('pcaNoise needs eigenvalues [3] and eigenvectors [3][3] (see computeRgbPca)');
    }
  }
}

function sampleShift(r: number | readonly number[] | undefined, size: number, rng: Rng): number {
  const u = rng.next();
  const sign = rng.next() < 0.5 ? -1 : 1;
  if (r === undefined) return 0;
  if (typeof r === 'number') {
    if (r === 0) return 0;
    const v = -r + 2 * r * u;
    return r < 1 ? v * size : v;
  }
  if (r.length === 0) return 0;
  const v = r[Math.min(r.length - 1, Math.floor(u * r.length))]! * sign;
  return Math.max(...r) < 1 ? v * size : v;
}

/**
 * Draws one image's transform. `h`, `w`: the cached image size. Always consumes the same
 * number of draws (15) in the same order.
 */
export function sampleTransform(opts: AugmentOptions, rng: Rng, h: number, w: number): TransformParams {
  const u = (range: number | undefined) => {
    const v = rng.next();
    return range ? -range + 2 * range * v : 0;
  };
  const theta = u(opts.rotationRange);
  const tx = sampleShift(opts.heightShiftRange, h, rng);
  const ty = sampleShift(opts.widthShiftRange, w, rng);
  const shear = u(opts.shearRange);
  const [zlo, zhi] = zoomBounds(opts.zoomRange);
  const uzx = rng.next();
  const uzy = rng.next();
  const zoomOn = !(zlo === 1 && zhi === 1);
  const zx = zoomOn ? zlo + (zhi - zlo) * uzx : 1;
  const zy = zoomOn ? zlo + (zhi - zlo) * uzy : 1;
  const flipHorizontal = rng.next() < 0.5 && !!opts.horizontalFlip;
  const flipVertical = rng.next() < 0.5 && !!opts.verticalFlip;
  const [oh, ow] = outputSize(opts, h, w);
  const ucy = rng.next();
  const ucx = rng.next();
  let cropY = 0;
  let cropX = 0;
  if (opts.crop !== undefined) {
    cropY = Math.floor(ucy * (h - oh + 1));
    cropX = Math.floor(ucx * (w - ow + 1));
  } else if (opts.centerCrop !== undefined) {
    cropY = Math.floor((h - oh) / 2);
    cropX = Math.floor((w - ow) / 2);
  }
  const alphas = [rng.normal(), rng.normal(), rng.normal()];
  const colorShift = pcaColorShift(opts.pcaNoise, alphas);
  return { theta, tx, ty, shear, zx, zy, flipHorizontal, flipVertical, cropY, cropX, colorShift };
}

/** The transform of an un-augmented image (only `centerCrop` applies). */
export function identityTransform(opts: AugmentOptions, h: number, w: number): TransformParams {
  const [oh, ow] = outputSize(opts, h, w);
  const centre = opts.centerCrop !== undefined;
  return {
    theta: 0, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flipHorizontal: false, flipVertical: false,
    cropY: centre ? Math.floor((h - oh) / 2) : 0,
    cropX: centre ? Math.floor((w - ow) / 2) : 0,
    colorShift: [0, 0, 0],
  };
}

/**
 * The AlexNet colour shift in pixel units: 255 · Σᵢ pᵢ (αᵢ σ) mᵢ with mᵢ = λᵢ or √λᵢ, where
 * `alphas` are standard normals. Zero without `pca`.
 */
export function pcaColorShift(pca: PcaNoiseOptions | undefined, alphas: readonly number[]): [number, number, number] {
  if (!pca) return [0, 0, 0];
  const std = pca.std ?? 0.1;
  const out: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const lambda = pca.eigenvalues[i]!;
    const m = pca.magnitude === 'stddev' ? Math.sqrt(Math.max(lambda, 0)) : lambda;
    const k = alphas[i]! * std * m;
    for (let ch = 0; ch < 3; ch++) out[ch] += 255 * pca.eigenvectors[ch]![i]! * k;
  }
  return out;
}

/**
 * Keras's `apply_affine_transform` matrix (3×3, row-major, output → input, (row, col)) for an
 * `h`×`w` image: R(θ) · T(tx, ty) · Shear(φ) · Zoom(zx, zy), conjugated by the centre offset.
 */
export function kerasTransformMatrix(p: TransformParams, h: number, w: number): number[] {
  const th = (p.theta * Math.PI) / 180;
  const sh = (p.shear * Math.PI) / 180;
  let m = [Math.cos(th), -Math.sin(th), 0, Math.sin(th), Math.cos(th), 0, 0, 0, 1];
  m = matMul3(m, [1, 0, p.tx, 0, 1, p.ty, 0, 0, 1]);
  m = matMul3(m, [1, -Math.sin(sh), 0, 0, Math.cos(sh), 0, 0, 0, 1]);
  m = matMul3(m, [p.zx, 0, 0, 0, p.zy, 0, 0, 0, 1]);
  const oy = h / 2 - 0.5;
  const ox = w / 2 - 0.5;
  return matMul3(matMul3([1, 0, oy, 0, 1, ox, 0, 0, 1], m), [1, 0, -oy, 0, 1, -ox, 0, 0, 1]);
}

/**
 * The one map from an output pixel (row, col) of size outH×outW to the cached h×w image:
 * crop offset, then the flips (on the full h×w grid), then Keras's matrix.
 */
export function composeTransform(p: TransformParams, h: number, w: number): Affine2x3 {
  const isIdentity = p.theta === 0 && p.tx === 0 && p.ty === 0 && p.shear === 0 && p.zx === 1 && p.zy === 1;
  const k = isIdentity ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : kerasTransformMatrix(p, h, w);
  const flip = [
    p.flipVertical ? -1 : 1, 0, p.flipVertical ? h - 1 : 0,
    0, p.flipHorizontal ? -1 : 1, p.flipHorizontal ? w - 1 : 0,
    0, 0, 1,
  ];
  const crop = [1, 0, p.cropY, 0, 1, p.cropX, 0, 0, 1];
  const m = matMul3(matMul3(k, flip), crop);
  return [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!];
}

/** One image's augmentation generator: hash(seed, epoch, index). */
export function imageRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(hashSeed(seed, epoch, index));
}

export interface RenderSource {
  data: Uint8Array;
  offset?: number;
  height: number;
  width: number;
}

/**
 * Renders one image into `out` at element `outOffset`: augmented when `augment` is true and
 * the options are random, otherwise only `centerCrop` and `rescale`. With `tenCrop`, writes
 * 10 consecutive images. Returns the parameters used (the first crop's for tenCrop).
 */
export function renderImage(
  src: RenderSource,
  opts: AugmentOptions,
  augment: boolean,
  rng: Rng | null,
  out: Float32Array,
  outOffset: number,
): TransformParams {
  const { height: h, width: w } = src;
  const [oh, ow] = outputSize(opts, h, w);
  const warp = { fillMode: opts.fillMode ?? 'nearest', cval: opts.cval ?? 0, scale: opts.rescale ?? 1 };
  if (opts.tenCrop !== undefined) {
    const origins = tenCropOrigins(h, w, oh, ow);
    const n = oh * ow * 3;
    let first: TransformParams | null = null;
    for (let i = 0; i < 10; i++) {
      const [cy, cx] = origins[i % 5]!;
      const p: TransformParams = {
        ...identityTransform({}, h, w),
        cropY: cy,
        cropX: i >= 5 ? w - ow - cx : cx, // mirror of a crop = the mirrored image's mirrored-position crop
        flipHorizontal: i >= 5,
      };
      first ??= p;
      warpAffine(src, { data: out, offset: outOffset + i * n, height: oh, width: ow }, composeTransform(p, h, w), warp);
    }
    return first!;
  }
  const p = augment && rng && isRandom(opts) ? sampleTransform(opts, rng, h, w) : identityTransform(opts, h, w);
  warpAffine(src, { data: out, offset: outOffset, height: oh, width: ow }, composeTransform(p, h, w), {
    ...warp,
    bias: p.colorShift,
  });
  return p;
}
