/**
 * The convolution test cases and the runner shared by conv2d.test.ts (the kernels of the
 * context's path) and conv2d-tiled.test.ts (the tiled kernels forced on any context).
 */
import {
  conv2dBackwardData,
  conv2dBackwardWeights,
  conv2dForward,
  hasPadding,
  pad2d,
} from '../../src/kernels/conv2d/conv2d.js';
import type { Conv2dGeometry, Conv2dOptions } from '../../src/kernels/conv2d/geometry.js';
import { reduceMiddle } from '../../src/kernels/reduce/reduce.js';
import { Tensor } from '../../src/autograd/index.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { poisoned } from '../helpers.js';

export type Shape4 = [number, number, number, number];
export interface Case {
  x: Shape4;
  w: Shape4;
  opts: Conv2dOptions;
  bias?: boolean;
  why: string;
}

export const cases: Case[] = [
  { x: [2, 9, 8, 5], w: [3, 3, 5, 7], opts: { padding: 'same' }, bias: true, why: '3×3 same, odd/even sizes' },
  { x: [3, 10, 11, 3], w: [5, 5, 3, 6], opts: { stride: 2, padding: 'same' }, bias: true, why: "5×5/2 same: total pad 3 (odd) rows → 1 top, 2 bottom; 4 columns" },
  { x: [2, 13, 12, 3], w: [1, 1, 3, 5], opts: { stride: 3 }, why: '1×1/3 valid: skipped rows get zero gradient' },
  { x: [2, 25, 23, 3], w: [11, 11, 3, 10], opts: { stride: 4 }, bias: true, why: '11×11/4 valid (AlexNet conv1 in miniature)' },
  { x: [2, 11, 10, 6], w: [3, 3, 6, 9], opts: { stride: [2, 3], padding: [1, 2] }, bias: true, why: 'PyTorch padding (1, 2), strides 2×3' },
  { x: [2, 8, 9, 6], w: [3, 3, 3, 10], opts: { padding: 'same', groups: 2, relu: true }, bias: true, why: 'groups 2 + fused ReLU' },
  { x: [2, 7, 7, 4], w: [5, 5, 4, 12], opts: { padding: [2, 1, 0, 3], relu: true }, bias: true, why: 'explicit [top, bottom, left, right] + ReLU' },
  { x: [2, 13, 10, 3], w: [3, 2, 3, 4], opts: { stride: 4, padding: 'same' }, why: 'kernel smaller than stride: phases without taps' },
  { x: [2, 6, 7, 20], w: [3, 3, 20, 37], opts: { padding: 'same' }, bias: true, why: 'Cout 37: several column blocks, partial block' },
  { x: [1, 9, 9, 12], w: [3, 3, 6, 36], opts: { stride: 2, padding: 1, groups: 2, relu: true }, bias: true, why: 'groups 2 with 18 outputs per group, stride 2' },
  { x: [2, 12, 12, 3], w: [3, 3, 3, 5], opts: { stride: [1, 4], padding: 'valid' }, why: 'stride 1×4' },
  {
    x: [2, 9, 7, 8], w: [3, 3, 8, 44], opts: { padding: 'same', relu: true }, bias: true,
    why: 'channels in fours (subgroup GEMM convolution): 126 pixels and 44 outputs, partial tiles; dx with 44 input channels',
  },
  { x: [3, 6, 5, 12], w: [5, 5, 12, 20], opts: { padding: 'same' }, why: '5×5 same, channels in fours, no bias' },
];

export function fmt(c: Case): string {
  return `x [${c.x.join('×')}] w [${c.w.join('×')}] ${JSON.stringify(c.opts)}: ${c.why}`;
}

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Runs the three kernels (and db's reduction) on poisoned outputs. */
export async function runKernels(ctx: GpuContext, g: Conv2dGeometry, x: Float32Array, w: Float32Array, b: Float32Array | null, gy: ArrayLike<number>) {
  const X = Tensor.fromArray(ctx, x, [g.N, g.H, g.W, g.Cin]);
  const W = Tensor.fromArray(ctx, w, [g.KH, g.KW, g.Cg, g.Cout]);
  const B = b ? Tensor.fromArray(ctx, b, [g.Cout]) : null;
  let XP = X;
  if (hasPadding(g)) {
    XP = poisoned(ctx, [g.N, g.Hp, g.Wp, g.Cin]);
    pad2d(ctx, X.buffer, XP.buffer, { N: g.N, H: g.H, W: g.W, C: g.Cin, pt: g.padT, pb: g.padB, pl: g.padL, pr: g.padR });
  }
  const outShape = [g.N, g.OH, g.OW, g.Cout];
  const Y = poisoned(ctx, outShape);
  conv2dForward(ctx, g, XP.buffer, W.buffer, B?.buffer ?? null, Y.buffer);
  const GY = Tensor.fromArray(ctx, Float32Array.from(gy), outShape);
  const DX = poisoned(ctx, [g.N, g.H, g.W, g.Cin]);
  const DW = poisoned(ctx, [g.KH, g.KW, g.Cg, g.Cout]);
  const DB = poisoned(ctx, [g.Cout]);
  conv2dBackwardData(ctx, g, GY.buffer, W.buffer, DX.buffer);
  conv2dBackwardWeights(ctx, g, XP.buffer, GY.buffer, DW.buffer);
  reduceMiddle(ctx, GY.buffer, DB.buffer, 1, g.N * g.OH * g.OW, g.Cout);
  const out = { y: await Y.toArray(), dx: await DX.toArray(), dw: await DW.toArray(), db: await DB.toArray() };
  for (const t of [X, W, B, Y, GY, DX, DW, DB, XP !== X ? XP : null]) t?.dispose();
  return out;
}
