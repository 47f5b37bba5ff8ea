/**
 * Side-by-side peer benchmarks: our engine's whole training step and inference pass
 * (benchStep, `tutorial` AlexNet) against the same network in TensorFlow.js (benchTfjsStep),
 * in one process on the same GPU adapter, or in PyTorch on the same CPU cores (torch.ts).
 *
 * The two engines run alternately, one round at a time (ours, theirs, ours, theirs, ...), so
 * load from other processes on this shared 2-core machine hits both alike; each row reports
 * the median over rounds.
 *
 * Runnable alone:
 *   npx tsx scripts/bench/compare.ts [--image-size 224] [--batch-size 8] [--reps 3] [--backend webgpu,wasm]
 */
import type { GpuContext } from '../../src/kernels/context.js';
import { benchStep } from './step.js';
import { median } from './report.js';
import { benchTfjsStep, TFJS_BACKENDS, type TfjsBackend } from './tfjs.js';
import { TorchPeer } from './torch.js';
import { BATCH_SIZE, IMAGE_SIZE, flagValue } from '../lib/args.js';

export interface CompareRow {
  backend: string;
  /** Median ms of one training step (forward, backward, Adam, loss/accuracy readback). */
  oursTrainMs: number;
  theirsTrainMs: number;
  /** Our time over theirs: below 1 means we are faster. */
  ratioTrain: number;
  /** Median ms of one inference pass with readback. */
  oursInferMs: number;
  theirsInferMs: number;
  ratioInfer: number;
  /** Every round's time, in round order. */
  oursTrainRunsMs: number[];
  theirsTrainRunsMs: number[];
  oursInferRunsMs: number[];
  theirsInferRunsMs: number[];
  adapter?: string;
}

export interface CompareOptions {
  batch: number;
  size: number;
  /** Alternating rounds; each round times one step of each engine. */
  reps: number;
  backends: string[];
  /** Untimed steps before each timed one (each round builds its model afresh). */
  warmup?: number;
  /** Where the progress lines and the table go (default console.log; null for silence). */
  log?: ((line: string) => void) | null;
}

export async function compareWithTfjs(ctx: GpuContext, o: CompareOptions): Promise<CompareRow[]> {
  const log = o.log === undefined ? (s: string) => console.log(s) : (o.log ?? (() => {}));
  const warmup = o.warmup ?? 1;
  for (const b of o.backends) {
    if (!TFJS_BACKENDS.includes(b as TfjsBackend)) {
      throw new Error(`compare: unknown tfjs backend '${b}' (choose from ${TFJS_BACKENDS.join(', ')})`);
    }
  }
  const rows: CompareRow[] = [];
  for (const backend of o.backends as TfjsBackend[]) {
    const ours = { train: [] as number[], infer: [] as number[] };
    const theirs = { train: [] as number[], infer: [] as number[] };
    let adapter: string | undefined;
    for (let r = 0; r < o.reps; r++) {
      // Our trainer learns its step time over a few steps (it sleeps instead of spinning while
      // the GPU works), so our warm-up is benchStep's default; tfjs's first step compiles all.
      const mine = await benchStep(ctx, { variant: 'tutorial', batch: o.batch, size: o.size, reps: 1 });
      ours.train.push(mine.find((m) => m.mode === 'train')!.medianMs);
      ours.infer.push(mine.find((m) => m.mode === 'inference')!.medianMs);
      const tf = await benchTfjsStep({ backend, batch: o.batch, size: o.size, reps: 1, warmup });
      adapter = tf.adapter;
      theirs.train.push(median(tf.trainMs));
      theirs.infer.push(median(tf.inferMs));
      log(
        `  round ${r + 1}/${o.reps} vs tfjs-${backend}: train ours ${fmt(ours.train.at(-1)!)} / tfjs ${fmt(theirs.train.at(-1)!)} ms, ` +
          `inference ours ${fmt(ours.infer.at(-1)!)} / tfjs ${fmt(theirs.infer.at(-1)!)} ms`,
      );
    }
    const oursTrainMs = median(ours.train);
    const theirsTrainMs = median(theirs.train);
    const oursInferMs = median(ours.infer);
    const theirsInferMs = median(theirs.infer);
    rows.push({
      backend,
      oursTrainMs,
      theirsTrainMs,
      ratioTrain: oursTrainMs / theirsTrainMs,
      oursInferMs,
      theirsInferMs,
      ratioInfer: oursInferMs / theirsInferMs,
      oursTrainRunsMs: ours.train,
      theirsTrainRunsMs: theirs.train,
      oursInferRunsMs: ours.infer,
      theirsInferRunsMs: theirs.infer,
      adapter,
    });
  }
  for (const line of formatCompareTable(rows, o)) log(line);
  return rows;
}

/**
 * Ours against PyTorch on the CPU cores (Debian's python3-torch), alternating one round at a
 * time: the tutorial AlexNet's training step and inference, with the BLAS it loaded named.
 */
