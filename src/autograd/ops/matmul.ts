/** Differentiable matrix product and dense layer (x·W + b, optional fused activation). */
import { type ActivationOption, backwardFromOutput } from '../../kernels/elementwise/pointwise.js';
import { gemm } from '../../kernels/gemm/gemm.js';
import { reduceMiddle } from '../../kernels/reduce/reduce.js';
import { needsGrad, record } from '../tape.js';
import { Tensor, shapeStr } from '../tensor.js';
import { activation, activationGrad } from './activation.js';

/** a[M,K] · b[K,N] (with optional transposes of the stored matrices). */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`matmul: expected 2-D tensors, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const [M, Ka] = opts.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [Kb, N] = opts.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (Ka !== Kb) throw new Error(`matmul: inner dimensions differ: ${shapeStr(a.shape)}${opts.transA ? 'ᵀ' : ''} · ${shapeStr(b.shape)}${opts.transB ? 'ᵀ' : ''}`);
  const K = Ka;
  const y = Tensor.empty(a.ctx, [M, N]);
  gemm(a.ctx, a.buffer, b.buffer, y.buffer, { M, N, K, transA: opts.transA, transB: opts.transB });
  return record('matmul', [a, b], y, (g) => {
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      da = Tensor.empty(a.ctx, a.shape);
      // dA = g·opB(B)ᵀ, or its transpose when A was stored transposed.
      if (!opts.transA) gemm(a.ctx, g.buffer, b.buffer, da.buffer, { M, N: K, K: N, transB: !opts.transB });
      else gemm(a.ctx, b.buffer, g.buffer, da.buffer, { M: K, N: M, K: N, transA: opts.transB, transB: true });
    }
    if (b.requiresGrad) {
      db = Tensor.empty(b.ctx, b.shape);
      if (!opts.transB) gemm(a.ctx, a.buffer, g.buffer, db.buffer, { M: K, N, K: M, transA: !opts.transA });
      else gemm(a.ctx, g.buffer, a.buffer, db.buffer, { M: N, N: K, K: M, transA: true, transB: opts.transA });
    }
    return [da, db];
  });
}

/** The fused activation of `{ relu, activation }` options (relu: true is activation 'relu'). */
export function fusedActivation(op: string, opts: { relu?: boolean; activation?: ActivationOption }): ActivationOption {
  if (opts.relu && opts.activation !== undefined && opts.activation !== 'relu') {
    throw new Error(`${op}: relu and activation '${opts.activation}' both given`);
  }
  return opts.relu ? 'relu' : (opts.activation ?? 'linear');
}

/**
 * Dense layer: y = act(x·W + b) with x [B, in], W [in, out] (Keras's kernel layout), b [out].
 * Bias and the activation are fused into the GEMM epilogue — when the activation's
 * backward reads only its output (relu, sigmoid, leaky_relu), or no gradient is needed;
 * otherwise (gelu, silu in training) the pre-activation is kept and the activation op
 * follows.
 */
export function dense(x: Tensor, w: Tensor, b: Tensor | null, opts: { relu?: boolean; activation?: ActivationOption } = {}): Tensor {
  const act = fusedActivation('dense', opts);
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new Error(`dense: input ${shapeStr(x.shape)} does not match kernel ${shapeStr(w.shape)}`);
  }
  const [M, K] = [x.shape[0]!, x.shape[1]!];
  const N = w.shape[1]!;
  if (b && b.size !== N) throw new Error(`dense: bias ${shapeStr(b.shape)} does not match ${N} units`);
  const inputs = b ? [x, w, b] : [x, w];
  if (!backwardFromOutput(act) && needsGrad(inputs)) return activation(dense(x, w, b), act);
  const y = Tensor.empty(x.ctx, [M, N]);
  gemm(x.ctx, x.buffer, w.buffer, y.buffer, { M, N, K, bias: b?.buffer, activation: act });
  return record(act === 'linear' ? 'dense' : `dense+${act}`, inputs, y, (gOut) => {
    // The backward of a fused activation from y alone (y > 0 exactly where the
    // pre-activation was > 0, for relu).
    const g = act === 'linear' ? gOut : activationGrad(act, gOut, y)[0];
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = Tensor.empty(x.ctx, x.shape);
      gemm(x.ctx, g.buffer, w.buffer, dx.buffer, { M, N: K, K: N, transB: true });
    }
    let dw: Tensor | null = null;
    if (w.requiresGrad) {
      dw = Tensor.empty(x.ctx, w.shape);
      gemm(x.ctx, x.buffer, g.buffer, dw.buffer, { M: K, N, K: M, transA: true });
    }
    let db: Tensor | null = null;
    if (b && b.requiresGrad) {
      db = Tensor.empty(x.ctx, b.shape);
      reduceMiddle(x.ctx, g.buffer, db.buffer, 1, M, N);
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}
