/** Max- and average-pooling launchers (NHWC). Geometry: ./geometry.ts; reference: ./pool-ref.ts. */
import { type GpuContext, MAX_WORKGROUPS_PER_DIM } from '../context.js';
import { type Kernel, f32Bytes, launch } from '../spec.js';
import { vecWidth } from '../wgsl-common.js';
import { geometryLabel, type PoolGeometry } from './geometry.js';
import { avgPoolBackwardKernel, avgPoolForwardKernel } from './avgpool.wgsl.js';
import { maxPoolBackwardKernel, maxPoolForwardKernel } from './pool.wgsl.js';

export { poolGeometry, type PoolGeometry, type Pool2dOptions } from './geometry.js';

const WG = 64;


type PoolKernel<B extends string> = Kernel<B, 'N' | 'H' | 'W' | 'CL' | 'OH' | 'OW' | 'padT' | 'padL'>;

/**
 * Launches a pooling kernel over the output grid (forward) or the input grid (backward):
 * (row of pixels × channel groups, rows, images), checked against the per-dimension limit.
 */
function runPool<B extends string>(
  ctx: GpuContext,
  op: string,
  g: PoolGeometry,
  kernel: (lanes: 1 | 4) => PoolKernel<B>,
  over: 'output' | 'input',
  buffers: Record<B, GPUBuffer>,
  need: Record<B, number>,
): void {
  const lanes = vecWidth(g.C); // channels per invocation: a vec4 when C allows it (see pool.wgsl.ts)
  const [W, H] = over === 'output' ? [g.OW, g.OH] : [g.W, g.H];
  const workgroups: [number, number, number] = [Math.ceil((W * g.C) / lanes / WG), H, g.N];
  if (workgroups.some((d) => d > MAX_WORKGROUPS_PER_DIM)) throw new Error(`${op}${geometryLabel(g)}: grid ${workgroups.join('×')} too large`);
  launch(ctx, kernel(lanes), {
    label: `${op}${geometryLabel(g)}`,
    constants: { WG, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW },
    uniforms: { N: g.N, H: g.H, W: g.W, CL: g.C / lanes, OH: g.OH, OW: g.OW, padT: g.padT, padL: g.padL },
    buffers,
    need,
    workgroups,
  });
}

const inBytes = (g: PoolGeometry) => f32Bytes(g.N * g.H * g.W * g.C);
const outBytes = (g: PoolGeometry) => f32Bytes(g.N * g.OH * g.OW * g.C);

/**
 * y = maxpool(x); with `argmax` (u32 per output, window-local index kh·KW + kw of the first
 * maximum) the backward's routing is saved too.
 */
export function maxPool2dForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, argmax: GPUBuffer | null, g: PoolGeometry): void {
  // Without an argmax the kernel has no such binding (y here is never bound twice).
  runPool(ctx, 'maxPool2d', g, (lanes) => maxPoolForwardKernel(argmax !== null, lanes), 'output',
    { x, y, argmax: argmax ?? y },
    { x: inBytes(g), y: outBytes(g), argmax: argmax ? outBytes(g) : 0 });
}

/** dx = gather of dy through argmax (every element of dx written). */
export function maxPool2dBackward(ctx: GpuContext, dy: GPUBuffer, argmax: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  runPool(ctx, 'maxPool2dBackward', g, maxPoolBackwardKernel, 'input',
    { dy, argmax, dx }, { dy: outBytes(g), argmax: outBytes(g), dx: inBytes(g) });
}

/** y = average pool of x (TensorFlow's divisor: the window's cells inside the input). */
export function avgPool2dForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, g: PoolGeometry): void {
  runPool(ctx, 'avgPool2d', g, avgPoolForwardKernel, 'output', { x, y }, { x: inBytes(g), y: outBytes(g) });
}

/** dx: each input cell gathers dy/count of the outputs whose window covers it (every element written). */
export function avgPool2dBackward(ctx: GpuContext, dy: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  runPool(ctx, 'avgPool2dBackward', g, avgPoolBackwardKernel, 'input', { dy, dx }, { dy: outBytes(g), dx: inBytes(g) });
}