export async function compareWithTorch(ctx: GpuContext, o: Omit<CompareOptions, 'backends'> & { threads?: number }): Promise<CompareRow[]> {
  const log = o.log === undefined ? (s: string) => console.log(s) : (o.log ?? (() => {}));
  const peer = await TorchPeer.start({ size: o.size, batch: o.batch, threads: o.threads ?? 2 });
  const onCpu = (peer.info.device ?? 'cpu') === 'cpu';
  const backend = onCpu ? `PyTorch ${peer.info.torch} CPU, ${peer.info.threads} threads, ${peer.info.blas}` : `PyTorch ${peer.info.torch} ${peer.info.blas}`;
  const ours = { train: [] as number[], infer: [] as number[] };
  const theirs = { train: [] as number[], infer: [] as number[] };
  try {
    for (let r = 0; r < o.reps; r++) {
      const mine = await benchStep(ctx, { variant: 'tutorial', batch: o.batch, size: o.size, reps: 1 });
      ours.train.push(mine.find((m) => m.mode === 'train')!.medianMs);
      ours.infer.push(mine.find((m) => m.mode === 'inference')!.medianMs);
      const t = await peer.step();
      theirs.train.push(t.trainMs);
      theirs.infer.push(t.inferMs);
      log(
        `  round ${r + 1}/${o.reps} vs torch: train ours ${fmt(ours.train.at(-1)!)} / torch ${fmt(t.trainMs)} ms, ` +
          `inference ours ${fmt(ours.infer.at(-1)!)} / torch ${fmt(t.inferMs)} ms`,
      );
    }
  } finally {
    peer.close();
  }
  const row: CompareRow = {
    backend,
    oursTrainMs: median(ours.train),
    theirsTrainMs: median(theirs.train),
    ratioTrain: median(ours.train) / median(theirs.train),
    oursInferMs: median(ours.infer),
    theirsInferMs: median(theirs.infer),
    ratioInfer: median(ours.infer) / median(theirs.infer),
    oursTrainRunsMs: ours.train,
    theirsTrainRunsMs: theirs.train,
    oursInferRunsMs: ours.infer,
    theirsInferRunsMs: theirs.infer,
  };
  for (const line of formatCompareTable([row], o, 'torch')) log(line);
  return [row];
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

/** The table: per tfjs backend and mode, our ms, their ms, ours/theirs and the speed-up. */
export function formatCompareTable(rows: CompareRow[], o: { batch: number; size: number; reps: number }, peer = 'tfjs'): string[] {
  const head = [peer === 'tfjs' ? 'tfjs backend' : 'peer', 'mode', 'ours ms', `${peer} ms`, `ours/${peer}`, 'speed-up'];
  const body: string[][] = [];
  for (const r of rows) {
    for (const [mode, ours, theirs] of [
      ['train step', r.oursTrainMs, r.theirsTrainMs],
      ['inference', r.oursInferMs, r.theirsInferMs],
    ] as const) {
      body.push([r.backend, mode, fmt(ours), fmt(theirs), (ours / theirs).toFixed(3), `${(theirs / ours).toFixed(2)}×`]);
    }
  }
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [
    `tutorial AlexNet, ${o.size}×${o.size}, batch ${o.batch}, median of ${o.reps} alternating rounds ` +
      `(speed-up = ${peer} time / our time)`,
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...body.map(line),
  ];
}

async function standalone(): Promise<void> {
  const { createNodeContext, runMain, UserError } = await import('../../src/platform/node-gpu.js');
  await runMain(async () => {
    const args = process.argv.slice(2);
    const get = (names: readonly string[], d: string) => {
      if (!names.some((k) => args.includes(`--${k}`))) return d;
      const v = flagValue(args, names);
      if (v === undefined || v.startsWith('--')) throw new UserError(`--${names[0]} needs a value`);
      return v;
    };
    const num = (names: readonly string[], d: number) => {
      const v = Number(get(names, String(d)));
      if (!Number.isInteger(v) || v < 1) throw new UserError(`--${names[0]} must be a positive integer`);
      return v;
    };
    const size = num(IMAGE_SIZE, 224);
    const batch = num(BATCH_SIZE, 8);
    const reps = num(['reps'], 3);
    const backends = get(['backend'], 'webgpu,wasm').split(',').filter((s) => s);
    for (const b of backends) {
      if (!TFJS_BACKENDS.includes(b as TfjsBackend)) throw new UserError(`unknown tfjs backend '${b}' (choose from ${TFJS_BACKENDS.join(', ')})`);
    }
    const ctx = await createNodeContext();
    console.log(`ours: ${ctx.info.adapter}`);
    const rows = await compareWithTfjs(ctx, { size, batch, reps, backends });
    for (const r of rows) console.log(`tfjs-${r.backend}: ${r.adapter ?? ''}`);
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) void standalone();
