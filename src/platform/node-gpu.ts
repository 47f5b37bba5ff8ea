/**
 * Node adapter: obtains a WebGPU device through Dawn's Node bindings (the `webgpu`
 * package). This is the only place that imports it; src/kernels, src/autograd and src/nn
 * stay platform-neutral so the same engine runs in a browser page.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GpuContext, GpuError } from '../kernels/context.js';
import { acquireContext, NO_ADAPTER_HELP } from '../kernels/acquire.js';
import { type KernelPathOption, type LimitsOption, isSoftwareAdapter, parseKernelPath, parseLimits } from '../kernels/kernel-path.js';
import { DAWN_LIMIT_NOTICES, prepareStderrFilter, withStderrFiltered } from './native-stderr.js';
import { quietHostWait } from './quiet-wait.js';

// Keep the object create() returns referenced for the whole process: if the garbage
// collector takes it, Dawn later crashes at random (a known dawn.node behaviour).
let dawnGpu: GPU | null = null;

export class GpuUnavailableError extends Error {}

/**
 * On Linux, Dawn reaches the GPU through Vulkan: with no Vulkan driver manifest (ICD) at all,
 * say so before Dawn starts, so the user sees our message rather than the Vulkan loader's and
 * Dawn's native warnings.
 */
function vulkanDriverMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const listed = process.env.VK_DRIVER_FILES ?? process.env.VK_ICD_FILENAMES;
  if (listed) return !listed.split(':').some((f) => f && existsSync(f));
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', join(homedir(), '.local/share/vulkan/icd.d')];
  return !dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

export interface NodeContextOptions {
  powerPreference?: GPUPowerPreference;
  /** GEMM/convolution kernels: 'auto' (by adapter), 'software' or 'tiled'; default: ALEXNET_KERNELS, else 'auto'. */
  kernels?: KernelPathOption;
  /** 'adapter' limits and optional features, or WebGPU's 'default' limits and none; default: ALEXNET_GPU_LIMITS, else 'adapter'. */
  limits?: LimitsOption;
}

/**
 * A context on Dawn. The environment is read here, once per call, so src/kernels stays
 * free of process.env: ALEXNET_KERNELS=auto|software|tiled, ALEXNET_GPU_LIMITS=adapter|default.
 */
export async function createNodeContext(opts: NodeContextOptions = {}): Promise<GpuContext> {
  let kernels: KernelPathOption;
  let limits: LimitsOption;
  try {
    kernels = opts.kernels ?? parseKernelPath(process.env.ALEXNET_KERNELS);
    limits = opts.limits ?? parseLimits(process.env.ALEXNET_GPU_LIMITS);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (!dawnGpu && vulkanDriverMissing()) throw new GpuUnavailableError(NO_ADAPTER_HELP + ' (No Vulkan driver manifest was found.)');
  if (!dawnGpu) {
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      throw new GpuUnavailableError(
        `Could not load Dawn's Node bindings (the 'webgpu' npm package): ${(e as Error).message}\n` +
          `Run 'npm run setup' (or 'bash scripts/setup.sh') to install the npm packages and a Vulkan driver.`,
      );
    }
    // WebGPU's enum-like globals (GPUBufferUsage, GPUMapMode, ...) are expected by the engine.
    Object.assign(globalThis, mod.globals);
    dawnGpu = mod.create([]);
  }
  await prepareStderrFilter();
  const gpu = dawnGpu;
  // Dawn prints two notices about limits it clamps, from C++, while it finds the adapter
  // (native-stderr.ts): that synchronous call runs with stderr filtered.
  const quiet = {
    requestAdapter: (o?: GPURequestAdapterOptions) => withStderrFiltered(DAWN_LIMIT_NOTICES, () => gpu.requestAdapter(o)),
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
  } as unknown as GPU;
  try {
    const ctx = await acquireContext(quiet, { powerPreference: opts.powerPreference, kernels, limits });
    // On a software GPU the main thread's polling competes with the GPU's own threads.
    const wait = isSoftwareAdapter({ name: ctx.info.adapter }) ? quietHostWait() : null;
    if (wait) {
      ctx.hostWait = wait;
      ctx.hostWaitKind = 'quiet';
    }
    return ctx;
  } catch (e) {
    if (e instanceof GpuError && e.message.includes(NO_ADAPTER_HELP.slice(0, 20))) {
      throw new GpuUnavailableError(e.message);
    }
    throw e;
  }
}

/** Runs a command-line main: prints one clear line for a missing GPU, never a Dawn stack trace. */
export async function runMain(main: () => Promise<number | void>): Promise<never> {
  let code = 0;
  try {
    code = (await main()) ?? 0;
  } catch (e) {
    if (e instanceof GpuUnavailableError) {
      console.error(`error: ${e.message}`);
      code = 2;
    } else if (e instanceof UserError) {
      console.error(`error: ${e.message}`);
      code = 1;
    } else {
      console.error(e);
      code = 1;
    }
  }
  // Dawn keeps the process alive while its instance is referenced: exit explicitly.
  process.exit(code);
}

/** An error caused by the user's input (bad option, missing file): printed without a stack. */
export class UserError extends Error {}
