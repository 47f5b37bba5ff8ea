/**
 * The tiled convolution kernels (conv2d-tiled.wgsl.ts: forward and data-gradient implicit
 * GEMM, weight gradient) against the float64 direct convolution, forced on whatever context
 * the project gives (ctx.kernelPath = 'tiled' around each test), so they also run on
 * lavapipe and under WebGPU's default limits. Every case of conv2d.test.ts (paddings,
 * strides, groups, fused ReLU, phases without taps, several column tiles), the AlexNet conv
 * shapes at small sizes (11×11/4, 5×5 same, 3×3 same, with channel counts that take the
 * vec4 loads), and every tile forced once on a scalar and a vec4 case. Outputs are poisoned
 * (NaN) first. Tolerances: the defaults (K ≤ 5·5·32 = 800 products of values in [−1, 1];
 * dw sums ≤ 2·13·13 = 338 pixels per partial), as argued in conv2d.test.ts.
 */
import { describe, it } from 'vitest';
import { setConvTuning } from '../../src/kernels/conv2d/conv2d.js';
import { conv2dBackwardRef, conv2dRef, maskedGrad } from '../../src/kernels/conv2d/conv2d-ref.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { TILES, type TileShape } from '../../src/kernels/tiled/tiles.js';
import { expectClose, gpu, randomArray } from '../helpers.js';
import { type Case, cases, fmt, runKernels, size } from './conv2d-cases.js';

/** Runs f on the tiled path (and with `tile` forced, if given), restoring the context after. */
async function tiled<T>(ctx: GpuContext, tile: TileShape | null, f: () => Promise<T>): Promise<T> {
  const prevPath = ctx.kernelPath;
  const prev = setConvTuning(ctx, { tiledTile: tile });
  ctx.kernelPath = 'tiled';
  try {
    return await f();
  } finally {
    ctx.kernelPath = prevPath;
    setConvTuning(ctx, prev);
  }
}

async function checkCase(c: Case, seed: number, tile: TileShape | null = null): Promise<void> {
  const ctx = await gpu();
  const x = randomArray(size(c.x), seed);
  const w = randomArray(size(c.w), seed + 1);
  const b = c.bias ? randomArray(c.w[3], seed + 2) : null;
  const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
  const g = ref.geometry;
  const dy = randomArray(ref.y.length, seed + 3);
  const got = await tiled(ctx, tile, () => runKernels(ctx, g, x, w, b, maskedGrad(dy, ref.y, g)));
  const grads = conv2dBackwardRef(x, w, dy, ref.y, g);
  expectClose(got.y, ref.y, {}, 'y');
  expectClose(got.dx, grads.dx, {}, 'dx');
  expectClose(got.dw, grads.dw, {}, 'dw');
  expectClose(got.db, grads.db, {}, 'db');
}

/** AlexNet's conv shapes, shrunk; channel counts multiples of 4 except conv1's 3 (scalar windows). */
const alexnet: Case[] = [
  { x: [2, 39, 35, 3], w: [11, 11, 3, 24], opts: { stride: 4, relu: true }, bias: true, why: 'conv1 11×11/4 valid + ReLU' },
  { x: [2, 13, 11, 16], w: [5, 5, 16, 20], opts: { padding: 'same', relu: true }, bias: true, why: 'conv2 5×5 same, vec4 windows' },
  { x: [2, 9, 7, 32], w: [3, 3, 32, 68], opts: { padding: 'same' }, bias: true, why: 'conv3–5 3×3 same, two column tiles, vec4' },
  { x: [1, 9, 9, 8], w: [3, 3, 4, 12], opts: { padding: 'same', groups: 2 }, bias: true, why: 'grouped 3×3 (the paper model), vec4 per group' },
];

describe('tiled conv2d kernels vs float64 reference (tile by shape)', () => {
  cases.forEach((c, ci) => it(fmt(c), () => checkCase(c, 100 + 10 * ci)));
  alexnet.forEach((c, ci) => it(`AlexNet ${fmt(c)}`, () => checkCase(c, 500 + 10 * ci)));
});

describe('tiled conv2d: every tile forced', () => {
  // The loaders are the GEMM's (every tile × layout × vec4 in gemm-tiled.test.ts); what
  // differs here is the window addressing, per tile through its vector widths (how many
  // indices each loader slot owns), so each tile runs once, two on scalar and two on vec4
  // loads, covering widths 1, 2 and 4 on both operands.
  const runs: Array<[keyof typeof TILES, Case]> = [
    ['t64x64', cases[1]!],
    ['t32x32', alexnet[2]!],
    ['t16x64', alexnet[2]!],
    ['t64x16', cases[1]!],
  ];
  for (const [name, c] of runs) it(`${name}: ${fmt(c)}`, () => checkCase(c, 700, TILES[name]));
});

describe('tiled conv2d: the weight gradient splits its reduction', () => {
  it('many pixels, few weights: split into chunks, summed (dw equals the reference)', async () => {
    // 4·24·24 = 2304 pixels against a 3×3×4×8 filter: one 36×8 output tile, so the launcher
    // splits the pixels into 36 chunks of 64 (checked through the result).
    await checkCase({ x: [4, 24, 24, 4], w: [3, 3, 4, 8], opts: { padding: 'same' }, why: 'split reduction' }, 900);
  });
});
