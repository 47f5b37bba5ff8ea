/**
 * The GPU-shaped tiled GEMM (gemm-tiled.wgsl.ts) against the float64 reference, on every
 * context whatever its kernel path (the variant is passed explicitly), so it also runs on
 * lavapipe and under default limits. Code differs per tile, per transpose (which index is
 * contiguous decides the loader) and per operand loaded as vec4 or scalar, so every
 * combination runs once; shapes are not multiples of any tile (edge tiles, K tails), and
 * some span several tiles in each direction. Outputs are poisoned (NaN) first.
 * Tolerances: the defaults (atol 1e-4, rtol 1e-3; K ≤ 129).
 */
import { describe, expect, it } from 'vitest';
import { GEMM_VARIANTS, gemm, gemmRef, resolveGemmVariant } from '../../src/kernels/gemm/gemm.js';
import { activationEntry } from '../../src/kernels/elementwise/pointwise.js';
import { TILES, type TileShape, chooseTile, tileProblem, tileSharedBytes, tileWorkgroup } from '../../src/kernels/tiled/tiles.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { expectClose, gpu, poisoned, randomArray } from '../helpers.js';
import { checkGemm } from './gemm-check.js';

/** One case on the tiled kernel, with this tile (undefined: chosen by shape). */
const check = (o: { M: number; N: number; K: number; transA?: boolean; transB?: boolean }, tile: TileShape | undefined, seed: number) =>
  checkGemm({ kind: 'tiled', tile }, o, seed);

describe('tiled gemm: tiles × transposes × scalar/vec4 loads', () => {
  // An operand's loader depends on its layout (which index is contiguous: the transpose),
  // vec4 or scalar, and the tile's vector widths; vec4 of A needs (transA ? M : K) % 4 = 0,
  // of B (transB ? K : N) % 4 = 0. These four runs give both operands all four
  // (layout, vec4) combinations per tile with one pipeline per transpose (a first dispatch
  // compiles for about a second on lavapipe, so the full 4 × 2 grid per tile is not worth it):
  //   NN 71×67×45: A k-contiguous scalar, B n-contiguous scalar
  //   TN 71×76×45: A m-contiguous scalar, B n-contiguous vec4
  //   NT 68×76×36: A k-contiguous vec4,   B k-contiguous vec4
  //   TT 68×76×45: A m-contiguous vec4,   B k-contiguous scalar
  // No extent is a multiple of a tile: edge tiles and k tails everywhere.
  const runs = [
    { M: 71, N: 67, K: 45, transA: false, transB: false },
    { M: 71, N: 76, K: 45, transA: true, transB: false },
    { M: 68, N: 76, K: 36, transA: false, transB: true },
    { M: 68, N: 76, K: 45, transA: true, transB: true },
  ];
  for (const [tname, tile] of Object.entries(TILES))
    it(`${tname}: all four transposes, scalar and vec4 loads of each layout`, async () => {
      for (const [i, o] of runs.entries()) await check(o, tile, 10 + i);
    });
});

