/**
 * Element-wise kernels: unary maps, binary maps with trailing broadcast, in-place axpby, and
 * the table-driven activations (./pointwise.ts). Launchers take raw GPU buffers; the
 * differentiable wrappers live in src/autograd/ops.
 */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { atWidth, caseId, vecWidth } from '../wgsl-common.js';
import { AXPBY_INPLACE, BINARY, BINARY_CASES, FILL, UNARY, UNARY_CASES } from './elementwise.wgsl.js';
import { type ActivationName, activationEntry } from './pointwise.js';

const WG = 256;

export type UnaryOpName = 'copy' | 'relu' | 'sigmoid' | 'affine' | 'square' | 'fill';
export type BinaryOpName = 'axpby' | 'mul' | 'reluBackward' | 'sigmoidBackward';

function runUnary(ctx: GpuContext, op: string, x: GPUBuffer, out: GPUBuffer, n: number, alpha: number, beta: number): void {
  const w = vecWidth(n);
  launch(ctx, atWidth(UNARY, w), {
    label: `${op}[${n}]`,
    constants: { OP: caseId(UNARY_CASES, op), WG },
    uniforms: { n: n / w, alpha, beta },
    buffers: { x, out },
    need: { x: f32Bytes(n), out: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / w / WG)),
  });
}

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
    launch(ctx, FILL, {
      label: `fill[${n}]`,
      constants: { WG },
      uniforms: { n, value: alpha },
      buffers: { out },
      need: { out: f32Bytes(n) },
      workgroups: grid2d(Math.ceil(n / WG)),
    });
    return;
  }
  runUnary(ctx, op, x, out, n, alpha, beta);
}

function runBinary(ctx: GpuContext, op: string, a: GPUBuffer, b: GPUBuffer, out: GPUBuffer, n: number, nb: number, alpha: number, beta: number): void {
  if (nb <= 0 || n % nb !== 0) throw new Error(`${op}: cannot broadcast ${nb} values over ${n}`);
  const w = vecWidth(n, nb);
  launch(ctx, atWidth(BINARY, w), {
    label: `${op}[${n} · ${nb}]`,
    constants: { OP: caseId(BINARY_CASES, op), WG },
    uniforms: { n: n / w, nb: nb / w, alpha, beta },
    buffers: { a, b, out },
    need: { a: f32Bytes(n), b: f32Bytes(nb), out: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / w / WG)),
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
  runBinary(ctx, op, a, b, out, n, nb, alpha, beta);
}

/** y = act(x) for any activation of the pointwise table. */
export function activationForward(ctx: GpuContext, name: ActivationName, x: GPUBuffer, y: GPUBuffer, n: number): void {
  activationEntry(name);
  runUnary(ctx, name, x, y, n, 1, 0);
}

/**
 * dx = ∂act/∂x · g, reading `s`: the op's input x or its output y, whichever the table's
 * entry names in `backward.from`.
 */
export function activationBackward(ctx: GpuContext, name: ActivationName, g: GPUBuffer, s: GPUBuffer, dx: GPUBuffer, n: number): void {
  activationEntry(name);
  runBinary(ctx, `${name}Backward`, g, s, dx, n, n, 1, 1);
}

/** dst = alpha·dst + beta·src, in place. */
export function axpbyInPlace(ctx: GpuContext, dst: GPUBuffer, src: GPUBuffer, n: number, alpha: number, beta: number): void {
  const w = vecWidth(n);
  launch(ctx, atWidth(AXPBY_INPLACE, w), {
    label: `axpby-inplace[${n}]`,
    constants: { WG },
    uniforms: { n: n / w, alpha, beta },
    buffers: { src, dst },
    need: { src: f32Bytes(n), dst: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / w / WG)),
  });
}
