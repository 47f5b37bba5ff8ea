/**
 * Where a training step's time goes, host and GPU measured apart (issue 11):
 *
 *   host  — JavaScript that records the step (autograd, launchers, bind groups, encoding),
 *           of which the time inside GpuContext.dispatch (bind group + encoder calls) and
 *           GpuContext.flush (uniform upload + queue.submit) is shown on its own lines;
 *   after submit — the host sleeping while the GPU runs (the trainer's step-wait policy), then
 *           waiting on the metrics readback (dawn.node polls the main thread meanwhile);
 *   GPU   — one more step with a timestamp pair around every dispatch (each in its own pass,
 *           so the sum is an upper bound of the busy time), grouped by op.
 *
 *   npx tsx scripts/bench/breakdown.ts [--image-size 224] [--batch-size 8] [--reps 8] [--json FILE]
 */
import { GpuContext } from '../../src/kernels/context.js';
import type { ModelVariant } from '../../src/nn/models.js';
import { median } from './report.js';
import { stepFixture } from './step.js';

export interface StepBreakdown {
  adapter: string;
  size: number;
  batch: number;
  reps: number;
  /** Medians over the timed steps, ms. */
  wallMs: number;
  recordMs: number;
  dispatchMs: number;
  flushMs: number;
  sleepMs: number;
  waitMs: number;
  dispatches: number;
  submits: number;
  /** GPU time by op (label before its shapes), ms, from one profiled step; largest first. */
  gpuByOp: Array<{ op: string; ms: number; count: number }>;
  gpuTotalMs: number;
}

/** The op name of a dispatch label: "conv2d.forward[8×224×224×3 …]" → "conv2d.forward". */
export function opOf(label: string): string {
  const i = label.search(/[[(]/);
  return (i < 0 ? label : label.slice(0, i)).trim() || label;
}

export async function breakdownStep(
  ctx: GpuContext,
  o: { size?: number; batch?: number; reps?: number; warmup?: number; variant?: ModelVariant; width?: number } = {},
): Promise<StepBreakdown> {
  const size = o.size ?? 224;
  const batch = o.batch ?? 8;
  const reps = o.reps ?? 8;
  const { trainer, x, y, dispose } = stepFixture(ctx, { variant: o.variant, size, batch, width: o.width });

  // Time spent inside the context's two host entry points, by wrapping this instance only.
  let inDispatch = 0;
  let inFlush = 0;
  const dispatch = GpuContext.prototype.dispatch.bind(ctx);
  const flush = GpuContext.prototype.flush.bind(ctx);
  ctx.dispatch = (spec) => {
    const t = performance.now();
    dispatch(spec);
    inDispatch += performance.now() - t;
  };
  ctx.flush = () => {
    const t = performance.now();
    flush();
    inFlush += performance.now() - t;
  };
  // The trainer reports each step's recording, sleep and total time to its wait policy.
  let last = { elapsedMs: 0, recordMs: 0, idleMs: 0 };
  const record = trainer.wait.record.bind(trainer.wait);
  trainer.wait.record = (kind, r) => {
    last = r;
    record(kind, r);
  };

  const warmup = o.warmup ?? 8;
  for (let i = 0; i < warmup; i++) await trainer.trainStep(x, y, batch, i);
  const rows: Array<{ wall: number; record: number; dispatch: number; flush: number; sleep: number; wait: number }> = [];
  const before = ctx.stats;
  for (let i = 0; i < reps; i++) {
    inDispatch = 0;
    inFlush = 0;
    await trainer.trainStep(x, y, batch, warmup + i);
    rows.push({
      wall: last.elapsedMs,
      record: last.recordMs,
      dispatch: inDispatch,
      flush: inFlush,
      sleep: last.idleMs,
      wait: last.elapsedMs - last.recordMs - last.idleMs,
    });
  }
  const after = ctx.stats;
  // Back to the class's own methods (the wrappers were properties of this instance).
  Reflect.deleteProperty(ctx, 'dispatch');
  Reflect.deleteProperty(ctx, 'flush');

  const byOp = new Map<string, { ms: number; count: number }>();
  let gpuTotalMs = 0;
  if (ctx.info.hasTimestamps) {
    ctx.startProfiling();
    await trainer.trainStep(x, y, batch, warmup + reps);
    for (const r of await ctx.stopProfiling()) {
      const op = opOf(r.label);
      const e = byOp.get(op) ?? { ms: 0, count: 0 };
      e.ms += r.ms;
      e.count++;
      byOp.set(op, e);
      gpuTotalMs += r.ms;
    }
  }
  dispose();
  const med = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
  return {
    adapter: ctx.info.adapter,
    size,
    batch,
    reps,
    wallMs: med('wall'),
    recordMs: med('record'),
    dispatchMs: med('dispatch'),
    flushMs: med('flush'),
    sleepMs: med('sleep'),
    waitMs: med('wait'),
    dispatches: (after.dispatches - before.dispatches) / reps,
    submits: (after.submits - before.submits) / reps,
    gpuByOp: [...byOp].map(([op, e]) => ({ op, ...e })).sort((a, b) => b.ms - a.ms),
    gpuTotalMs,
  };
}

/** The report as text: host lines, then GPU time by op. */
export function formatBreakdown(b: StepBreakdown): string {
  const pct = (ms: number, of: number) => `${((100 * ms) / of).toFixed(1).padStart(5)}%`;
  const line = (name: string, ms: number, of = b.wallMs) => `  ${name.padEnd(54)} ${ms.toFixed(1).padStart(8)} ms ${pct(ms, of)}`;
  const out = [
    `adapter: ${b.adapter}`,
    `training step, tutorial AlexNet, batch ${b.batch}, ${b.size}×${b.size}: medians of ${b.reps} steps; ` +
      `${b.dispatches} dispatches and ${b.submits} submits per step`,
    line('wall time of the step', b.wallMs),
    line('host: recording (JavaScript, until the step is recorded)', b.recordMs),
    line('  of which inside dispatch (bind groups, encoding)', b.dispatchMs),
    line('host: inside flush (uniforms, queue.submit; the last one after recording)', b.flushMs),
    line('after submit: host asleep while the GPU runs', b.sleepMs),
    line('after submit: host waiting on the readback', b.waitMs),
  ];
  if (b.gpuByOp.length > 0) {
    out.push(`GPU time by op (one step, a pass per dispatch: ${b.gpuTotalMs.toFixed(1)} ms in all)`);
    for (const r of b.gpuByOp) out.push(`  ${`${r.op} ×${r.count}`.padEnd(54)} ${r.ms.toFixed(1).padStart(8)} ms ${pct(r.ms, b.gpuTotalMs)}`);
  }
  return out.join('\n');
}

async function standalone(): Promise<void> {
  const { createNodeContext, runMain } = await import('../../src/platform/node-gpu.js');
  const { flagValue, BATCH_SIZE, IMAGE_SIZE } = await import('../lib/args.js');
  const { writeFileSync } = await import('node:fs');
  await runMain(async () => {
    const args = process.argv.slice(2);
    const num = (names: readonly string[], d: number) => Number(flagValue(args, names) ?? d);
    const ctx = await createNodeContext();
    const b = await breakdownStep(ctx, { size: num(IMAGE_SIZE, 224), batch: num(BATCH_SIZE, 8), reps: num(['reps'], 8) });
    console.log(formatBreakdown(b));
    const json = flagValue(args, ['json']);
    if (json) {
      writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), ...b }, null, 2) + '\n');
      console.log(`wrote ${json}`);
    }
  });
}

if (process.argv[1]?.endsWith('breakdown.ts')) void standalone();