describe('tiled gemm: shapes, epilogues, batch', () => {
  for (const s of [
    { M: 1, N: 67, K: 3 },
    { M: 70, N: 1, K: 129 },
    { M: 37, N: 21, K: 5 },
    { M: 130, N: 200, K: 17 },
  ])
    it(`${s.M}×${s.K} · ${s.K}×${s.N}, tile by shape, transA / transB`, async () => {
      await check(s, undefined, 20);
      await check({ ...s, transA: true, transB: true }, undefined, 22);
    });

  it('bias + ReLU + alpha + beta accumulation, and a table activation', async () => {
    const ctx = await gpu();
    const [M, N, K] = [45, 70, 19];
    const a = randomArray(M * K, 30);
    const b = randomArray(K * N, 31);
    const bias = randomArray(N, 32);
    const c0 = randomArray(M * N, 33);
    const A = Tensor.fromArray(ctx, a, [M, K]);
    const B = Tensor.fromArray(ctx, b, [K, N]);
    const Bias = Tensor.fromArray(ctx, bias, [N]);
    const C = Tensor.fromArray(ctx, c0, [M, N]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, bias: Bias.buffer, relu: true, alpha: 0.5, beta: 2, transB: true }, GEMM_VARIANTS.tiled);
    // With transB the kernel reads B's buffer as [N, K]; the reference reads b the same way.
    expectClose(await C.toArray(), gemmRef(a, b, { M, N, K, bias, relu: true, alpha: 0.5, beta: 2, c0, transB: true }), {}, 'relu C');
    const D = poisoned(ctx, [M, N]);
    gemm(ctx, A.buffer, B.buffer, D.buffer, { M, N, K, bias: Bias.buffer, activation: 'sigmoid' }, GEMM_VARIANTS.tiled);
    const sig = activationEntry('sigmoid').ref;
    expectClose(await D.toArray(), Array.from(gemmRef(a, b, { M, N, K, bias }), sig), {}, 'sigmoid C');
    [A, B, Bias, C, D].forEach((t) => t.dispose());
  });

  for (const [what, sA, sB, sC] of [
    ['vec4-aligned strides with gaps', 12 * 16 + 8, 16 * 8 + 4, 12 * 8 + 12],
    ['odd strides (scalar loads)', 12 * 16 + 3, 16 * 8 + 5, 12 * 8 + 1],
  ] as const)
    it(`batched, ${what}; the gaps between outputs stay untouched`, async () => {
      const ctx = await gpu();
      const [M, N, K, batch] = [12, 8, 16, 3];
      const a = randomArray(batch * sA, 40);
      const b = randomArray(batch * sB, 41);
      const A = Tensor.fromArray(ctx, a, [batch * sA]);
      const B = Tensor.fromArray(ctx, b, [batch * sB]);
      const C = poisoned(ctx, [batch * sC]);
      gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, batch, strideA: sA, strideB: sB, strideC: sC, transA: true }, GEMM_VARIANTS.tiled);
      const got = await C.toArray();
      for (let i = 0; i < batch; i++) {
        const want = gemmRef(a.subarray(i * sA), b.subarray(i * sB), { M, N, K, transA: true });
        expectClose(got.subarray(i * sC, i * sC + M * N), want, {}, `C[${i}]`);
        if (i < batch - 1) expect(Number.isNaN(got[i * sC + M * N]!)).toBe(true);
      }
      [A, B, C].forEach((t) => t.dispose());
    });
});

describe('tiled gemm: limits and selection', () => {
  it("every tile fits WebGPU's default limits", () => {
    for (const [name, t] of Object.entries(TILES)) {
      expect(tileProblem(t), name).toBeNull();
      const { WGX, WGY, WG } = tileWorkgroup(t);
      expect(WG, name).toBeLessThanOrEqual(256);
      expect(Math.max(WGX, WGY), name).toBeLessThanOrEqual(256);
      expect(tileSharedBytes(t), name).toBeLessThanOrEqual(16384);
    }
    expect(tileProblem({ BM: 128, BN: 128, BK: 16, TM: 4, TN: 4 })).toMatch(/invocations|workgroup memory/);
    expect(tileProblem({ BM: 64, BN: 64, BK: 64, TM: 4, TN: 4 })).toMatch(/16384/);
  });

  it('tile by shape: few rows, few columns, large', () => {
    expect(chooseTile(8, 4096)).toEqual(TILES.t16x64);
    expect(chooseTile(4096, 8)).toEqual(TILES.t64x16);
    expect(chooseTile(1024, 1024)).toEqual(TILES.t64x64);
  });

  it("'auto' follows ctx.kernelPath; explicit variants are honoured on either path", async () => {
    const ctx = await gpu();
    const prev = ctx.kernelPath;
    const o = { M: 8, N: 8, K: 8 };
    const s = { ...o, strideA: 64, strideB: 64, strideC: 64, batch: 1 };
    try {
      ctx.kernelPath = 'tiled';
      expect(resolveGemmVariant(ctx, GEMM_VARIANTS.auto, o, s).kind).toBe('tiled');
      expect(resolveGemmVariant(ctx, GEMM_VARIANTS.blocked4x4, o, s)).toEqual(GEMM_VARIANTS.blocked4x4);
      ctx.kernelPath = 'software';
      expect(resolveGemmVariant(ctx, GEMM_VARIANTS.auto, o, s).kind).not.toBe('tiled');
      expect(resolveGemmVariant(ctx, GEMM_VARIANTS.tiled, o, s).kind).toBe('tiled');
    } finally {
      ctx.kernelPath = prev;
    }
  });
});
