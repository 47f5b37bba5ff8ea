/**
 * GEMM launcher and its float64 reference. Carries the dense layers (and any op lowered to a
 * matrix product).
 *
 * Three kernels: the register-blocked one (gemm.wgsl.ts; TM×TN outputs per invocation, no
 * subgroups), the subgroup-broadcast one (gemm-subgroup.wgsl.ts), 2–3.5× faster on
 * lavapipe (docs/BENCHMARKS.md), and the GPU-shaped tiled one (gemm-tiled.wgsl.ts: tiles in
 * workgroup memory, no subgroups). The default variant, 'auto', follows the context's
 * kernel path (ctx.kernelPath, chosen per adapter: kernel-path.ts): 'tiled' takes the tiled
 * kernel with a tile picked per shape; 'software' takes the subgroup kernel when the adapter
 * has subgroups of ≥ 8 lanes, with its tile and lane direction picked per shape by a cost
 * model, and the blocked 4×4 kernel otherwise. Every variant is selectable, per call (gemm's
 * last argument), so benchmarks compare them on the same shapes.
 */
import { type GpuContext, GpuError, MAX_WORKGROUPS_PER_DIM, grid2d } from '../context.js';
import { type ActivationOption, activationId } from '../elementwise/pointwise.js';
import { f32Bytes, launch } from '../spec.js';
import { gemmKernel } from './gemm.wgsl.js';
import { type SubgroupGemmShape, subgroupGemmKernel } from './gemm-subgroup.wgsl.js';
import { tiledGemmKernel } from './gemm-tiled.wgsl.js';
import { TILES, type TileShape, chooseTile } from '../tiled/tiles.js';

export interface GemmOptions {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Bias over N (columns of C), added before the activation. */
  bias?: GPUBuffer;
  /** Fused ReLU epilogue (the same as activation: 'relu'). */
  relu?: boolean;
  /** Fused activation epilogue from the pointwise table (default linear). */
  activation?: ActivationOption;
  alpha?: number;
  /** C = … + beta·C (accumulate into existing C). */
  beta?: number;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  label?: string;
}

/** The register-blocked kernel: a TM×TN block per invocation, no subgroups (gemm.wgsl.ts). */
export interface BlockedGemmVariant {
  kind?: 'blocked';
  TM: number;
  TN: number;
  WGX: number;
  WGY: number;
}

/** The subgroup-broadcast kernel (gemm-subgroup.wgsl.ts). */
export interface SubgroupGemmVariant {
  kind: 'subgroup';
  /** Shared tile = 8·R rows (lanes along N) or columns (lanes along M); 0 = by shape. */
  R: number;
  /** Which dimension the lanes (private operand) run along; 'auto' = by shape. */
  lanes: 'n' | 'm' | 'auto';
  /** Invocations per workgroup (a multiple of 8). */
  WG: number;
}

/** The workgroup-memory tiled kernel (gemm-tiled.wgsl.ts); no tile = chosen by shape. */
export interface TiledGemmVariant {
  kind: 'tiled';
  tile?: TileShape;
}

/** By the context's kernel path: tiled, or subgroup where supported else blocked 4×4; shape-dependent tiles. */
export interface AutoGemmVariant {
  kind: 'auto';
}

export type GemmVariant = BlockedGemmVariant | SubgroupGemmVariant | TiledGemmVariant | AutoGemmVariant;

/**
 * Named variants, kept selectable so a speed-up is measured, not claimed
 * (`npm run bench -- --gemm-variant naive,blocked4x4,...`; numbers in docs/BENCHMARKS.md).
 */
export const GEMM_VARIANTS = {
  /** One output per invocation. */
  naive: { TM: 1, TN: 1, WGX: 8, WGY: 8 },
  /** The original default: 4×4 outputs per invocation. */
  blocked4x4: { TM: 4, TN: 4, WGX: 8, WGY: 8 },
  /** 8×8 outputs per invocation (the best blocked kernel on lavapipe). */
  blocked8x8: { TM: 8, TN: 8, WGX: 8, WGY: 8 },
  /** Subgroup broadcast, 8 shared rows × 32 private columns per subgroup. */
  sg8: { kind: 'subgroup', R: 1, lanes: 'n', WG: 8 },
  /** Subgroup broadcast, 16 × 32 per subgroup. */
  sg16: { kind: 'subgroup', R: 2, lanes: 'n', WG: 8 },
  /** Subgroup broadcast, 32 × 32 per subgroup. */
  sg32: { kind: 'subgroup', R: 4, lanes: 'n', WG: 8 },
  /** Subgroup broadcast with lanes along M (private A, shared B). */
  sg16m: { kind: 'subgroup', R: 2, lanes: 'm', WG: 8 },
  /** Workgroup-memory tiles, tile by shape (the GPU path). */
  tiled: { kind: 'tiled' },
  /** … with a fixed tile. */
  tiled64: { kind: 'tiled', tile: TILES.t64x64 },
  tiled32: { kind: 'tiled', tile: TILES.t32x32 },
  auto: { kind: 'auto' },
} as const satisfies Record<string, GemmVariant>;
export type GemmVariantName = keyof typeof GEMM_VARIANTS;

