/**
 * Optimizer update launchers: one fused dispatch per parameter tensor. Hyper-parameters
 * travel as uniforms, so a learning-rate schedule never compiles a pipeline.
 */
import { type GpuContext, grid2d, params } from '../context.js';
import { ADAM_WGSL, SGD_MOMENTUM_WGSL, SGD_WGSL } from './optim.wgsl.js';

const WG = 256;

export interface AdamScalars {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Step size with the bias corrections of this step folded in (see adamScalars). */
  stepSize: number;
  /** Multiplier of √v in the denominator. */
  vScale: number;
  weightDecay: number;
}

/**
 * The per-step uniforms of Adam at step t (1-based), computed in float64.
 * keras:   stepSize = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), vScale = 1       (w −= lr_t·m/(√v + ε))
 * pytorch: stepSize = lr/(1−β₁ᵗ),          vScale = 1/√(1−β₂ᵗ) (w −= lr·m̂/(√v̂ + ε))
 */
export function adamScalars(
  o: { lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number; convention: 'keras' | 'pytorch' },
  t: number,
): AdamScalars {
  const bc1 = 1 - Math.pow(o.beta1, t);
  const bc2 = 1 - Math.pow(o.beta2, t);
  const keras = o.convention === 'keras';
  return {
    beta1: o.beta1,
    beta2: o.beta2,
    epsilon: o.epsilon,
    stepSize: keras ? (o.lr * Math.sqrt(bc2)) / bc1 : o.lr / bc1,
    vScale: keras ? 1 : 1 / Math.sqrt(bc2),
    weightDecay: o.weightDecay,
  };
}

function checkSizes(op: string, n: number, bufs: GPUBuffer[]): void {
  if (n <= 0) throw new Error(`${op}: empty parameter`);
  for (const b of bufs) {
    if (b.size < n * 4) throw new Error(`${op}[${n}]: a buffer of ${b.size} bytes is smaller than the parameter`);
  }
}

/** In-place Adam update of w, m, v from gradient g (n elements). */
export function adamUpdate(ctx: GpuContext, g: GPUBuffer, w: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, s: AdamScalars): void {
  checkSizes('adam', n, [g, w, m, v]);
  ctx.dispatch({
    label: `adam[${n}]`,
    pipeline: ctx.pipeline('adam', ADAM_WGSL, { WG }),
    params: params([n, { f32: 1 - s.beta1 }, { f32: 1 - s.beta2 }, { f32: s.epsilon }, { f32: s.stepSize }, { f32: s.vScale }, { f32: s.weightDecay }, 0]),
    buffers: [g, w, m, v],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}

/** In-place SGD update; `buf` (the momentum buffer) is required when momentum ≠ 0. */
export function sgdUpdate(
  ctx: GpuContext,
  g: GPUBuffer,
  w: GPUBuffer,
  buf: GPUBuffer | null,
  n: number,
  s: { lr: number; momentum: number; weightDecay: number; nesterov: boolean },
): void {
  if (s.momentum !== 0 && !buf) throw new Error(`sgd[${n}]: momentum ${s.momentum} needs a momentum buffer`);
  if (s.nesterov && s.momentum <= 0) throw new Error('sgd: Nesterov momentum requires momentum > 0');
  checkSizes('sgd', n, buf ? [g, w, buf] : [g, w]);
  if (buf) {
    ctx.dispatch({
      label: `sgd-momentum[${n}]`,
      pipeline: ctx.pipeline('sgd-momentum', SGD_MOMENTUM_WGSL, { WG }),
      params: params([n, { f32: s.lr }, { f32: s.momentum }, { f32: s.weightDecay }, s.nesterov ? 1 : 0, 0, 0, 0]),
      buffers: [g, w, buf],
      workgroups: grid2d(Math.ceil(n / WG)),
    });
  } else {
    ctx.dispatch({
      label: `sgd[${n}]`,
      pipeline: ctx.pipeline('sgd', SGD_WGSL, { WG }),
      params: params([n, { f32: s.lr }, { f32: s.weightDecay }, 0]),
      buffers: [g, w],
      workgroups: grid2d(Math.ceil(n / WG)),
    });
  }
}
