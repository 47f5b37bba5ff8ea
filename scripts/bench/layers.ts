/**
 * Benchmarks of the tutorial AlexNet's pooling, batch-norm, dropout and LRN layers, forward
 * and backward, at the training shapes (batch 8).
 *
 *   npx tsx scripts/bench/layers.ts [reps]      prints a table (median ms, effective GB/s)
 *
 * `benchLayer` is exported for the umbrella benchmark. Times are wall clock around a GPU
 * sync (ctx.time), per launch of the layer's kernels, after a warm-up that compiles the
 * pipelines; `bytes` counts the global-memory traffic the kernels must move (each pass's
 * reads and writes of full tensors; per-channel vectors ignored), so GB/s = bytes / time.
 */
import { pathToFileURL } from 'node:url';
import type { GpuContext } from '../../src/kernels/context.js';
import { Tensor, noGrad, tidy } from '../../src/autograd/index.js';
import { maxPool2d, pool2dOutputShape } from '../../src/autograd/ops/pool.js';
import { batchNorm } from '../../src/autograd/ops/batchnorm.js';
import { dropout } from '../../src/autograd/ops/dropout.js';
import { lrn } from '../../src/autograd/ops/lrn.js';
import { createNodeContext, runMain } from '../../src/platform/node-gpu.js';
import { median, randomSigned as random } from './report.js';

export type LayerKind = 'maxPool3x3s2' | 'batchNorm' | 'dropout' | 'lrn';

export interface LayerBenchCase {
  name: string;
  layer: LayerKind;
  pass: 'forward' | 'backward';
  /** Input shape (NHWC, or [N, features] for dropout). */
  shape: number[];
}

const shapes: Record<LayerKind, number[][]> = {
  maxPool3x3s2: [[8, 54, 54, 48], [8, 26, 26, 128], [8, 12, 12, 128]],
  batchNorm: [[8, 54, 54, 48], [8, 26, 26, 128]],
  dropout: [[8, 1024]],
  lrn: [[8, 54, 54, 96]],
};

export const layerBenchCases: LayerBenchCase[] = (Object.keys(shapes) as LayerKind[]).flatMap((layer) =>
  shapes[layer].flatMap((shape) =>
    (['forward', 'backward'] as const).map((pass) => ({ name: `${layer} ${pass} [${shape.join('×')}]`, layer, pass, shape })),
  ),
);

function count(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** Full-tensor traffic in bytes of the kernels one call launches. */
function trafficBytes(c: LayerBenchCase): number {
  const n = count(c.shape);
  const fwd = c.pass === 'forward';
  switch (c.layer) {
    case 'maxPool3x3s2': {
      const m = count(pool2dOutputShape(c.shape, { size: 3, stride: 2 }));
      return 4 * (fwd ? n + 2 * m : 2 * m + n); // x → y + argmax; dy + argmax → dx
    }
    case 'batchNorm':
      return 4 * (fwd ? 3 * n : 5 * n); // stats(x), apply(x → y); grad sums(x, dy), dx(x, dy → dx)
    case 'dropout':
      return 4 * 2 * n;
    case 'lrn':
      return 4 * (fwd ? 2 * n : 9 * n); // x → y; (x, dy → t, u), (x, dy, t, u → dx)
  }
}


/** Runs `reps` timed launches of one case; returns each launch's milliseconds and its traffic. */
export async function benchLayer(ctx: GpuContext, c: LayerBenchCase, reps: number): Promise<{ ms: number[]; bytes: number }> {
  const n = count(c.shape);
  const C = c.shape[c.shape.length - 1]!;
  const owned: Tensor[] = [];
  const persistent = (data: Float32Array, shape: number[], requiresGrad = false) => {
    const t = Tensor.fromArray(ctx, data, shape, { persistent: true, requiresGrad });
    owned.push(t);
    return t;
  };
  const x = persistent(random(n, 1), c.shape, true);
  let forward: () => Tensor;
  let step = 0;
  switch (c.layer) {
    case 'maxPool3x3s2':
      forward = () => maxPool2d(x, { size: 3, stride: 2 });
      break;
    case 'batchNorm': {
      const gamma = persistent(new Float32Array(C).fill(1), [C], true);
      const beta = persistent(new Float32Array(C), [C], true);
      const rm = persistent(new Float32Array(C), [C]);
      const rv = persistent(new Float32Array(C).fill(1), [C]);
      forward = () => batchNorm(x, gamma, beta, rm, rv, { training: true });
      break;
    }
    case 'dropout':
      forward = () => dropout(x, { rate: 0.5, seed: step++, training: true });
      break;
    case 'lrn':
      forward = () => lrn(x);
      break;
  }
  let launch: () => void;
  let cleanup = () => {};
  if (c.pass === 'forward') {
    // With x requiring a gradient, as in training (pooling saves its argmax).
    launch = () => void tidy(() => void forward());
  } else {
    const y = forward();
    const dy = persistent(random(count(y.shape), 2), y.shape);
    const node = y.node!;
    launch = () => void tidy(() => void noGrad(() => node.backward(dy)));
    cleanup = () => y.dispose();
  }
  launch(); // warm-up: compiles the pipelines
  await ctx.sync();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) ms.push(await ctx.time(launch));
  cleanup();
  for (const t of owned) t.dispose();
  return { ms, bytes: trafficBytes(c) };
}


async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 15);
  const ctx = await createNodeContext();
  console.log(`adapter: ${ctx.info.adapter}; ${reps} reps per case (wall time around a sync)`);
  const rows: string[][] = [['case', 'median ms', 'min ms', 'GB/s (median)']];
  for (const c of layerBenchCases) {
    const { ms, bytes } = await benchLayer(ctx, c, reps);
    const med = median(ms);
    rows.push([c.name, med.toFixed(3), Math.min(...ms).toFixed(3), (bytes / med / 1e6).toFixed(2)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runMain(main);
}
