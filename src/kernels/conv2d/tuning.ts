/**
 * Tile sizes and kernel choices of the convolution, per GpuContext (a benchmark or test may
 * retune one context without touching another). Defaults: measured on lavapipe
 * (docs/BENCHMARKS.md).
 */
import type { GpuContext } from '../context.js';
import type { TileShape } from '../tiled/tiles.js';

/** A compile-time-specialised row-reuse kernel: window width, stride, columns per workgroup. */
export interface RowKernelShape {
  width: number;
  stride: number;
  columns: number;
}

export interface ConvTuning {
  /** Implicit GEMM (forward and data gradient), generic kernel: output pixels per invocation. */
  gemmPixels: number;
  /** Output columns per workgroup (shared through subgroups) when there are more than 8. */
  gemmColumns: number;
  /** Invocations per workgroup of both implicit-GEMM kernels. */
  gemmWorkgroup: number;
  /** Row-reuse kernel: consecutive output pixels per invocation. */
  rowPixels: number;
  /**
   * The shapes that get a row-reuse kernel (each compiles its own pipelines); others use the
   * generic implicit GEMM. The AlexNet shapes: 3×3/1, 5×5/1 (and every stride-1 data
   * gradient of them), 11×11/4 (48 outputs: 2 blocks of 24 measured ~20% faster than 3 of 16).
   */
  rowKernels: RowKernelShape[];
  /** Weight gradient, generic kernel: kernel rows k per invocation, columns per workgroup, invocations per workgroup. */
  wgradRows: number;
  wgradColumns: number;
  wgradWorkgroup: number;
  /** Weight gradient, sliding-window kernel: channels per lane (4 = vec4 loads, when the layout allows). */
  wgradRowChannels: 1 | 4;
  /** … its columns per workgroup with 1-channel and with 4-channel lanes, and its workgroup size. */
  wgradRowColumnsScalar: number;
  wgradRowColumnsVec4: number;
  wgradRowWorkgroup: number;
  /** Target number of workgroups for the weight gradient's split reduction. */
  wgradTargetWorkgroups: number;
  /** Use subgroup broadcasts when the device has them (false forces the portable path). */
  subgroups: boolean;
  /**
   * Forward and stride-1 data gradient on the subgroup GEMM kernel's convolution mode
   * (conv2d-sg.ts: groups 1, window runs of ≥ 4 floats) instead of the row-reuse / generic
   * kernels (needs `subgroups`).
   */
  subgroupConv: boolean;
  /** … its tile (8·R shared indices, lane direction) for every shape, or null to choose per shape (the GEMM's cost model). */
  subgroupConvTile: { R: number; lanes: 'n' | 'm' } | null;
  /**
   * Tiled path (ctx.kernelPath 'tiled', conv2d-tiled.ts): one tile for every implicit GEMM,
   * or null to choose per shape (tiles.ts chooseTile).
   */
  tiledTile: TileShape | null;
  /** Tiled weight gradient: target number of workgroups for its split reduction (a GPU has many cores). */
  tiledWgradTargetWorkgroups: number;
}

export const DEFAULT_CONV: Readonly<ConvTuning> = Object.freeze({
  gemmPixels: 8,
  gemmColumns: 16,
  gemmWorkgroup: 64,
  rowPixels: 6,
  rowKernels: [
    { width: 3, stride: 1, columns: 16 },
    { width: 5, stride: 1, columns: 16 },
    { width: 11, stride: 4, columns: 24 },
  ],
  wgradRows: 4,
  wgradColumns: 16,
  wgradWorkgroup: 32,
  wgradRowChannels: 4,
  wgradRowColumnsScalar: 16,
  wgradRowColumnsVec4: 8,
  wgradRowWorkgroup: 8,
  wgradTargetWorkgroups: 64,
  subgroups: true,
  subgroupConv: true,
  subgroupConvTile: null,
  tiledTile: null,
  tiledWgradTargetWorkgroups: 256,
});

const tunings = new WeakMap<GpuContext, ConvTuning>();

/** The convolution tuning of this context (the defaults unless set). */
export function convTuning(ctx: GpuContext): Readonly<ConvTuning> {
  return tunings.get(ctx) ?? DEFAULT_CONV;
}

/** Overrides fields of this context's tuning; returns the previous tuning (pass it back to restore). */
export function setConvTuning(ctx: GpuContext, t: Partial<ConvTuning>): ConvTuning {
  const prev = { ...convTuning(ctx) };
  tunings.set(ctx, { ...prev, ...t });
  return prev;
}