export const DEFAULT_GEMM: GemmVariant = GEMM_VARIANTS.auto;


/** Whether the subgroup kernel can run: the feature, and subgroups of at least 8 lanes. */
export function hasSubgroupGemm(ctx: GpuContext): boolean {
  return ctx.subgroupMinSize >= 8;
}

export function gemm(ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, o: GemmOptions, variant: GemmVariant = DEFAULT_GEMM): void {
  const { M, N, K } = o;
  const batch = o.batch ?? 1;
  const label = o.label ?? `gemm[${M}×${K}${o.transA ? 'ᵀ' : ''} · ${K}×${N}${o.transB ? 'ᵀ' : ''}${batch > 1 ? ` ×${batch}` : ''}]`;
  if (M <= 0 || N <= 0 || K <= 0) throw new GpuError(`${label}: empty dimensions`);
  const strideA = o.strideA ?? M * K;
  const strideB = o.strideB ?? K * N;
  const strideC = o.strideC ?? M * N;
  if (batch > 65535) throw new GpuError(`${label}: batch ${batch} exceeds 65535`);
  if (o.relu && o.activation !== undefined && o.activation !== 'relu') {
    throw new GpuError(`${label}: relu and activation '${o.activation}' both given`);
  }
  const flags = {
    HAS_BIAS: o.bias ? 1 : 0,
    ACT: activationId(o.relu ? 'relu' : o.activation),
    ACCUMULATE: o.beta !== undefined && o.beta !== 0 ? 1 : 0,
  };
  const s = { M, N, K, strideA, strideB, strideC, batch };
  const bind = {
    label,
    uniforms: { M, N, K, strideA, strideB, strideC, alpha: o.alpha ?? 1, beta: o.beta ?? 0 },
    // Without a bias, bind C's own buffer read-only in its place? Not allowed (aliasing a
    // read-write binding), so bind A, which HAS_BIAS=false never reads.
    buffers: { a, b, bias: o.bias ?? a, c },
    need: {
      a: f32Bytes((batch - 1) * strideA + M * K),
      b: f32Bytes((batch - 1) * strideB + K * N),
      bias: o.bias ? f32Bytes(N) : 0,
      c: f32Bytes((batch - 1) * strideC + M * N),
    },
  };
  const v = resolveGemmVariant(ctx, variant, o, s);
  if (v.kind === 'tiled') {
    const tile = v.tile ?? chooseTile(M, N, batch);
    const tilesX = Math.ceil(N / tile.BN);
    const tilesY = Math.ceil(M / tile.BM);
    if (tilesX > MAX_WORKGROUPS_PER_DIM || tilesY > MAX_WORKGROUPS_PER_DIM) {
      throw new GpuError(`${label}: ${tilesY}×${tilesX} tiles of ${tile.BM}×${tile.BN} exceed ${MAX_WORKGROUPS_PER_DIM} workgroups per dimension`);
    }
    const { vecA, vecB } = vecFlags(o, s);
    launch(ctx, tiledGemmKernel({ tile, transA: !!o.transA, transB: !!o.transB, vecA, vecB }), {
      ...bind,
      constants: flags,
      workgroups: [tilesX, tilesY, batch],
    });
    return;
  }
  if (v.kind === 'subgroup') {
    const { vecA, vecB } = vecFlags(o, s);
    // vec4 stores of C: lanes along N own 4 consecutive columns of a row.
    const vecC = v.lanes === 'n' && N % 4 === 0 && (batch === 1 || strideC % 4 === 0);
    const shape: SubgroupGemmShape = { R: v.R, lanes: v.lanes, transA: !!o.transA, transB: !!o.transB, vecA, vecB, vecC };
    const { nbP, x, y } = subgroupGrid(M, N, v.R, v.lanes, v.WG);
    launch(ctx, subgroupGemmKernel(shape), {
      ...bind,
      uniforms: { ...bind.uniforms, nbP },
      constants: { ...flags, WG: v.WG },
      workgroups: [x, y, s.batch],
    });
    return;
  }
  launch(ctx, gemmKernel(v.TM, v.TN), {
    ...bind,
    constants: { TRANS_A: o.transA ? 1 : 0, TRANS_B: o.transB ? 1 : 0, ...flags, WGX: v.WGX, WGY: v.WGY },
    workgroups: [Math.ceil(N / (v.TN * v.WGX)), Math.ceil(M / (v.TM * v.WGY)), batch],
  });
}

/**
 * The subgroup kernel's launch grid: nbP blocks of 4·WG private indices (its uniform), times
 * the blocks of 8·R shared ones, on a 2-D grid of workgroups (x, y).
 */
export function subgroupGrid(M: number, N: number, R: number, lanes: 'n' | 'm', WG: number): { nbP: number; x: number; y: number } {
  const [shared, priv] = lanes === 'n' ? [M, N] : [N, M];
  const nbP = Math.ceil(priv / (4 * WG));
  const [x, y] = grid2d(nbP * Math.ceil(shared / (8 * R)));
  return { nbP, x, y };
}

