/** Max-pooling launchers (NHWC). Geometry: ./geometry.ts; reference: ./pool-ref.ts. */
import { type GpuContext, MAX_WORKGROUPS_PER_DIM, params } from '../context.js';
import { geometryLabel, type PoolGeometry } from './geometry.js';
import { maxPoolBackwardWgsl, maxPoolForwardWgsl } from './pool.wgsl.js';

export { poolGeometry, type PoolGeometry, type Pool2dOptions } from './geometry.js';

const WG = 64;

/** Channels per invocation: a vec4 when C allows it (see pool.wgsl.ts). */
function lanesFor(g: PoolGeometry): 1 | 4 {
  return g.C % 4 === 0 ? 4 : 1;
}

function geomParams(g: PoolGeometry, lanes: number): ArrayBuffer {
  return params([g.N, g.H, g.W, g.C / lanes, g.OH, g.OW, g.padT, g.padL]);
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

function checkSize(op: string, g: PoolGeometry, what: string, b: GPUBuffer, n: number): void {
  if (b.size < n * 4) throw new Error(`${op}${geometryLabel(g)}: ${what} buffer holds ${b.size} bytes, needs ${n * 4}`);
}

/**
 * y = maxpool(x); with `argmax` (u32 per output, window-local index kh·KW + kw of the first
 * maximum) the backward's routing is saved too.
 */
export function maxPool2dForward(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, argmax: GPUBuffer | null, g: PoolGeometry): void {
  const nIn = g.N * g.H * g.W * g.C;
  const nOut = g.N * g.OH * g.OW * g.C;
  checkSize('maxPool2d', g, 'x', x, nIn);
  checkSize('maxPool2d', g, 'y', y, nOut);
  if (argmax) checkSize('maxPool2d', g, 'argmax', argmax, nOut);
  const save = argmax !== null;
  const lanes = lanesFor(g);
  ctx.dispatch({
    label: `maxPool2d${geometryLabel(g)}`,
    pipeline: ctx.pipeline(`maxpool-fwd${save ? '-argmax' : ''}-x${lanes}`, maxPoolForwardWgsl(save, lanes), constants(g)),
    params: geomParams(g, lanes),
    buffers: save ? [x, y, argmax] : [x, y],
    workgroups: grid('maxPool2d', g, (g.OW * g.C) / lanes, g.OH),
  });
}

/** dx = gather of dy through argmax (every element of dx written). */
export function maxPool2dBackward(ctx: GpuContext, dy: GPUBuffer, argmax: GPUBuffer, dx: GPUBuffer, g: PoolGeometry): void {
  const nIn = g.N * g.H * g.W * g.C;
  const nOut = g.N * g.OH * g.OW * g.C;
  checkSize('maxPool2dBackward', g, 'dy', dy, nOut);
  checkSize('maxPool2dBackward', g, 'argmax', argmax, nOut);
  checkSize('maxPool2dBackward', g, 'dx', dx, nIn);
  const lanes = lanesFor(g);
  ctx.dispatch({
    label: `maxPool2dBackward${geometryLabel(g)}`,
    pipeline: ctx.pipeline(`maxpool-bwd-x${lanes}`, maxPoolBackwardWgsl(lanes), constants(g)),
    params: geomParams(g, lanes),
    buffers: [dy, argmax, dx],
    workgroups: grid('maxPool2dBackward', g, (g.W * g.C) / lanes, g.H),
  });
}
