/**
 * Regularisers applied to a training batch after augmentation (platform-neutral):
 *  - label smoothing (Szegedy et al. 2016; Keras's `label_smoothing`): y ← y(1 − ε) + ε/K,
 *    with K = 2 for one sigmoid unit, as Keras's binary_crossentropy does (ε/2 each side);
 *  - mixup (Zhang et al. 2018): each image blends with another of the batch,
 *    x ← λx + (1 − λ)x', y ← λy + (1 − λ)y', λ ~ Beta(α, α) per batch, the partner a seeded
 *    permutation of the batch.
 * The random draws come from the Rng passed in, seeded by the caller from (seed, global
 * batch), so a resumed run mixes exactly as the uninterrupted one.
 */
import { type Rng, permutation } from './prng.js';

/** Label smoothing in place; `classes` = 1 for one sigmoid unit (binary labels), else the one-hot width. */
export function smoothLabels(y: Float32Array, epsilon: number, classes: number): void {
  if (!(epsilon >= 0 && epsilon < 1)) throw new Error(`label smoothing must be in [0, 1), got ${epsilon}`);
  const k = classes === 1 ? 2 : classes;
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * (1 - epsilon) + epsilon / k;
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through the boost Gamma(a+1)·U^(1/a). */
function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal.
      x = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = gamma(a, rng);
  const y = gamma(b, rng);
  return x / (x + y);
}

/**
 * Mixup in place over a batch of `n` images of `pixels` floats each and labels of `labelWidth`
 * floats each. Returns λ and the partner of each image.
 */
export function mixupBatch(x: Float32Array, y: Float32Array, n: number, alpha: number, rng: Rng): { lambda: number; partner: Int32Array } {
  if (!(alpha > 0)) throw new Error(`mixup alpha must be > 0, got ${alpha}`);
  const pixels = x.length / n;
  const labelWidth = y.length / n;
  const lambda = sampleBeta(alpha, alpha, rng);
  const partner = permutation(n, rng);
  const x0 = x.slice();
  const y0 = y.slice();
  for (let i = 0; i < n; i++) {
    const j = partner[i]!;
    for (let p = 0; p < pixels; p++) x[i * pixels + p] = lambda * x0[i * pixels + p]! + (1 - lambda) * x0[j * pixels + p]!;
    for (let c = 0; c < labelWidth; c++) y[i * labelWidth + c] = lambda * y0[i * labelWidth + c]! + (1 - lambda) * y0[j * labelWidth + c]!;
  }
  return { lambda, partner };
}
