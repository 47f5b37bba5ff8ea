/**
 * Differentiable losses (each a [1] tensor: the mean over the batch), the L2 penalty and the
 * accuracy counts. Forward and backward are one fused dispatch each; the backward reads the
 * upstream gradient on the GPU, so nothing here reads back to the host. Labels get no
 * gradient.
 */
import {
  lossBackward,
  lossForward,
  scaleByScalar,
  sumOfSquaresPartials,
  sumPartials,
  sumsqWorkgroups,
} from '../../kernels/loss/loss.js';
import { clipBounds } from '../../kernels/loss/loss-ref.js';
// Registers the tape's gradient math, so backward() works with only the losses imported.
import './basic.js';
import { record } from '../tape.js';
import { Tensor, shapeStr } from '../tensor.js';

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.size === 0) {
    throw new Error(`${op}: outputs ${shapeStr(a.shape)} and labels ${shapeStr(b.shape)} differ in size`);
  }
}

function rowsOf(op: string, logits: Tensor, labels: Tensor): [number, number] {
  if (logits.rank !== 2 || labels.rank !== 2 || logits.shape[0] !== labels.shape[0] || logits.shape[1] !== labels.shape[1]) {
    throw new Error(`${op}: expected logits and labels of the same shape [N, C], got ${shapeStr(logits.shape)} and ${shapeStr(labels.shape)}`);
  }
  return [logits.shape[0]!, logits.shape[1]!];
}

/**
 * Mean of max(z,0) − z·y + log1p(exp(−|z|)) over all elements (logits [N] or [N, 1]; labels
 * 0/1 or soft). Stable for any logit; gradient (σ(z) − y)/N.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, labels: Tensor): Tensor {
  sameSize('binaryCrossEntropyWithLogits', logits, labels);
  const n = logits.size;
  const out = Tensor.empty(logits.ctx, [1]);
  lossForward(logits.ctx, 'bceLogits', logits.buffer, labels.buffer, out.buffer, { rows: n, C: 1 }, { alpha: 1 / n });
  return record('binaryCrossEntropyWithLogits', [logits, labels], out, (g) => {
    const dx = Tensor.empty(logits.ctx, logits.shape);
    lossBackward(logits.ctx, 'bceLogits', g.buffer, logits.buffer, labels.buffer, dx.buffer, { rows: n, C: 1 }, { alpha: 1 / n });
    return [dx, null];
  });
}

/**
 * Keras's binary_crossentropy on probabilities: p clipped to [ε, 1−ε] (in float32, as Keras),
 * mean of −(y·log p + (1−y)·log(1−p)); zero gradient where p was clipped, as tf.clip_by_value.
 * (TF 2.x's backend also adds ε inside each log; that shifts values only near the clip bounds.)
 */
export function binaryCrossEntropy(probs: Tensor, labels: Tensor, opts: { epsilon?: number } = {}): Tensor {
  sameSize('binaryCrossEntropy', probs, labels);
  const n = probs.size;
  const { lo, hi } = clipBounds(opts.epsilon ?? 1e-7);
  const out = Tensor.empty(probs.ctx, [1]);
  lossForward(probs.ctx, 'bceProbs', probs.buffer, labels.buffer, out.buffer, { rows: n, C: 1 }, { alpha: 1 / n, lo, hi });
  return record('binaryCrossEntropy', [probs, labels], out, (g) => {
    const dx = Tensor.empty(probs.ctx, probs.shape);
    lossBackward(probs.ctx, 'bceProbs', g.buffer, probs.buffer, labels.buffer, dx.buffer, { rows: n, C: 1 }, { alpha: 1 / n, lo, hi });
    return [dx, null];
  });
}

/**
 * Softmax cross-entropy of logits [N, C] against one-hot or probability labels [N, C]:
 * mean over rows of Σ_c y_c·(logsumexp(z) − z_c), max-shifted; gradient (softmax − y)/N.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const [N, C] = rowsOf('softmaxCrossEntropy', logits, labels);
  const out = Tensor.empty(logits.ctx, [1]);
  lossForward(logits.ctx, 'softmaxCE', logits.buffer, labels.buffer, out.buffer, { rows: N, C }, { alpha: 1 / N });
  return record('softmaxCrossEntropy', [logits, labels], out, (g) => {
    const dx = Tensor.empty(logits.ctx, logits.shape);
    lossBackward(logits.ctx, 'softmaxCE', g.buffer, logits.buffer, labels.buffer, dx.buffer, { rows: N, C }, { alpha: 1 / N });
    return [dx, null];
  });
}

/**
 * Keras l2(λ): λ·Σ_k Σ w_k² over all the given weights, a [1] tensor; gradient 2λ·w.
 * Two stages: per-weight partial sums of squares (many workgroups) into one scratch
 * buffer, then one workgroup sums them; 1 + #weights dispatches forward, #weights backward.
 */
export function l2Penalty(weights: Tensor[], lambda: number): Tensor {
  if (weights.length === 0) throw new Error('l2Penalty: no weights given');
  const ctx = weights[0]!.ctx;
  const total = weights.reduce((s, w) => s + sumsqWorkgroups(w.size), 0);
  const partials = Tensor.empty(ctx, [total]);
  let offset = 0;
  for (const w of weights) offset += sumOfSquaresPartials(ctx, w.buffer, w.size, partials.buffer, offset);
  const out = Tensor.empty(ctx, [1]);
  sumPartials(ctx, partials.buffer, total, out.buffer, lambda);
  partials.dispose();
  return record('l2Penalty', weights, out, (g) =>
    weights.map((w) => {
      if (!w.requiresGrad) return null;
      const dw = Tensor.empty(ctx, w.shape);
      scaleByScalar(ctx, g.buffer, w.buffer, dw.buffer, w.size, 2 * lambda);
      return dw;
    }),
  );
}

/**
 * Count (a [1] tensor, no gradient) of correct binary predictions: output > 0.5 on
 * probabilities (> 0 on logits) against label > 0.5. Summed on the GPU so a training loop
 * reads back once per step.
 */
export function binaryAccuracy(outputs: Tensor, labels: Tensor, opts: { fromLogits?: boolean } = {}): Tensor {
  sameSize('binaryAccuracy', outputs, labels);
  const out = Tensor.empty(outputs.ctx, [1]);
  lossForward(outputs.ctx, 'binaryAccuracy', outputs.buffer, labels.buffer, out.buffer, { rows: outputs.size, C: 1 }, {
    threshold: opts.fromLogits ? 0 : 0.5,
  });
  return out;
}

/** Count (a [1] tensor, no gradient) of rows whose argmax of logits [N, C] matches that of the labels. */
export function categoricalAccuracy(logits: Tensor, labels: Tensor): Tensor {
  const [N, C] = rowsOf('categoricalAccuracy', logits, labels);
  const out = Tensor.empty(logits.ctx, [1]);
  lossForward(logits.ctx, 'categoricalAccuracy', logits.buffer, labels.buffer, out.buffer, { rows: N, C });
  return out;
}
