/**
 * The RGB principal components of a set of images, for AlexNet's PCA colour augmentation.
 *
 * Pixel values are taken in [0, 1] (byte / 255). The covariance is the population covariance
 * (divide by N) of all sampled pixels; its eigen-decomposition is computed with cyclic Jacobi
 * rotations in float64 (exact to rounding for a 3×3 symmetric matrix).
 */
import type { RgbImage } from './image.js';
import { Rng } from './prng.js';

export interface RgbPca {
  /** Eigenvalues of the RGB covariance, largest first. */
  eigenvalues: [number, number, number];
  /**
   * Eigenvectors as COLUMNS: `eigenvectors[channel][i]` is the channel component of the i-th
   * principal axis (unit length, matching `eigenvalues[i]`).
   */
  eigenvectors: [[number, number, number], [number, number, number], [number, number, number]];
  /** Mean colour in [0, 1]. */
  mean?: [number, number, number];
}

/**
 * Eigen-decomposition of a symmetric 3×3 matrix `a` (row-major, 9 numbers): values sorted
 * descending, vectors as columns of a row-major 3×3 matrix.
 */
export function symmetricEigen3(a: readonly number[]): { values: number[]; vectors: number[] } {
  const m = a.slice(0, 9);
  const v = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = m[1]! ** 2 + m[2]! ** 2 + m[5]! ** 2;
    const scale = m[0]! ** 2 + m[4]! ** 2 + m[8]! ** 2;
    if (off <= 1e-30 * Math.max(scale, 1e-300)) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = m[p * 3 + q]!;
      if (apq === 0) continue;
      const app = m[p * 3 + p]!;
      const aqq = m[q * 3 + q]!;
      const theta = (aqq - app) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      // m ← Jᵀ m J with the rotation J in the (p, q) plane.
      for (let k = 0; k < 3; k++) {
        const mkp = m[k * 3 + p]!;
        const mkq = m[k * 3 + q]!;
        m[k * 3 + p] = c * mkp - s * mkq;
        m[k * 3 + q] = s * mkp + c * mkq;
      }
      for (let k = 0; k < 3; k++) {
        const mpk = m[p * 3 + k]!;
        const mqk = m[q * 3 + k]!;
        m[p * 3 + k] = c * mpk - s * mqk;
        m[q * 3 + k] = s * mpk + c * mqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p]!;
        const vkq = v[k * 3 + q]!;
        v[k * 3 + p] = c * vkp - s * vkq;
        v[k * 3 + q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => m[j * 4]! - m[i * 4]!);
  const values = order.map((i) => m[i * 4]!);
  const vectors = new Array<number>(9);
  order.forEach((src, dst) => {
    // Sign convention: the largest-magnitude component of each vector is positive.
    let big = 0;
    for (let k = 0; k < 3; k++) if (Math.abs(v[k * 3 + src]!) > Math.abs(v[big * 3 + src]!)) big = k;
    const sgn = v[big * 3 + src]! < 0 ? -1 : 1;
    for (let k = 0; k < 3; k++) vectors[k * 3 + dst] = sgn * v[k * 3 + src]!;
  });
  return { values, vectors };
}

export interface PcaSampleOptions {
  /** At most this many pixels per image, picked at random (default: all pixels). */
  maxPixelsPerImage?: number;
  /** Seed for picking pixels (default 0). */
  seed?: number;
}

/** RGB covariance eigen-decomposition of (a sample of) the pixels of `images`, values in [0, 1]. */
export function computeRgbPca(images: Iterable<RgbImage>, opts: PcaSampleOptions = {}): RgbPca {
  const rng = new Rng(opts.seed ?? 0);
  let n = 0;
  const sum = [0, 0, 0];
  const sq = new Array<number>(9).fill(0); // Σ x xᵀ
  const add = (d: Uint8Array, p: number) => {
    const r = d[p]! / 255;
    const g = d[p + 1]! / 255;
    const b = d[p + 2]! / 255;
    sum[0] += r; sum[1] += g; sum[2] += b;
    sq[0] += r * r; sq[1] += r * g; sq[2] += r * b;
    sq[4] += g * g; sq[5] += g * b; sq[8] += b * b;
    n++;
  };
  for (const img of images) {
    const pixels = img.width * img.height;
    const k = opts.maxPixelsPerImage;
    if (k === undefined || k >= pixels) {
      for (let i = 0; i < pixels; i++) add(img.data, i * 3);
    } else {
      for (let i = 0; i < k; i++) add(img.data, rng.int(pixels) * 3);
    }
  }
  if (n < 2) throw new Error('computeRgbPca: need at least two pixels');
  const mean = sum.map((s) => s / n) as [number, number, number];
  const cov = new Array<number>(9);
  for (const [i, j] of [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]] as const) {
    const c = sq[i * 3 + j]! / n - mean[i] * mean[j];
    cov[i * 3 + j] = c;
    cov[j * 3 + i] = c;
  }
  const { values, vectors: ev } = symmetricEigen3(cov);
  return {
    eigenvalues: [values[0]!, values[1]!, values[2]!],
    eigenvectors: [
      [ev[0]!, ev[1]!, ev[2]!],
      [ev[3]!, ev[4]!, ev[5]!],
      [ev[6]!, ev[7]!, ev[8]!],
    ],
    mean,
  };
}
