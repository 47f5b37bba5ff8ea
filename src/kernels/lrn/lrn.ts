/** LRN launchers (NHWC, across the last axis). Kernels: ./lrn.wgsl.ts; reference: ./lrn-ref.ts. */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { type LrnVariant, lrnBackwardDxKernel, lrnBackwardTKernel, lrnForwardKernel, lrnVariant } from './lrn.wgsl.js';

const WG = 256;

export interface LrnOptions {
  /** Window size n in channels (default 5; TensorFlow's depth_radius = (n − 1)/2). */
  size?: number;
  /** Default 2 (AlexNet). */
  k?: number;
  /** Default 1e-4 (AlexNet). */
  alpha?: number;
  /** Default 0.75 (AlexNet). */
  beta?: number;
  /**
   * 'sum' (default; AlexNet's paper, TensorFlow's tf.nn.local_response_normalization):
   * α multiplies the window's sum of squares. 'mean' (PyTorch's nn.LocalResponseNorm):
   * α/n does (α times the window mean, edge windows still divided by n).
   */
  alphaScaling?: 'sum' | 'mean';
}

export interface LrnParams {
  size: number;
  k: number;
  alpha: number;
  beta: number;
  /** α' actually multiplying the sum (α or α/n). */
  alphaEff: number;
  lo: number;
  hi: number;
}

export function lrnParams(o: LrnOptions = {}): LrnParams {
  const size = o.size ?? 5;
  const k = o.k ?? 2;
  const alpha = o.alpha ?? 1e-4;
  const beta = o.beta ?? 0.75;
  const scaling = o.alphaScaling ?? 'sum';
  if (!Number.isInteger(size) || size < 1) throw new Error(`lrn: size must be a positive integer, got ${size}`);
  if (scaling !== 'sum' && scaling !== 'mean') throw new Error(`lrn: unknown alphaScaling '${String(scaling)}'`);
  if (!(k >= 0) || !(alpha >= 0) || !Number.isFinite(beta)) throw new Error(`lrn: need k ≥ 0, alpha ≥ 0 and a finite beta (k ${k}, alpha ${alpha}, beta ${beta})`);
  return {
    size, k, alpha, beta,
    alphaEff: scaling === 'sum' ? alpha : alpha / size,
    lo: Math.floor(size / 2),
    hi: Math.floor((size - 1) / 2),
  };
}

function lrnUniforms(threads: number, C: number, v: LrnVariant, p: LrnParams) {
  return { n: threads, CL: C / v.lanes, LO: p.lo, HI: p.hi, k: p.k, alpha: p.alphaEff, beta: p.beta };
}

function check(op: string, n: number, C: number): void {
  if (C < 1 || n % C !== 0) throw new Error(`${op}[${n}/${C}]: ${n} values are not whole pixels of ${C} channels`);
}

export function lrnForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, n: number, C: number, p: LrnParams): void {
  check('lrn', n, C);
  const v = lrnVariant(C, p.lo, p.hi);
  const threads = n / v.lanes;
  launch(ctx, lrnForwardKernel(v), {
    label: `lrn[${n / C}×${C}] n${p.size}`,
    constants: { WG },
    uniforms: lrnUniforms(threads, C, v, p),
    buffers: { x, y },
    need: { x: f32Bytes(n), y: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(threads / WG)),
  });
}

export function lrnBackward(ctx: GpuContext, x: GPUBuffer, dy: GPUBuffer, dx: GPUBuffer, n: number, C: number, p: LrnParams): void {
  check('lrnBackward', n, C);
  const v = lrnVariant(C, p.lo, p.hi);
  const threads = n / v.lanes;
  const t = ctx.newStorage(n * 4, 'lrn-t');
  const u = ctx.newStorage(n * 4, 'lrn-u');
  const uniforms = lrnUniforms(threads, C, v, p);
  const workgroups = grid2d(Math.ceil(threads / WG));
  const b = f32Bytes(n);
  launch(ctx, lrnBackwardTKernel(v), {
    label: `lrnBackwardT[${n / C}×${C}] n${p.size}`,
    constants: { WG },
    uniforms,
    buffers: { x, dy, t, u },
    need: { x: b, dy: b, t: b, u: b },
    workgroups,
  });
  launch(ctx, lrnBackwardDxKernel(v), {
    label: `lrnBackwardDx[${n / C}×${C}] n${p.size}`,
    constants: { WG },
    uniforms,
    buffers: { x, dy, t, u, dx },
    need: { x: b, dy: b, t: b, u: b, dx: b },
    workgroups,
  });
  ctx.releaseLater(t);
  ctx.releaseLater(u);
}
