/**
 * WebGPU in the page: the engine's own acquireContext(navigator.gpu), with a message a
 * browser user can act on when there is no WebGPU (the engine's NO_ADAPTER_HELP talks about
 * installing Vulkan drivers on a server, which is not what a browser user needs).
 */
import { acquireContext } from '../../src/kernels/acquire.js';
import type { GpuContext } from '../../src/kernels/context.js';

export class WebGpuUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly help: string[],
  ) {
    super(`${reason} ${help.join(' ')}`);
    this.name = 'WebGpuUnavailableError';
  }
}

/** How to get WebGPU, one line per browser. */
export const WEBGPU_HELP: string[] = [
  'Chrome or Edge 113 or newer on Windows, macOS and ChromeOS have WebGPU on by default.',
  'Chrome on Linux: open chrome://flags/#enable-unsafe-webgpu, set it to Enabled and relaunch (or start Chrome with --enable-unsafe-webgpu; without a GPU driver add --enable-unsafe-swiftshader for its software adapter).',
  'Safari: Safari 26 has WebGPU on; in older versions use Safari Technology Preview, or turn on Develop › Feature Flags › WebGPU.',
  'Firefox: Firefox 141+ on Windows has it; elsewhere use Firefox Nightly and set dom.webgpu.enabled to true in about:config.',
  'WebGPU also needs a secure page: https://, or http://localhost / http://127.0.0.1 as `npm run web` prints (not the machine\'s LAN address over plain http).',
];

/** Acquires a GPU context in the browser or throws WebGpuUnavailableError with the help above. */
export async function acquireBrowserContext(): Promise<GpuContext> {
  if (typeof window !== 'undefined' && !window.isSecureContext) {
    throw new WebGpuUnavailableError(
      `This page is not a secure context (${location.origin}), so the browser hides WebGPU.`,
      WEBGPU_HELP,
    );
  }
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError('This browser does not have WebGPU (navigator.gpu is missing).', WEBGPU_HELP);
  }
  try {
    return await acquireContext(gpu);
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.startsWith('No WebGPU adapter')) {
      throw new WebGpuUnavailableError(
        'This browser has WebGPU but gave no adapter (navigator.gpu.requestAdapter() returned null): the GPU or its driver may be blocklisted, or WebGPU is disabled.',
        WEBGPU_HELP,
      );
    }
    throw e;
  }
}