export interface Sizes {
  M: number;
  N: number;
  K: number;
  strideA: number;
  strideB: number;
  strideC: number;
  batch: number;
}

type ResolvedSubgroup = { kind: 'subgroup'; R: number; lanes: 'n' | 'm'; WG: number };

/** The kernel a variant resolves to on this context for this shape (exported for tests). */
export function resolveGemmVariant(ctx: GpuContext, v: GemmVariant, o: GemmOptions, s: Sizes): BlockedGemmVariant | ResolvedSubgroup | TiledGemmVariant {
  if (v.kind === 'blocked' || v.kind === undefined) return v as BlockedGemmVariant;
  if (v.kind === 'tiled') return v;
  if (v.kind === 'auto' && ctx.kernelPath === 'tiled') return GEMM_VARIANTS.tiled;
  const sg = hasSubgroupGemm(ctx);
  if (v.kind === 'subgroup' && !sg) {
    throw new GpuError(`gemm: the subgroup kernel needs the 'subgroups' feature with ≥ 8 lanes, which this adapter lacks`);
  }
  if (v.kind === 'auto' && !sg) return GEMM_VARIANTS.blocked4x4;
  const fixed = v.kind === 'subgroup' ? v : { R: 0, lanes: 'auto' as const, WG: 8 };
  const { vecA, vecB } = vecFlags(o, s);
  return bestSubgroupTile(s, vecA, vecB, fixed.lanes === 'auto' ? ['n', 'm'] : [fixed.lanes], fixed.R > 0 ? [fixed.R] : [1, 2, 3, 4], fixed.WG);
}

/** The subgroup kernel's cheapest tile (lane direction, R) by the cost model below. */
export function bestSubgroupTile(
  s: Sizes,
  vecA: boolean,
  vecB: boolean,
  lanes: ReadonlyArray<'n' | 'm'>,
  Rs: readonly number[] = [1, 2, 3, 4],
  WG = 8,
): ResolvedSubgroup {
  let best: ResolvedSubgroup | null = null;
  let bestCost = Infinity;
  for (const l of lanes) {
    for (const R of Rs) {
      const cost = subgroupCost(s, l, R, WG, vecA, vecB);
      if (cost < bestCost) {
        bestCost = cost;
        best = { kind: 'subgroup', R, lanes: l, WG };
      }
    }
  }
  return best!;
}

/**
 * Estimated instructions of the subgroup kernel on lavapipe (per 8-lane chunk and 4-k block,
 * counted in its machine code; see gemm-subgroup.wgsl.ts): the private operand's 16 floats
 * per lane cost ~1150 as vec4 loads, ~1900 as scalar loads; each group of 8 shared rows
 * costs ~290 (vec4) or ~480 (scalar) in loads plus ~710 in multiply-adds, blends and moves.
 * Times the number of tiles, padding included. Larger R amortizes the private loads over
 * more rows but pads more; past R = 4 spills and code size lose (measured: R = 6 slower).
 */
function subgroupCost(s: Sizes, lanes: 'n' | 'm', R: number, WG: number, vecA: boolean, vecB: boolean): number {
  const [shared, priv, vecS, vecP] = lanes === 'n' ? [s.M, s.N, vecA, vecB] : [s.N, s.M, vecB, vecA];
  const tiles = Math.ceil(shared / (8 * R)) * Math.ceil(priv / (4 * WG));
  return tiles * ((vecP ? 1150 : 1900) + R * ((vecS ? 290 : 480) + 710));
}

/** vec4 loads of A / B are possible when their contiguous extent and batch stride are multiples of 4. */
function vecFlags(o: GemmOptions, s: Sizes): { vecA: boolean; vecB: boolean } {
  const strideOk = (stride: number) => s.batch === 1 || stride % 4 === 0;
  const vecA = (o.transA ? s.M : s.K) % 4 === 0 && strideOk(s.strideA);
  const vecB = (o.transB ? s.K : s.N) % 4 === 0 && strideOk(s.strideB);
  return { vecA, vecB };
}

/** Float64 reference: C = act(alpha·op(A)·op(B) + bias + beta·C0). */
export function gemmRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  o: { M: number; N: number; K: number; transA?: boolean; transB?: boolean; bias?: ArrayLike<number>; relu?: boolean; alpha?: number; beta?: number; c0?: ArrayLike<number> },
): Float64Array {
  const { M, N, K } = o;
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = o.transA ? a[k * M + m]! : a[m * K + k]!;
        const bv = o.transB ? b[n * K + k]! : b[k * N + n]!;
        s += av * bv;
      }
      let v = (o.alpha ?? 1) * s;
      if (o.bias) v += o.bias[n]!;
      if (o.beta && o.c0) v += o.beta * o.c0[m * N + n]!;
      if (o.relu) v = Math.max(v, 0);
      c[m * N + n] = v;
    }
  return c;
}
