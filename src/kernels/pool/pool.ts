/** Max- and average-pooling launchers (NHWC). Geometry: ./geometry.ts; reference: ./pool-ref.ts. */
import { type GpuContext, MAX_WORKGROUPS_PER_DIM } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { geometryLabel, type PoolGeometry } from './geometry.js';
import { avgPoolBackwardKernel, avgPoolForwardKernel } from './avgpool.wgsl.js';
import { maxPoolBackwardKernel, maxPoolForwardKernel } from './pool.wgsl.js';

export { poolGeometry, type PoolGeometry, type Pool2dOptions } from './geometry.js';

const WG = 64;

/** Channels per invocation: a vec4 when C allows it (see pool.wgsl.ts). */
function lanesFor(g: PoolGeometry): 1 | 4 {
  return g.C % 4 === 0 ? 4 : 1;
}

function geomUniforms(g: PoolGeometry, lanes: number) {
  return { N: g.N, H: g.H, W: g.W, CL: g.C / lanes, OH: g.OH, OW: g.OW, padT: g.padT, padL: g.padL };
}

function constants(g: PoolGeometry): Record<string, number> {
  return { WG, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW };
}

/** Grid (row of pixels × channel groups, rows, images); throws past the per-dimension limit. */
function grid(op: string, g: PoolGeometry, rowItems: number, rows: number): [number, number, number] {
  const wg: [number, number, number] = [Math.ceil(rowItems / WG), rows, g.N];
  if (wg.some((d) => d > MAX_WORKGROUPS_PER_DIM)) throw new Error(`${op}${geometryLabel(g)}: grid ${wg.join('×')} too large`);
  return wg;
}

/**
 * y = maxpool(x); with `argmax` (u32 per output, window-local index kh·KW + kw of the first
 * maximum) the backward's routing is saved too.
 */
export function maxPool2dForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, argmax: GPUBuffer | null, g: PoolGeometry): void {
  const nIn = g.N * g.H * g.W * g.C;
  const nOut = g.N * g.OH * g.OW * g.C;
  const lanes = lanesFor(g);
  launch(ctx, maxPoolForwardKernel(argmax !== null, lanes), {
    label: `maxPool2d${geometryLabel(g)}`,
    constants: constants(g),
    uniforms: geomUniforms(g, lanes),
    // Without an argmax the kernel has no such binding (y here is never bound twice).
    buffers: { x, y, argmax: argmax ?? y },
    need: { x: f32Bytes(nIn), y: f32Bytes(nOut), argmax: argmax ? f32Bytes(nOut) : 0 },
    workgroups: grid('maxPool2d', g, (g.OW * g.C) / lanes, g.OH),
  });
}

/** dx = gather of dy through argmax (every element of dx written). */
export function maxPool2dBackward(ctx: GpuContext, dy: GPUBuffer, argmax: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  const nIn = g.N * g.H * g.W * g.C;
  const nOut = g.N * g.OH * g.OW * g.C;
  const lanes = lanesFor(g);
  launch(ctx, maxPoolBackwardKernel(lanes), {
    label: `maxPool2dBackward${geometryLabel(g)}`,
    constants: constants(g),
    uniforms: geomUniforms(g, lanes),
    buffers: { dy, argmax, dx },
    need: { dy: f32Bytes(nOut), argmax: f32Bytes(nOut), dx: f32Bytes(nIn) },
    workgroups: grid('maxPool2dBackward', g, (g.W * g.C) / lanes, g.H),
  });
}

/** y = average pool of x (TensorFlow's divisor: the window's cells inside the input). */
export function avgPool2dForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, g: PoolGeometry): void {
  const lanes = lanesFor(g);
  launch(ctx, avgPoolForwardKernel(lanes), {
    label: `avgPool2d${geometryLabel(g)}`,
    constants: constants(g),
    uniforms: geomUniforms(g, lanes),
    buffers: { x, y },
    need: { x: f32Bytes(g.N * g.H * g.W * g.C), y: f32Bytes(g.N * g.OH * g.OW * g.C) },
    workgroups: grid('avgPool2d', g, (g.OW * g.C) / lanes, g.OH),
  });
}

/** dx: each input cell gathers dy/count of the outputs whose window covers it (every element written). */
export function avgPool2dBackward(ctx: GpuContext, dy: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  const lanes = lanesFor(g);
  launch(ctx, avgPoolBackwardKernel(lanes), {
    label: `avgPool2dBackward${geometryLabel(g)}`,
    constants: constants(g),
    uniforms: geomUniforms(g, lanes),
    buffers: { dy, dx },
    need: { dy: f32Bytes(g.N * g.OH * g.OW * g.C), dx: f32Bytes(g.N * g.H * g.W * g.C) },
    workgroups: grid('avgPool2dBackward', g, (g.W * g.C) / lanes, g.H),
  });
}
