/**
 * A GPU context from a browser's WebGPU (`navigator.gpu`), or from any object with the WebGPU
 * `GPU` interface (Deno, a worker, a test double). Platform-neutral: no Node imports, so the
 * package's "./browser" entry can offer it; Node programs use createNodeContext.
 */
import { acquireContext } from '../kernels/acquire.js';
import { GpuError, type GpuContext } from '../kernels/context.js';
import type { KernelPathOption, LimitsOption } from '../kernels/kernel-path.js';

/**
 * `kernels`: 'auto' (default: software kernels on a software adapter, tiled ones on a GPU),
 * 'software' or 'tiled'. `limits`: 'adapter' (default) or 'default' (WebGPU's default limits,
 * no optional features) — the browser's counterparts of ALEXNET_KERNELS / ALEXNET_GPU_LIMITS.
 */
export async function createBrowserContext(
  opts: { gpu?: GPU; powerPreference?: GPUPowerPreference; kernels?: KernelPathOption; limits?: LimitsOption } = {},
): Promise<GpuContext> {
  const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new GpuError('This environment has no WebGPU (navigator.gpu is missing): use a WebGPU browser (Chrome/Edge 113+, Safari 26, Firefox 141+) on a secure (https or localhost) page.');
  return acquireContext(gpu, { powerPreference: opts.powerPreference, kernels: opts.kernels, limits: opts.limits });
}
