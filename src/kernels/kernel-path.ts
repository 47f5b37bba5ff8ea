/**
 * Which family of GEMM and convolution kernels a context runs: the software-shaped ones
 * (tuned for lavapipe: no workgroup memory, subgroup broadcasts, register blocks) or the
 * GPU-shaped tiled ones (tiles staged in workgroup memory, 2-D block tiling, no subgroups).
 *
 * Why per adapter: on a CPU rasteriser (llvmpipe/lavapipe, SwiftShader, WARP) workgroup
 * memory is ordinary memory and every barrier is a coroutine switch, so staging tiles costs
 * more than it saves (docs/BENCHMARKS.md); on a real GPU the opposite holds — shared tiles
 * are what turn a GEMM from memory-bound into compute-bound. So a software adapter keeps
 * today's kernels and every other adapter gets the tiled ones, unless forced.
 *
 * Platform-neutral: the Node layer reads ALEXNET_KERNELS (src/platform/node-gpu.ts), a
 * browser passes `kernels` to createBrowserContext.
 */

export type KernelPath = 'software' | 'tiled';
/** 'auto' = by adapter (see chooseKernelPath). */
export type KernelPathOption = KernelPath | 'auto';
export const KERNEL_PATH_OPTIONS: readonly KernelPathOption[] = ['auto', 'software', 'tiled'];

/** The limits a device is requested with: the adapter's own, or WebGPU's defaults (and no optional features). */
export type LimitsOption = 'adapter' | 'default';
export const LIMITS_OPTIONS: readonly LimitsOption[] = ['adapter', 'default'];

/**
 * Names of CPU-based WebGPU/Vulkan/D3D implementations as they appear in adapter info
 * (vendor, architecture, device, description): Mesa's llvmpipe (Vulkan: lavapipe) and
 * softpipe, Google's SwiftShader, Microsoft's WARP ("Microsoft Basic Render Driver").
 */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|basic render|\bsoftware\b/i;

export interface AdapterIdentity {
  /** The adapter info strings joined (vendor, architecture, device, description). */
  name: string;
  /** GPUAdapterInfo.isFallbackAdapter (or the older GPUAdapter.isFallbackAdapter). */
  isFallbackAdapter?: boolean;
}

/** A software (CPU) adapter: flagged as the fallback adapter, or named like one. */
export function isSoftwareAdapter(a: AdapterIdentity): boolean {
  return a.isFallbackAdapter === true || SOFTWARE_NAMES.test(a.name);
}

/** The kernel path for an adapter: software adapters keep the software kernels unless forced. */
export function chooseKernelPath(a: AdapterIdentity, option: KernelPathOption = 'auto'): KernelPath {
  if (option !== 'auto') return option;
  return isSoftwareAdapter(a) ? 'software' : 'tiled';
}

/** Parses an option value (an environment variable, a page's query string); undefined/'' = the default. */
export function parseKernelPath(v: string | undefined, what = 'ALEXNET_KERNELS'): KernelPathOption {
  if (v === undefined || v === '') return 'auto';
  const s = v.trim().toLowerCase();
  if ((KERNEL_PATH_OPTIONS as readonly string[]).includes(s)) return s as KernelPathOption;
  throw new Error(`${what}=${v}: expected one of ${KERNEL_PATH_OPTIONS.join(', ')}`);
}

export function parseLimits(v: string | undefined, what = 'ALEXNET_GPU_LIMITS'): LimitsOption {
  if (v === undefined || v === '') return 'adapter';
  const s = v.trim().toLowerCase();
  if ((LIMITS_OPTIONS as readonly string[]).includes(s)) return s as LimitsOption;
  throw new Error(`${what}=${v}: expected one of ${LIMITS_OPTIONS.join(', ')}`);
}
