/**
 * Where a training step's (or with --mode inference, an inference pass's) GPU time goes:
 * times every dispatch of one step with timestamp queries and prints the dispatches, the
 * slowest first, with their share of the step.
 *   npx tsx scripts/bench/profile-step.ts [--image-size 224] [--batch-size 8] [--variant tutorial] [--mode train|inference]
 */
import { UserError, createNodeContext, runMain } from '../../src/platform/node-gpu.js';
import { Adam } from '../../src/nn/optim.js';
import { buildModel, type ModelVariant } from '../../src/nn/models.js';
import { Trainer } from '../../src/nn/trainer.js';
import { BATCH_SIZE, IMAGE_SIZE, flagValue } from '../lib/args.js';

export async function profileStep(
  ctx: Awaited<ReturnType<typeof createNodeContext>>,
  o: { size: number; batch: number; variant: ModelVariant; mode?: 'train' | 'inference' },
) {
  const model = buildModel({ variant: o.variant, imageSize: o.size }).build(ctx, 1);
  const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-4 }));
  const x = new Float32Array(o.batch * o.size * o.size * 3).map((_, i) => ((i * 7919) % 255) / 255);
  const y = new Float32Array(o.batch * trainer.units).map((_, i) => i % 2);
  const step = (i: number) => (o.mode === 'inference' ? trainer.evalStep(x, y, o.batch) : trainer.trainStep(x, y, o.batch, i));
  await step(0); // compile pipelines, fill the pool
  ctx.startProfiling();
  await step(1);
  const rows = await ctx.stopProfiling();
  trainer.dispose();
  model.dispose();
  return rows;
}

if (process.argv[1]?.endsWith('profile-step.ts')) {
  runMain(async () => {
    const args = process.argv.slice(2);
    const get = (names: readonly string[], d: string) => flagValue(args, names) ?? d;
    const mode = get(['mode'], 'train');
    if (mode !== 'train' && mode !== 'inference') throw new UserError(`--mode: '${mode}' is not train or inference`);
    const ctx = await createNodeContext();
    const rows = await profileStep(ctx, { size: Number(get(IMAGE_SIZE, '224')), batch: Number(get(BATCH_SIZE, '8')), variant: get(['variant'], 'tutorial') as ModelVariant, mode });
    const total = rows.reduce((s, r) => s + r.ms, 0);
    console.log(`adapter: ${ctx.info.adapter}\n${rows.length} dispatches, ${total.toFixed(1)} ms of GPU time in one ${mode === 'train' ? 'training step' : 'inference pass'}\n`);
    const sorted = [...rows].sort((a, b) => b.ms - a.ms);
    for (const r of sorted.slice(0, 40)) console.log(`${r.ms.toFixed(2).padStart(9)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)}%  ${r.label}`);
  });
}
