/**
 * Shared test helpers: one GPU context per test file, seeded random data, NaN poisoning,
 * tolerance checks and float64 finite differences.
 *
 * Tolerances: float32 kernels against float64 references use |a − b| ≤ atol + rtol·|b| with
 * atol 1e-4 and rtol 1e-3 by default: float32 has a 2^-24 ≈ 6e-8 unit roundoff, and sums of
 * K terms of magnitude ~1 accumulate error ~√K·6e-8·|terms|, well under 1e-4 for the K used
 * here (≤ a few thousand). Kernels with exp/log or long reductions state wider bounds.
 */
import { expect } from 'vitest';
import type { GpuContext } from '../src/kernels/context.js';
import { createNodeContext } from '../src/platform/node-gpu.js';
import { Tensor } from '../src/autograd/tensor.js';
import { mulberry32 } from '../src/nn/random.js';

let ctxPromise: Promise<GpuContext> | null = null;
export function gpu(): Promise<GpuContext> {
  ctxPromise ??= createNodeContext().then((c) => {
    if (process.env.ALEXNET_GPU_DEBUG) c.debug = true;
    return c;
  });
  return ctxPromise;
}

/** Deterministic PRNG (mulberry32), the one the engine's initialisers use. */
export const rng = mulberry32;

/** Uniform random values in [lo, hi), never exactly zero. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = lo + (hi - lo) * r();
    if (v === 0) v = 1e-3;
    out[i] = v;
  }
  return out;
}

/**
 * Records the kernel (pipeline) name of every launch on ctx from now on, until stop(): to
 * check which of a kernel's variants a launcher chose, not only that the numbers are right.
 */
export function watchKernels(ctx: GpuContext): { names: string[]; stop(): void } {
  const names: string[] = [];
  const pipeline = ctx.pipeline.bind(ctx);
  ctx.pipeline = (label, code, constants) => (names.push(label), pipeline(label, code, constants));
  return {
    names,
    stop: () => {
      ctx.pipeline = pipeline;
    },
  };
}

/** A tensor of NaN, so any element a kernel forgets to write fails the comparison. */
export function poisoned(ctx: GpuContext, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.fromArray(ctx, new Float32Array(n).fill(NaN), shape);
}

/** Poisons an existing buffer's first n floats with NaN. */
export function poison(ctx: GpuContext, buffer: GPUBuffer, n: number): void {
  ctx.upload(buffer, new Float32Array(n).fill(NaN));
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Asserts |got − want| ≤ atol + rtol·|want| elementwise (NaN fails), naming the worst index. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance = {}, what = 'value'): void {
  const atol = tol.atol ?? 1e-4;
  const rtol = tol.rtol ?? 1e-3;
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const err = Math.abs(g - w);
    const bound = atol + rtol * Math.abs(w);
    if (!(err <= bound)) {
      const excess = Number.isNaN(err) ? Infinity : err / bound;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}[${worst}] = ${got[worst]} but expected ${want[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/**
 * Central finite differences in float64 of a scalar function f at x (perturbs every
 * element, or `samples` random ones): returns the numeric gradient at the probed indices.
 */
export function numericGrad(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  opts: { h?: number; indices?: number[] } = {},
): { indices: number[]; grad: Float64Array } {
  const h = opts.h ?? 1e-6;
  const xs = Float64Array.from(x);
  const indices = opts.indices ?? [...Array(xs.length).keys()];
  const grad = new Float64Array(indices.length);
  indices.forEach((i, k) => {
    const orig = xs[i]!;
    xs[i] = orig + h;
    const fp = f(xs);
    xs[i] = orig - h;
    const fm = f(xs);
    xs[i] = orig;
    grad[k] = (fp - fm) / (2 * h);
  });
  return { indices, grad };
}

/** Weighted-sum loss L = Σ w·y used to turn any output into a scalar for gradient checks. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Picks `count` distinct random indices below n (all if n ≤ count). */
export function sampleIndices(n: number, count: number, seed: number): number[] {
  if (n <= count) return [...Array(n).keys()];
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < count) set.add(Math.floor(r() * n));
  return [...set].sort((a, b) => a - b);
}
