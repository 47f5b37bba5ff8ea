/** Float64 reference of batch normalisation over the last axis of x viewed as [R, C]. */

export interface BnRefOptions {
  R: number;
  C: number;
  training: boolean;
  eps: number;
  /** running = keep·running + (1 − keep)·batch (Keras momentum; PyTorch's is 1 − keep). */
  keep: number;
}

export interface BnRefForward {
  y: Float64Array;
  /** The statistics used to normalise (batch in training, running in inference). */
  mean: Float64Array;
  variance: Float64Array;
  runMean: Float64Array;
  runVar: Float64Array;
}

export function batchNormRef(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runMean: ArrayLike<number>,
  runVar: ArrayLike<number>,
  o: BnRefOptions,
): BnRefForward {
  const { R, C } = o;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const newMean = Float64Array.from(runMean);
  const newVar = Float64Array.from(runVar);
  for (let c = 0; c < C; c++) {
    if (o.training) {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[r * C + c]!;
      const m = s / R;
      let q = 0;
      for (let r = 0; r < R; r++) q += (x[r * C + c]! - m) ** 2;
      mean[c] = m;
      variance[c] = q / R;
      newMean[c] = o.keep * runMean[c]! + (1 - o.keep) * m;
      newVar[c] = o.keep * runVar[c]! + (1 - o.keep) * (q / (R - 1));
    } else {
      mean[c] = runMean[c]!;
      variance[c] = runVar[c]!;
    }
  }
  const y = new Float64Array(R * C);
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      y[i] = (gamma[c]! * (x[i]! - mean[c]!)) / Math.sqrt(variance[c]! + o.eps) + beta[c]!;
    }
  return { y, mean, variance, runMean: newMean, runVar: newVar };
}

/** dx, dγ, dβ given dy (training: through the batch statistics; inference: affine). */
export function batchNormBackwardRef(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  gamma: ArrayLike<number>,
  fwd: Pick<BnRefForward, 'mean' | 'variance'>,
  o: Pick<BnRefOptions, 'R' | 'C' | 'training' | 'eps'>,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { R, C } = o;
  const dx = new Float64Array(R * C);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(fwd.variance[c]! + o.eps);
    let sg = 0;
    let sgx = 0;
    for (let r = 0; r < R; r++) {
      const i = r * C + c;
      const xh = (x[i]! - fwd.mean[c]!) * inv;
      sg += dy[i]!;
      sgx += dy[i]! * xh;
    }
    dbeta[c] = sg;
    dgamma[c] = sgx;
    for (let r = 0; r < R; r++) {
      const i = r * C + c;
      const xh = (x[i]! - fwd.mean[c]!) * inv;
      dx[i] = o.training ? gamma[c]! * inv * (dy[i]! - sg / R - (xh * sgx) / R) : gamma[c]! * inv * dy[i]!;
    }
  }
  return { dx, dgamma, dbeta };
}
