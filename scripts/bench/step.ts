/**
 * Whole-network benchmark: one training step (forward, backward, Adam update, metrics
 * readback) and one inference pass of an AlexNet variant, in ms per step and images/s.
 * Runnable alone: npx tsx scripts/bench/step.ts [--image-size 224] [--batch-size 8] [--reps 5]
 */
import { Adam } from '../../src/nn/optim.js';
import { buildModel, type ModelVariant } from '../../src/nn/models.js';
import { Trainer } from '../../src/nn/trainer.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { median, randomBatch } from './report.js';
import { BATCH_SIZE, IMAGE_SIZE, flagValue } from '../lib/args.js';

export interface StepBenchResult {
  name: string;
  variant: ModelVariant;
  batch: number;
  size: number;
  mode: 'train' | 'inference';
  ms: number[];
  medianMs: number;
  imagesPerSecond: number;
  buffersCreatedAfterWarmup: number;
  pipelinesCreatedAfterWarmup: number;
}

/**
 * What the whole-network benchmarks run (this file, breakdown.ts, tuning-ab.ts): the network,
 * an Adam trainer, one fixed batch (random images, alternating labels); `dispose` frees them.
 */
export function stepFixture(ctx: GpuContext, o: { variant?: ModelVariant; size: number; batch: number; width?: number }) {
  const model = buildModel({ variant: o.variant ?? 'tutorial', imageSize: o.size, width: o.width ?? 1 }).build(ctx, 1);
  const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-4 }));
  const x = randomBatch(o.batch * o.size * o.size * 3, 1);
  const y = new Float32Array(o.batch * trainer.units).map((_, i) => i % 2);
  const dispose = () => {
    trainer.dispose();
    model.dispose();
  };
  return { model, trainer, x, y, dispose };
}

export async function benchStep(
  ctx: GpuContext,
  o: { variant?: ModelVariant; batch?: number; size?: number; reps?: number; warmup?: number; width?: number } = {},
): Promise<StepBenchResult[]> {
  const variant = o.variant ?? 'tutorial';
  const batch = o.batch ?? 8;
  const size = o.size ?? 224;
  const reps = o.reps ?? 5;
  // Warm-up: compile pipelines, fill the pool, and let the trainer learn how long a step takes.
  const warmup = o.warmup ?? 6;
  const { trainer, x, y, dispose } = stepFixture(ctx, { variant, size, batch, width: o.width });
  const results: StepBenchResult[] = [];
  for (const mode of ['train', 'inference'] as const) {
    const run = async (i: number) => {
      if (mode === 'train') await trainer.trainStep(x, y, batch, i);
      else await trainer.evalStep(x, y, batch);
    };
    for (let i = 0; i < warmup; i++) await run(i);
    const before = ctx.stats;
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await run(warmup + i);
      ms.push(performance.now() - t0);
    }
    const after = ctx.stats;
    const med = median(ms);
    results.push({
      name: `${variant} ${mode} step`,
      variant,
      batch,
      size,
      mode,
      ms,
      medianMs: med,
      imagesPerSecond: (batch * 1000) / med,
      buffersCreatedAfterWarmup: after.buffersCreated - before.buffersCreated,
      pipelinesCreatedAfterWarmup: after.pipelinesCreated - before.pipelinesCreated,
    });
  }
  dispose();
  return results;
}

async function standalone(): Promise<void> {
  const { createNodeContext, runMain } = await import('../../src/platform/node-gpu.js');
  await runMain(async () => {
    const args = process.argv.slice(2);
    const get = (names: readonly string[], d: number) => {
      const v = flagValue(args, names);
      return v !== undefined ? Number(v) : d;
    };
    const ctx = await createNodeContext();
    console.log(`adapter: ${ctx.info.adapter}; kernels: ${ctx.kernelPath}`);
    for (const size of flagValue(args, IMAGE_SIZE) !== undefined ? [get(IMAGE_SIZE, 224)] : [224, 112]) {
      for (const r of await benchStep(ctx, { size, batch: get(BATCH_SIZE, 8), reps: get(['reps'], 5) })) {
        console.log(
          `${r.name.padEnd(28)} ${r.size}x${r.size} b${r.batch}  median ${r.medianMs.toFixed(1).padStart(8)} ms  ` +
            `${r.imagesPerSecond.toFixed(1).padStart(7)} img/s  min ${Math.min(...r.ms).toFixed(1)} ms  new buffers ${r.buffersCreatedAfterWarmup}`,
        );
      }
    }
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) void standalone();
