/** Dropout launcher (see ./dropout.wgsl.ts for the RNG) and its mask parameters. */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { DROPOUT } from './dropout.wgsl.js';

const WG = 256;

/** PCG's output permutation on u32 (the kernel's `pcg`), via Math.imul. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Elements with hash ≥ threshold are kept: threshold = round(rate·2^32) (rate in [0, 1)). */
export function dropoutThreshold(rate: number): number {
  return Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1);
}

/** The factor kept values are multiplied by, as float32 (what the kernel receives). */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

export function checkDropoutArgs(rate: number, seed: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`dropout: seed must be a u32 integer, got ${seed}`);
}

/** y = x·mask/(1 − rate), mask a pure function of (seed, index). Run on dy for the backward. */
export function dropoutApply(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, n: number, rate: number, seed: number): void {
  checkDropoutArgs(rate, seed);
  launch(ctx, DROPOUT, {
    label: `dropout[${n}] rate ${rate}`,
    constants: { WG },
    uniforms: { n, seedHash: pcgHash(seed), threshold: dropoutThreshold(rate), scale: dropoutScale(rate) },
    buffers: { x, y },
    need: { x: f32Bytes(n), y: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
