import { type Access, type Kernel, type UniformType, ofType } from '../spec.js';
import { bothWidths, elementKernel } from '../wgsl-common.js';

/**
 * An update rule as two kernels from one body: `scalar` (one float per invocation) and
 * `vec4` (four: the same text on vec4<f32> values, WGSL's arithmetic being componentwise
 * with scalars broadcast; p.n then counts vec4s). The launcher takes vec4 when the tensor's
 * length is a multiple of 4: on lavapipe a load costs per lane whatever its width, so four
 * floats per load nearly halve an update that is all loads and stores.
 */
function optimizerKernels<B extends string, U extends string>(
  name: string,
  uniforms: Readonly<Record<U, UniformType>>,
  bindings: Readonly<Record<B, Access>>,
  body: string,
): { scalar: Kernel<B, U>; vec4: Kernel<B, U> } {
  return bothWidths((type) => elementKernel<B, U>({ name: type === 'f32' ? name : `${name}-vec4`, uniforms, bindings: ofType(bindings, type) }, body));
}

/**
 * Adam, one fused pass per parameter tensor: reads g, w, m, v once and writes w, m, v.
 * Both conventions reduce to w −= stepSize · m / (√v · vScale + ε), with the host folding
 * the bias corrections of step t into the uniforms:
 *   Keras   (tf ApplyAdam): stepSize = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), vScale = 1
 *   PyTorch:                stepSize = lr/(1−β₁ᵗ),          vScale = 1/√(1−β₂ᵗ)
 * so the learning rate and the step count never enter the pipeline key. The moment updates
 * use the m += (1−β₁)(g − m) form that both TF's kernel and PyTorch's lerp_ evaluate, with
 * 1−β computed in float64 on the host: 1 − f32(0.999) in float32 is off by 1.3e-5.
 * wd adds PyTorch-style L2 (wd·w) to the gradient first (0 disables it).
 */
export const ADAM = optimizerKernels(
  'adam',
  { n: 'u32', oneMinusBeta1: 'f32', oneMinusBeta2: 'f32', eps: 'f32', stepSize: 'f32', vScale: 'f32', wd: 'f32' },
  { g: 'read', w: 'read_write', m: 'read_write', v: 'read_write' },
  /* wgsl */ `
  let wi = w[i];
  let gi = g[i] + p.wd * wi;
  var mi = m[i];
  var vi = v[i];
  mi += (gi - mi) * p.oneMinusBeta1;
  vi += (gi * gi - vi) * p.oneMinusBeta2;
  m[i] = mi;
  v[i] = vi;
  w[i] = wi - p.stepSize * mi / (sqrt(vi) * p.vScale + p.eps);`,
);

/**
 * SGD with momentum (PyTorch semantics, dampening 0): g' = g + wd·w; buf = μ·buf + g';
 * w −= lr·(nesterov ? g' + μ·buf : buf). PyTorch sets buf = g' at the first step; a
 * zero-filled buffer gives exactly that (μ·0 + g' = g').
 */
export const SGD_MOMENTUM = optimizerKernels(
  'sgd-momentum',
  { n: 'u32', lr: 'f32', momentum: 'f32', wd: 'f32', nesterov: 'u32' },
  { g: 'read', w: 'read_write', buf: 'read_write' },
  /* wgsl */ `
  let wi = w[i];
  let gi = g[i] + p.wd * wi;
  let b = p.momentum * buf[i] + gi;
  buf[i] = b;
  var d = b;
  if (p.nesterov != 0u) { d = gi + p.momentum * b; }
  w[i] = wi - p.lr * d;`,
);

/** Plain SGD without a momentum buffer: w −= lr·(g + wd·w). */
export const SGD = optimizerKernels(
  'sgd',
  { n: 'u32', lr: 'f32', wd: 'f32' },
  { g: 'read', w: 'read_write' },
  /* wgsl */ `
  let wi = w[i];
  w[i] = wi - p.lr * (g[i] + p.wd * wi);`,
);

