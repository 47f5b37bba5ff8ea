/**
 * Element-wise kernels: unary maps, binary maps with trailing broadcast, in-place axpby.
 * Launchers take raw GPU buffers; the differentiable wrappers live in src/autograd/ops.
 */
import { type GpuContext, grid2d, params } from '../context.js';
import { AXPBY_INPLACE_WGSL, BINARY_WGSL, FILL_WGSL, UNARY_WGSL } from './elementwise.wgsl.js';

const WG = 256;

export const UnaryOp = { copy: 0, relu: 1, sigmoid: 2, affine: 3, square: 4, fill: 5 } as const;
export type UnaryOpName = keyof typeof UnaryOp;

export const BinaryOp = { axpby: 0, mul: 1, reluBackward: 2, sigmoidBackward: 3 } as const;
export type BinaryOpName = keyof typeof BinaryOp;

export function unary(
  ctx: GpuContext,
  op: UnaryOpName,
  x: GPUBuffer,
  out: GPUBuffer,
  n: number,
  alpha = 1,
  beta = 0,
): void {
  if (op === 'fill') {
    // out = alpha; `x` is ignored (callers pass out itself, which may not be bound twice).
    ctx.dispatch({
      label: `fill[${n}]`,
      pipeline: ctx.pipeline('fill', FILL_WGSL, { WG }),
      params: params([n, { f32: alpha }, 0, 0]),
      buffers: [out],
      workgroups: grid2d(Math.ceil(n / WG)),
    });
    return;
  }
  const pipeline = ctx.pipeline(`unary-${op}`, UNARY_WGSL, { OP: UnaryOp[op], WG });
  ctx.dispatch({
    label: `${op}[${n}]`,
    pipeline,
    params: params([n, { f32: alpha }, { f32: beta }, 0]),
    buffers: [x, out],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}

export function binary(
  ctx: GpuContext,
  op: BinaryOpName,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
  n: number,
  nb = n,
  alpha = 1,
  beta = 1,
): void {
  if (nb <= 0 || n % nb !== 0) throw new Error(`${op}: cannot broadcast ${nb} values over ${n}`);
  const pipeline = ctx.pipeline(`binary-${op}`, BINARY_WGSL, { OP: BinaryOp[op], WG });
  ctx.dispatch({
    label: `${op}[${n} · ${nb}]`,
    pipeline,
    params: params([n, nb, { f32: alpha }, { f32: beta }]),
    buffers: [a, b, out],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}

/** dst = alpha·dst + beta·src, in place. */
export function axpbyInPlace(ctx: GpuContext, dst: GPUBuffer, src: GPUBuffer, n: number, alpha: number, beta: number): void {
  const pipeline = ctx.pipeline('axpby-inplace', AXPBY_INPLACE_WGSL, { WG });
  ctx.dispatch({
    label: `axpby-inplace[${n}]`,
    pipeline,
    params: params([n, 0, { f32: alpha }, { f32: beta }]),
    buffers: [src, dst],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
