/**
 * Tile shapes of the GPU-shaped (tiled) GEMM and convolution kernels, their check against
 * WebGPU's default limits, and the per-shape choice among them.
 *
 * A workgroup computes a BM×BN block of C, staging a BM×BK slice of A and a BK×BN slice of
 * B in workgroup memory per step of the reduction; each of its (BN/TN)×(BM/TM) invocations
 * keeps a TM×TN block of accumulators in registers (2-D block tiling). Every shape here fits
 * WebGPU's default limits, so the kernels run on any conformant device: ≤ 256 invocations,
 * ≤ 16384 bytes of workgroup storage (tile-gemm.wgsl.ts pads some rows by one vector).
 *
 * The choice is a heuristic, not a measurement: this project's machine has no GPU. Larger
 * tiles reuse each loaded value more (arithmetic intensity BM·BN/(BM+BN) per loaded float),
 * smaller ones waste less on edge tiles and give more workgroups to a GPU's many cores.
 */

export interface TileShape {
  /** Rows (M) and columns (N) of C per workgroup, reduction step (K) per shared tile. */
  BM: number;
  BN: number;
  BK: number;
  /** Rows and columns of C per invocation. */
  TM: number;
  TN: number;
}

/** WebGPU's default limits that bound a compute kernel's shape. */
export const DEFAULT_LIMITS = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupsPerDimension: 65535,
} as const;

export const TILES = {
  /** The workhorse: 16×16 invocations, 4×4 outputs each. */
  t64x64: { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 },
  /** Medium shapes: more workgroups, less edge waste. */
  t32x32: { BM: 32, BN: 32, BK: 16, TM: 2, TN: 2 },
  /** Few rows (a dense layer on a small batch: M = batch). */
  t16x64: { BM: 16, BN: 64, BK: 16, TM: 1, TN: 4 },
  /** Few columns (a convolution with few output channels, a classifier's last layer). */
  t64x16: { BM: 64, BN: 16, BK: 16, TM: 4, TN: 1 },
} as const satisfies Record<string, TileShape>;
export type TileName = keyof typeof TILES;

/** Invocations along x (columns) and y (rows) of a tile's workgroup. */
export function tileWorkgroup(t: TileShape): { WGX: number; WGY: number; WG: number } {
  const WGX = t.BN / t.TN;
  const WGY = t.BM / t.TM;
  return { WGX, WGY, WG: WGX * WGY };
}

/** Bytes of workgroup memory the tiles take at most (rows padded by one vector; see tile-gemm.wgsl.ts). */
export function tileSharedBytes(t: TileShape): number {
  return 4 * t.BK * (t.BM + t.TM + t.BN + t.TN);
}

/** Why a tile shape cannot be used with WebGPU's default limits (or generated), or null if it can. */
export function tileProblem(t: TileShape): string | null {
  const { WGX, WGY, WG } = tileWorkgroup(t);
  if (![t.BM, t.BN, t.BK, t.TM, t.TN].every((v) => Number.isInteger(v) && v > 0)) return 'sizes must be positive integers';
  if (t.BM % t.TM || t.BN % t.TN) return 'BM and BN must be multiples of TM and TN';
  if (![1, 2, 4].includes(t.TM) || ![1, 2, 4].includes(t.TN)) return 'TM and TN must be 1, 2 or 4 (one shared vector each)';
  if (t.BK % 4 || t.BM % 4 || t.BN % 4) return 'BM, BN and BK must be multiples of 4 (vec4 loads)';
  if (WG > DEFAULT_LIMITS.maxComputeInvocationsPerWorkgroup) return `${WG} invocations per workgroup exceed 256`;
  if (WGX > DEFAULT_LIMITS.maxComputeWorkgroupSizeX || WGY > DEFAULT_LIMITS.maxComputeWorkgroupSizeY) return 'workgroup size above 256';
  const bytes = tileSharedBytes(t);
  if (bytes > DEFAULT_LIMITS.maxComputeWorkgroupStorageSize) return `${bytes} bytes of workgroup memory exceed 16384`;
  // The loaders give each invocation a fixed column of a tile (tile-gemm.wgsl.ts).
  for (const c of [t.BK, t.BM, t.BN]) if (WG % c) return `workgroup size ${WG} must be a multiple of ${c}`;
  return null;
}

export function tileName(t: TileShape): string {
  return `${t.BM}x${t.BN}k${t.BK}-${t.TM}x${t.TN}`;
}

/**
 * The tile for an M×N output (times `parallel` independent blocks: batch, groups, column
 * blocks): least padded work per unit of reuse, penalised when there are too few
 * workgroups to fill a GPU (fewer than ~64).
 */
export function chooseTile(M: number, N: number, parallel = 1, tiles: readonly TileShape[] = Object.values(TILES)): TileShape {
  let best = tiles[0]!;
  let bestScore = Infinity;
  for (const t of tiles) {
    const wgs = Math.ceil(M / t.BM) * Math.ceil(N / t.BN) * parallel;
    const padded = Math.ceil(M / t.BM) * t.BM * Math.ceil(N / t.BN) * t.BN * parallel;
    const intensity = (t.BM * t.BN) / (t.BM + t.BN);
    const score = (padded / intensity) * Math.max(1, 64 / wgs);
    if (score < bestScore) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}
