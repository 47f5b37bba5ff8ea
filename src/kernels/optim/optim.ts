/**
 * Optimizer update launchers: one fused dispatch per parameter tensor. Hyper-parameters
 * travel as uniforms, so a learning-rate schedule never compiles a pipeline.
 */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { atWidth, vecWidth } from '../wgsl-common.js';
import { ADAM, SGD, SGD_MOMENTUM } from './optim.wgsl.js';

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

function checkCount(op: string, n: number): void {
  if (n <= 0) throw new Error(`${op}: empty parameter`);
}

/** The vec4 kernel when n is a multiple of 4 (its p.n and grid count vec4s), else the scalar one. */
function pick<K>(kernels: { scalar: K; vec4: K }, n: number): { kernel: K; count: number } {
  const w = vecWidth(n);
  return { kernel: atWidth(kernels, w), count: n / w };
}

/** In-place Adam update of w, m, v from gradient g (n elements). */
export function adamUpdate(ctx: GpuContext, g: GPUBuffer, w: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, s: AdamScalars): void {
  checkCount('adam', n);
  const b = f32Bytes(n);
  const { kernel, count } = pick(ADAM, n);
  launch(ctx, kernel, {
    label: `adam[${n}]`,
    constants: { WG },
    uniforms: {
      n: count, oneMinusBeta1: 1 - s.beta1, oneMinusBeta2: 1 - s.beta2, eps: s.epsilon,
      stepSize: s.stepSize, vScale: s.vScale, wd: s.weightDecay,
    },
    buffers: { g, w, m, v },
    need: { g: b, w: b, m: b, v: b },
    workgroups: grid2d(Math.ceil(count / WG)),
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
  checkCount('sgd', n);
  const b = f32Bytes(n);
  if (buf) {
    const { kernel, count } = pick(SGD_MOMENTUM, n);
    launch(ctx, kernel, {
      label: `sgd-momentum[${n}]`,
      constants: { WG },
      uniforms: { n: count, lr: s.lr, momentum: s.momentum, wd: s.weightDecay, nesterov: s.nesterov ? 1 : 0 },
      buffers: { g, w, buf },
      need: { g: b, w: b, buf: b },
      workgroups: grid2d(Math.ceil(count / WG)),
    });
  } else {
    const { kernel, count } = pick(SGD, n);
    launch(ctx, kernel, {
      label: `sgd[${n}]`,
      constants: { WG },
      uniforms: { n: count, lr: s.lr, wd: s.weightDecay },
      buffers: { g, w },
      need: { g: b, w: b },
      workgroups: grid2d(Math.ceil(count / WG)),
    });
  }
}
