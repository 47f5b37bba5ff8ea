/**
 * Float64 references of the optimizer updates, written straight from the published rules
 * (not from the kernels' folded form), so the tests check the folding too.
 */

export interface AdamRefOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay?: number;
  convention: 'keras' | 'pytorch';
}

/** One Adam step at t (1-based), in place on w, m, v. */
export function adamRefStep(w: Float64Array, m: Float64Array, v: Float64Array, g: ArrayLike<number>, t: number, o: AdamRefOptions): void {
  const wd = o.weightDecay ?? 0;
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  const lrT = (o.lr * Math.sqrt(bc2)) / bc1;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]! + wd * w[i]!;
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
    if (o.convention === 'keras') {
      w[i] = w[i]! - (lrT * m[i]!) / (Math.sqrt(v[i]!) + o.epsilon);
    } else {
      const mHat = m[i]! / bc1;
      const vHat = v[i]! / bc2;
      w[i] = w[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.epsilon);
    }
  }
}

/**
 * One SGD step (PyTorch): g ← g + wd·w; buf ← μ·buf + g (buf = g at the first step);
 * w ← w − lr·(nesterov ? g + μ·buf : buf). `buf` null means the first step.
 */
export function sgdRefStep(
  w: Float64Array,
  buf: Float64Array | null,
  g: ArrayLike<number>,
  o: { lr: number; momentum: number; weightDecay: number; nesterov: boolean },
): Float64Array | null {
  const out = o.momentum !== 0 ? (buf ?? new Float64Array(w.length)) : null;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]! + o.weightDecay * w[i]!;
    if (!out) {
      w[i] = w[i]! - o.lr * gi;
      continue;
    }
    out[i] = buf ? o.momentum * out[i]! + gi : gi;
    const d = o.nesterov ? gi + o.momentum * out[i]! : out[i]!;
    w[i] = w[i]! - o.lr * d;
  }
  return out;
}
