/**
 * Device acquisition from any `GPU` object (Dawn in Node, `navigator.gpu` in a browser).
 * By default requests the adapter's own limits so large activations fit, and the optional
 * features the kernels can use. `limits: 'default'` instead asks for WebGPU's default limits
 * and no optional feature — what a browser on a modest GPU grants — so every kernel can be
 * checked against them on any machine (ALEXNET_GPU_LIMITS=default in Node).
 * Also picks the GEMM/convolution kernel path for the adapter (kernel-path.ts).
 */
import { GpuContext, GpuError } from './context.js';
import { type KernelPathOption, type LimitsOption, chooseKernelPath } from './kernel-path.js';

export const NO_ADAPTER_HELP =
  'No WebGPU adapter is available. This engine needs a GPU driver with Vulkan (or Metal/D3D12) ' +
  'support; on a machine without a GPU install Mesa\'s software Vulkan driver (lavapipe): on ' +
  'Debian 12 run `bash scripts/setup.sh`, which adds bookworm-backports and installs ' +
  '`mesa-vulkan-drivers libvulkan1` from it (Debian 12\'s own Mesa 22.3 is too old for Dawn).';

const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups' as GPUFeatureName];

export async function acquireContext(
  gpu: GPU | undefined,
  opts: { powerPreference?: GPUPowerPreference; kernels?: KernelPathOption; limits?: LimitsOption } = {},
): Promise<GpuContext> {
  if (!gpu) throw new GpuError(NO_ADAPTER_HELP);
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) throw new GpuError(NO_ADAPTER_HELP);
  const defaults = opts.limits === 'default';
  // Default limits = no requiredLimits at all (the device then gets exactly WebGPU's defaults).
  const features = defaults ? [] : WANTED_FEATURES.filter((f) => adapter!.features.has(f));
  const l = adapter.limits;
  const requiredLimits: Record<string, number> = defaults ? {} : {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  const info = adapter.info;
  const name =
    [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s && s.length > 0).join(' ') ||
    'unknown adapter';
  device.addEventListener?.('uncapturederror', (ev: Event) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    console.error(`WebGPU uncaptured error: ${e.message}`);
  });
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read either.
  const fallback =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return new GpuContext(device, {
    adapter: name,
    features,
    hasTimestamps: features.includes('timestamp-query'),
    kernelPath: chooseKernelPath({ name, isFallbackAdapter: fallback }, opts.kernels),
    limits: defaults ? 'default' : 'adapter',
  });
}
