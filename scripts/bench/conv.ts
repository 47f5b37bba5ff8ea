/**
 * Benchmarks of the tutorial AlexNet's five convolutions (batch 8): forward, data gradient,
 * weight gradient, timing the raw kernel launches (no tape).
 *
 *   npx tsx scripts/bench/conv.ts [reps]      prints a table (median ms, GFLOP/s)
 *
 * `convBenchCases` and `convPass` are exported for the umbrella benchmark, which times each
 * pass with its timer (GPU timestamps where the adapter has them: the sum of the pass's
 * dispatches, padding and filter flip included). Each pass counts the same useful work,
 * 2·N·OH·OW·(KH·KW·Cin/groups)·Cout flops (the data gradient's multiply-adds on padding
 * zeros are not counted). Run alone it times with the wall clock around `await ctx.sync()`
 * (`benchConv`); the machine may be shared, so those are rough.
 */
import { pathToFileURL } from 'node:url';
import type { GpuContext } from '../../src/kernels/context.js';
import { conv2dBackwardData, conv2dBackwardWeights, conv2dForward, hasPadding, pad2d } from '../../src/kernels/conv2d/conv2d.js';
import { type Conv2dOptions, conv2dGeometry } from '../../src/kernels/conv2d/geometry.js';
import { conv2dOutputShape } from '../../src/autograd/ops/conv2d.js';
import { createNodeContext, runMain } from '../../src/platform/node-gpu.js';
import { median } from './report.js';

export type ConvPass = 'forward' | 'backwardData' | 'backwardWeights';

export interface ConvBenchCase {
  name: string;
  /** Input [N, H, W, Cin] and kernel [KH, KW, Cin/groups, Cout]. */
  x: number[];
  w: number[];
  opts: Conv2dOptions;
}

/** 3×3 stride-2 'valid' max pooling's output size, as between the tutorial's convolutions. */
function pool3s2(shape: number[]): number[] {
  const [N, H, W, C] = shape as [number, number, number, number];
  return [N, Math.floor((H - 3) / 2) + 1, Math.floor((W - 3) / 2) + 1, C];
}

/** The tutorial AlexNet's convolutions; shapes derived layer by layer from the input size. */
export function convBenchCases(batch = 8, size = 224): ConvBenchCase[] {
  const layers: Array<{ name: string; k: number; cout: number; opts: Conv2dOptions; poolAfter: boolean }> = [
    { name: 'conv1', k: 11, cout: 48, opts: { stride: 4, padding: 'valid', relu: true }, poolAfter: true },
    { name: 'conv2', k: 5, cout: 128, opts: { padding: 'same', relu: true }, poolAfter: true },
    { name: 'conv3', k: 3, cout: 192, opts: { padding: 'same', relu: true }, poolAfter: false },
    { name: 'conv4', k: 3, cout: 192, opts: { padding: 'same', relu: true }, poolAfter: false },
    { name: 'conv5', k: 3, cout: 128, opts: { padding: 'same', relu: true }, poolAfter: true },
  ];
  let shape = [batch, size, size, 3];
  const cases: ConvBenchCase[] = [];
  for (const l of layers) {
    const w = [l.k, l.k, shape[3]!, l.cout];
    cases.push({ name: l.name, x: shape, w, opts: l.opts });
    shape = conv2dOutputShape(shape, w, l.opts);
    if (l.poolAfter) shape = pool3s2(shape);
  }
  return cases;
}

export function convFlops(c: ConvBenchCase): number {
  const g = conv2dGeometry(c.x, c.w, c.opts);
  return 2 * g.N * g.OH * g.OW * g.KH * g.KW * g.Cg * g.Cout;
}

/**
 * Buffers for one pass of one case and the function that records it (no waiting): for
 * timers that wrap a launch (timeKernel in report.ts: GPU timestamps or wall clock).
 * `dispose` returns the buffers to the pool.
 */
export function convPass(ctx: GpuContext, c: ConvBenchCase, pass: ConvPass): { launch: () => void; flops: number; dispose: () => void } {
  const g = conv2dGeometry(c.x, c.w, c.opts);
  const f32 = (n: number) => ctx.newStorage(Math.max(n, 1) * 4);
  const x = f32(g.N * g.H * g.W * g.Cin);
  const xp = hasPadding(g) ? f32(g.N * g.Hp * g.Wp * g.Cin) : x;
  const w = f32(g.KH * g.KW * g.Cg * g.Cout);
  const b = f32(g.Cout);
  const y = f32(g.N * g.OH * g.OW * g.Cout);
  const out = pass === 'backwardData' ? f32(g.N * g.H * g.W * g.Cin) : pass === 'backwardWeights' ? f32(g.KH * g.KW * g.Cg * g.Cout) : y;
  const buffers = new Set([x, xp, w, b, y, out]);
  // Contents do not matter for timing, but keep them finite.
  for (const buf of buffers) ctx.upload(buf, new Float32Array(buf.size / 4).fill(0.01));
  const launch = () => {
    if (pass === 'forward') {
      if (xp !== x) pad2d(ctx, x, xp, { N: g.N, H: g.H, W: g.W, C: g.Cin, pt: g.padT, pb: g.padB, pl: g.padL, pr: g.padR });
      conv2dForward(ctx, g, xp, w, b, y);
    } else if (pass === 'backwardData') conv2dBackwardData(ctx, g, y, w, out);
    else conv2dBackwardWeights(ctx, g, xp, y, out);
  };
  return { launch, flops: convFlops(c), dispose: () => buffers.forEach((buf) => ctx.pool.release(buf)) };
}

/**
 * Times `reps` launches of one pass per batch between two `ctx.sync()`s (wall clock),
 * `rounds` batches after a warm-up launch (which compiles the pipelines); returns per-launch
 * ms per batch.
 */
export async function benchConv(
  ctx: GpuContext,
  c: ConvBenchCase,
  pass: ConvPass,
  reps: number,
  rounds = 3,
): Promise<{ ms: number[]; flops: number; firstMs: number }> {
  const { launch, flops, dispose } = convPass(ctx, c, pass);
  await ctx.sync();
  const t = performance.now();
  launch();
  await ctx.sync();
  // The first launch includes compiling its pipelines (unless Mesa's shader cache has them).
  const firstMs = performance.now() - t;
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await ctx.sync();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) launch();
    await ctx.sync();
    ms.push((performance.now() - t0) / reps);
  }
  dispose();
  return { ms, flops, firstMs };
}


async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 3);
  const ctx = await createNodeContext();
  console.log(`adapter: ${ctx.info.adapter}; kernels: ${ctx.kernelPath}`);
  console.log('times are wall clock on a possibly shared machine: rough');
  console.log('layer  input            kernel           pass             median ms   GFLOP/s  first launch ms');
  let total = 0;
  for (const c of convBenchCases()) {
    for (const pass of ['forward', 'backwardData', 'backwardWeights'] as ConvPass[]) {
      const { ms, flops, firstMs } = await benchConv(ctx, c, pass, reps);
      const m = median(ms);
      total += m;
      console.log(
        `${c.name.padEnd(6)} ${`[${c.x.join('×')}]`.padEnd(16)} ${`[${c.w.join('×')}]`.padEnd(16)} ${pass.padEnd(16)} ${m.toFixed(1).padStart(9)} ${(flops / m / 1e6).toFixed(1).padStart(9)} ${firstMs.toFixed(0).padStart(16)}`,
      );
    }
  }
  console.log(`sum of medians: ${total.toFixed(1)} ms`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void runMain(main);
