/**
 * Which kernels and limits a context gets: the selection rule on adapter names (software
 * adapters keep the software kernels, GPUs get the tiled ones), the options and
 * environment variables that force either (ALEXNET_KERNELS, ALEXNET_GPU_LIMITS), and that
 * this test project's own context is what its environment asks for (vitest.config.ts runs
 * the kernel suite once per configuration; the test names say which).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chooseKernelPath, isSoftwareAdapter, parseKernelPath, parseLimits } from '../../src/kernels/kernel-path.js';
import { createNodeContext } from '../../src/platform/node-gpu.js';
import { gpu } from '../helpers.js';

const LAVAPIPE = 'mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1';

describe('kernel path: selection rule', () => {
  it('software adapters (lavapipe, llvmpipe, SwiftShader, WARP, a fallback adapter) keep the software kernels', () => {
    for (const name of [LAVAPIPE, 'Google SwiftShader Device (Subzero)', 'Microsoft Basic Render Driver', 'mesa llvmpipe (LLVM 17)']) {
      expect(isSoftwareAdapter({ name }), name).toBe(true);
      expect(chooseKernelPath({ name }), name).toBe('software');
    }
    expect(chooseKernelPath({ name: 'some gpu', isFallbackAdapter: true })).toBe('software');
  });

  it('GPUs get the tiled kernels', () => {
    for (const name of ['nvidia ada NVIDIA GeForce RTX 4090', 'amd rdna-3 AMD Radeon RX 7900 XTX', 'intel gen-12lp Intel(R) UHD Graphics 770', 'apple metal-3 Apple M2', 'unknown adapter']) {
      expect(chooseKernelPath({ name, isFallbackAdapter: false }), name).toBe('tiled');
    }
  });

  it('a forced path wins either way', () => {
    expect(chooseKernelPath({ name: LAVAPIPE }, 'tiled')).toBe('tiled');
    expect(chooseKernelPath({ name: 'NVIDIA GeForce RTX 4090' }, 'software')).toBe('software');
    expect(chooseKernelPath({ name: LAVAPIPE }, 'auto')).toBe('software');
  });

  it('option values parse, and a bad one names the variable and the choices', () => {
    expect(parseKernelPath(undefined)).toBe('auto');
    expect(parseKernelPath('')).toBe('auto');
    expect(parseKernelPath(' Tiled ')).toBe('tiled');
    expect(parseKernelPath('software')).toBe('software');
    expect(() => parseKernelPath('gpu')).toThrow(/ALEXNET_KERNELS=gpu: expected one of auto, software, tiled/);
    expect(parseLimits(undefined)).toBe('adapter');
    expect(parseLimits('default')).toBe('default');
    expect(() => parseLimits('small')).toThrow(/ALEXNET_GPU_LIMITS=small: expected one of adapter, default/);
  });
});

describe('kernel path: environment variables (fresh contexts)', () => {
  const saved = { kernels: process.env.ALEXNET_KERNELS, limits: process.env.ALEXNET_GPU_LIMITS };
  afterEach(() => {
    for (const [k, v] of [['ALEXNET_KERNELS', saved.kernels], ['ALEXNET_GPU_LIMITS', saved.limits]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('ALEXNET_KERNELS forces tiled and software; unset = by adapter; a bad value is refused', async () => {
    const want: Array<[string | undefined, string]> = [
      ['tiled', 'tiled'],
      ['software', 'software'],
      // This machine's adapter decides: software for lavapipe, tiled for a GPU.
      [undefined, (await gpu()).info.adapter.match(/llvmpipe|lavapipe|swiftshader/i) ? 'software' : 'tiled'],
    ];
    for (const [env, path] of want) {
      if (env === undefined) delete process.env.ALEXNET_KERNELS;
      else process.env.ALEXNET_KERNELS = env;
      const ctx = await createNodeContext();
      expect(ctx.kernelPath, `ALEXNET_KERNELS=${env}`).toBe(path);
      expect(ctx.info.kernelPath).toBe(path);
      ctx.destroy();
    }
    process.env.ALEXNET_KERNELS = 'fast';
    await expect(createNodeContext()).rejects.toThrow(/ALEXNET_KERNELS=fast/);
    // An explicit option beats the environment.
    const ctx = await createNodeContext({ kernels: 'tiled' });
    expect(ctx.kernelPath).toBe('tiled');
    ctx.destroy();
  });

  it('ALEXNET_GPU_LIMITS=default: WebGPU default limits and no optional features', async () => {
    process.env.ALEXNET_GPU_LIMITS = 'default';
    const ctx = await createNodeContext();
    const l = ctx.device.limits;
    expect(ctx.info.limits).toBe('default');
    expect(ctx.info.features).toEqual([]);
    expect(ctx.info.hasTimestamps).toBe(false);
    expect(ctx.subgroupMinSize).toBe(0);
    expect(l.maxComputeWorkgroupStorageSize).toBe(16384);
    expect(l.maxComputeInvocationsPerWorkgroup).toBe(256);
    expect(l.maxStorageBufferBindingSize).toBe(128 * 1024 * 1024);
    expect(l.maxStorageBuffersPerShaderStage).toBe(8);
    expect(l.maxComputeWorkgroupsPerDimension).toBe(65535);
    for (const f of ['subgroups', 'shader-f16', 'timestamp-query']) expect(ctx.device.features.has(f), f).toBe(false);
    ctx.destroy();
  });
});

describe(`this project's context (ALEXNET_KERNELS=${process.env.ALEXNET_KERNELS ?? ''}, ALEXNET_GPU_LIMITS=${process.env.ALEXNET_GPU_LIMITS ?? ''})`, () => {
  it('has the kernel path and limits its environment asks for', async () => {
    const ctx = await gpu();
    const kernels = parseKernelPath(process.env.ALEXNET_KERNELS);
    if (kernels !== 'auto') expect(ctx.kernelPath).toBe(kernels);
    expect(ctx.info.limits).toBe(parseLimits(process.env.ALEXNET_GPU_LIMITS));
    if (ctx.info.limits === 'default') expect(ctx.device.limits.maxComputeWorkgroupStorageSize).toBe(16384);
    console.log(`kernel path: ${ctx.kernelPath}; limits: ${ctx.info.limits}; adapter: ${ctx.info.adapter}`);
  });
});
