/**
 * Float64 references of the losses and metrics (mean over the batch; gradients of that
 * mean with respect to the network outputs).
 */

export interface LossRef {
  loss: number;
  grad: Float64Array;
}

/**
 * Clip bounds of Keras's probability-space BCE: ε and 1 − ε as float32 computes them
 * (1 − 1e-7 rounds to 1 − 1.19e-7 in float32, which changes log(1 − p) at the bound by 0.18).
 */
export function clipBounds(epsilon: number): { lo: number; hi: number } {
  const lo = Math.fround(epsilon);
  return { lo, hi: Math.fround(1 - lo) };
}

/** Mean of max(z,0) − z·y + log1p(exp(−|z|)); gradient (σ(z) − y)/N. */
export function bceLogitsRef(z: ArrayLike<number>, y: ArrayLike<number>): LossRef {
  const n = z.length;
  const grad = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const zi = z[i]!;
    const yi = y[i]!;
    s += Math.max(zi, 0) - zi * yi + Math.log1p(Math.exp(-Math.abs(zi)));
    const sig = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
    grad[i] = (sig - yi) / n;
  }
  return { loss: s / n, grad };
}

/** Keras: p clipped to [ε, 1−ε], mean of −(y log p + (1−y) log(1−p)); zero gradient where clipped. */
export function bceProbsRef(p: ArrayLike<number>, y: ArrayLike<number>, epsilon = 1e-7): LossRef {
  const { lo, hi } = clipBounds(epsilon);
  const n = p.length;
  const grad = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const pi = p[i]!;
    const yi = y[i]!;
    const q = Math.min(Math.max(pi, lo), hi);
    s += -(yi * Math.log(q) + (1 - yi) * Math.log(1 - q));
    grad[i] = pi >= lo && pi <= hi ? (-yi / q + (1 - yi) / (1 - q)) / n : 0;
  }
  return { loss: s / n, grad };
}

/** Mean over N rows of Σ_c y_c (logsumexp(z) − z_c); gradient (softmax·Σy − y)/N. */
export function softmaxCERef(z: ArrayLike<number>, y: ArrayLike<number>, N: number, C: number): LossRef {
  const grad = new Float64Array(N * C);
  let s = 0;
  for (let r = 0; r < N; r++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, z[r * C + c]!);
    let se = 0;
    let ys = 0;
    for (let c = 0; c < C; c++) {
      se += Math.exp(z[r * C + c]! - mx);
      ys += y[r * C + c]!;
    }
    const lse = mx + Math.log(se);
    for (let c = 0; c < C; c++) {
      const k = r * C + c;
      s += y[k]! * (lse - z[k]!);
      grad[k] = (Math.exp(z[k]! - lse) * ys - y[k]!) / N;
    }
  }
  return { loss: s / N, grad };
}

/** λ·Σ_k Σ w_k²; gradient 2λ·w_k. */
export function l2Ref(weights: ArrayLike<number>[], lambda: number): { value: number; grads: Float64Array[] } {
  let s = 0;
  const grads = weights.map((w) => {
    const g = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      s += w[i]! * w[i]!;
      g[i] = 2 * lambda * w[i]!;
    }
    return g;
  });
  return { value: lambda * s, grads };
}

/** Count of (output > threshold) == (label > 0.5); threshold 0.5 on probabilities, 0 on logits. */
export function binaryAccuracyRef(out: ArrayLike<number>, y: ArrayLike<number>, fromLogits: boolean): number {
  const t = fromLogits ? 0 : 0.5;
  let c = 0;
  for (let i = 0; i < out.length; i++) if (out[i]! > t === y[i]! > 0.5) c++;
  return c;
}

function argmax(a: ArrayLike<number>, base: number, C: number): number {
  let best = 0;
  for (let c = 1; c < C; c++) if (a[base + c]! > a[base + best]!) best = c;
  return best;
}

/** Count of rows whose first argmax of the logits equals that of the labels. */
export function categoricalAccuracyRef(z: ArrayLike<number>, y: ArrayLike<number>, N: number, C: number): number {
  let c = 0;
  for (let r = 0; r < N; r++) if (argmax(z, r * C, C) === argmax(y, r * C, C)) c++;
  return c;
}
