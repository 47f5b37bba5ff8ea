/**
 * Differentiable 2-D convolution: y = act(conv(x, w) + b) with x [N, H, W, Cin] (NHWC),
 * w [KH, KW, Cin/groups, Cout] (Keras HWIO), b [Cout], y [N, OH, OW, Cout]; optional fused
 * activation (fused when its backward reads only the output, as dense does; see matmul.ts).
 * Kernels and their design: src/kernels/conv2d/conv2d.ts.
 */
import { backwardFromOutput } from '../../kernels/elementwise/pointwise.js';
import { reduceMiddle } from '../../kernels/reduce/reduce.js';
import {
  conv2dBackwardData,
  conv2dBackwardWeights,
  conv2dForward,
  hasPadding,
  pad2d,
} from '../../kernels/conv2d/conv2d.js';
import { type Conv2dOptions, type Padding, conv2dGeometry } from '../../kernels/conv2d/geometry.js';
import { needsGrad, record } from '../tape.js';
import { Tensor, shapeStr } from '../tensor.js';
import { activation, activationGrad } from './activation.js';

export type { Conv2dOptions, Padding };

/** [N, OH, OW, Cout] of conv2d(x, w, b, opts) for x of inShape and w of wShape (validates). */
export function conv2dOutputShape(inShape: number[], wShape: number[], opts: Conv2dOptions = {}): number[] {
  const g = conv2dGeometry(inShape, wShape, opts);
  return [g.N, g.OH, g.OW, g.Cout];
}

export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry(x.shape, w.shape, opts);
  if (b && (b.rank !== 1 || b.shape[0] !== g.Cout)) {
    throw new Error(`conv2d(x ${shapeStr(x.shape)}, w ${shapeStr(w.shape)}): bias ${shapeStr(b.shape)} must be [${g.Cout}]`);
  }
  const inputs = b ? [x, w, b] : [x, w];
  if (!backwardFromOutput(g.activation) && needsGrad(inputs)) {
    return activation(conv2d(x, w, b, { ...opts, relu: false, activation: 'linear' }), g.activation);
  }
  const ctx = x.ctx;
  // The padded input feeds the forward and, kept until backward, the weight gradient.
  let xp = x;
  if (hasPadding(g)) {
    xp = Tensor.empty(ctx, [g.N, g.Hp, g.Wp, g.Cin]);
    pad2d(ctx, x.buffer, xp.buffer, { N: g.N, H: g.H, W: g.W, C: g.Cin, pt: g.padT, pb: g.padB, pl: g.padL, pr: g.padR });
  }
  const y = Tensor.empty(ctx, [g.N, g.OH, g.OW, g.Cout]);
  conv2dForward(ctx, g, xp.buffer, w.buffer, b?.buffer ?? null, y.buffer);
  if (!needsGrad(inputs)) {
    // Safe before submission: later users of the pooled buffer are recorded after this read.
    if (xp !== x) xp.dispose();
    return y;
  }
  const act = g.activation;
  return record(act === 'linear' ? 'conv2d' : `conv2d+${act}`, inputs, y, (gOut) => {
    // The fused activation's backward from y alone (y > 0 exactly where the pre-activation
    // was > 0, for relu).
    const gy = act === 'linear' ? gOut : activationGrad(act, gOut, y)[0];
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(ctx, x.shape);
      conv2dBackwardData(ctx, g, gy.buffer, w.buffer, dx.buffer);
    }
    let dw: Tensor | null = null;
    if (w.requiresGrad) {
      dw = Tensor.empty(ctx, w.shape);
      conv2dBackwardWeights(ctx, g, xp.buffer, gy.buffer, dw.buffer);
    }
    let db: Tensor | null = null;
    if (b && b.requiresGrad) {
      db = Tensor.empty(ctx, b.shape);
      reduceMiddle(ctx, gy.buffer, db.buffer, 1, g.N * g.OH * g.OW, g.Cout);
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}
