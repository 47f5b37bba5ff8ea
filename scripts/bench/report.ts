/**
 * Shared benchmark plumbing: timing (GPU timestamps or wall clock), interleaved comparisons,
 * statistics, the text table and the JSON report. Used by scripts/bench.ts and its parts.
 *
 * Timing. With 'timestamp-query' every dispatch of a timed launch runs in its own compute
 * pass with timestamps at its start and end (GpuContext.startProfiling), and a launch's time
 * is the sum over its dispatches: GPU time only, no submit/map/poll overhead, and all reps
 * of a row are recorded into one submit so the GPU runs them back to back. Without it, each
 * rep is timed with the wall clock between two `await ctx.sync()` (adds ~0.1–1 ms of
 * submit and wake-up per rep).
 *
 * The machine may be shared (on the development box other engineers' tests run on the same
 * two cores), so absolute times are noisy: compare variants only as ratios measured
 * interleaved in one run (`timeInterleaved`), repeated, taking medians.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GpuContext } from '../../src/kernels/context.js';

export type TimerKind = 'gpu-timestamp' | 'wall';

export interface Ceiling {
  name: string;
  value: number;
  unit: 'GFLOP/s' | 'GB/s';
}

export interface BenchRow {
  /** Group of the row: gemm, elementwise, reduce, conv, layers, step, loader, ceiling. */
  group: string;
  /** What ran, e.g. "gemm", "relu", "conv forward". */
  kernel: string;
  shape: string;
  variant?: string;
  timer: TimerKind;
  /** Milliseconds of each timed rep. */
  ms: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  q1Ms: number;
  q3Ms: number;
  /** Useful work per rep (for the rate), when meaningful. */
  flops?: number;
  bytes?: number;
  images?: number;
  rate?: { value: number; unit: 'GFLOP/s' | 'GB/s' | 'img/s' };
  /** rate / the machine's ceiling of the same unit, measured in this run. */
  ofCeiling?: { ceiling: string; fraction: number };
  /** Speed relative to another variant of the same shape: median over rounds of t_base / t. */
  speedup?: { vs: string; value: number };
  /** Median CPU time per rep of the driver's worker threads (lavapipe), with --cpu-time. */
  workerCpuMs?: number;
  note?: string;
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Pseudo-random values in [-1, 1) (the same LCG), for kernel operands. */
export function randomSigned(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

/** Pseudo-random pixels in [0, 1) (an LCG), the same for both engines of a comparison. */
export function randomBatch(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296;
  }
  return x;
}

/** Builds a row from per-rep times and the work per rep. */
export function makeRow(
  r: Omit<BenchRow, 'medianMs' | 'minMs' | 'maxMs' | 'q1Ms' | 'q3Ms' | 'rate' | 'ofCeiling'>,
  ceilings?: Ceilings,
): BenchRow {
  const row: BenchRow = {
    ...r,
    medianMs: median(r.ms),
    minMs: Math.min(...r.ms),
    maxMs: Math.max(...r.ms),
    q1Ms: quantile(r.ms, 0.25),
    q3Ms: quantile(r.ms, 0.75),
  };
  const s = row.medianMs / 1000;
  if (r.flops !== undefined) row.rate = { value: r.flops / s / 1e9, unit: 'GFLOP/s' };
  else if (r.bytes !== undefined) row.rate = { value: r.bytes / s / 1e9, unit: 'GB/s' };
  else if (r.images !== undefined) row.rate = { value: r.images / s, unit: 'img/s' };
  if (row.rate && ceilings) {
    const c = row.rate.unit === 'GFLOP/s' ? ceilings.fma : row.rate.unit === 'GB/s' ? ceilings.copy : undefined;
    if (c && c.value > 0) row.ofCeiling = { ceiling: c.name, fraction: row.rate.value / c.value };
  }
  return row;
}

export interface Ceilings {
  fma?: Ceiling;
  copy?: Ceiling;
}

export interface TimeOptions {
  reps: number;
  warmup: number;
  timer: TimerKind;
  /** Also measure the driver's worker-thread CPU time per rep (Linux /proc). */
  cpuTime?: boolean;
  /** Lower the main thread's priority while it waits for the GPU (see `waitQuietly`). */
  quietMain?: boolean;
}

let quietBroken = false;
/**
 * Awaits `p` with the main thread at the lowest priority. While a promise of Dawn's Node
 * bindings is pending, the main thread polls, taking CPU from lavapipe's worker threads on a
 * 2-core machine; at nice 19 it yields to them. Linux applies the priority to the calling
 * thread only; restoring it needs permission (root or RLIMIT_NICE), and if that fails the
 * feature switches itself off with a warning.
 */
async function waitQuietly<T>(ctx: GpuContext, p: () => Promise<T>, quiet: boolean | undefined): Promise<T> {
  // By default the host waits as the trainer does (ctx.hostWait: niced on a software
  // adapter where the priority can be restored, src/platform/quiet-wait.ts).
  if (!quiet || quietBroken) return ctx.hostWait(p);
  let before = 0;
  try {
    before = os.getPriority(0);
    os.setPriority(0, 19);
  } catch {
    quietBroken = true;
    return p();
  }
  try {
    return await p();
  } finally {
    try {
      os.setPriority(0, before);
    } catch (e) {
      quietBroken = true;
      console.error(`bench: cannot restore the main thread's priority (${(e as Error).message}); --quiet-main is off from here`);
    }
  }
}

export interface Timing {
  ms: number[];
  timer: TimerKind;
  workerCpuMs?: number[];
}

/** 'auto' → timestamps when the adapter has them. */
export function pickTimer(ctx: GpuContext, want: 'auto' | 'gpu' | 'wall'): TimerKind {
  if (want === 'wall') return 'wall';
  if (want === 'gpu' && !ctx.info.hasTimestamps) throw new Error(`--timer gpu: adapter ${ctx.info.adapter} has no 'timestamp-query' feature`);
  return ctx.info.hasTimestamps ? 'gpu-timestamp' : 'wall';
}

/**
 * CPU time (ms) used so far by this process's threads other than the main one: on lavapipe
 * these are the driver's compute workers, so it measures the kernels' work even while other
 * processes compete for the cores (wall time then stretches, this does not). Null where
 * /proc is unavailable. Excludes the main thread, which busy-polls while awaiting the GPU.
 */
export function workerCpuMs(): number | null {
  try {
    const main = String(process.pid);
    let ns = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === main) continue;
      try {
        ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // thread ended meanwhile
      }
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}

/**
 * Times `launch` (which records GPU work through ctx and returns without waiting) `reps`
 * times after `warmup` untimed launches (the first compiles the pipelines).
 */
export async function timeKernel(ctx: GpuContext, launch: () => void, o: TimeOptions): Promise<Timing> {
  for (let i = 0; i < o.warmup; i++) launch();
  await ctx.sync();
  if (o.timer === 'gpu-timestamp' && !o.cpuTime) {
    ctx.startProfiling();
    const before = ctx.stats.dispatches;
    for (let i = 0; i < o.reps; i++) launch();
    const perLaunch = (ctx.stats.dispatches - before) / o.reps;
    const rows = await waitQuietly(ctx, () => ctx.stopProfiling(), o.quietMain);
    return { ms: perLaunchSums(rows, perLaunch, o.reps), timer: o.timer };
  }
  // One rep per sync: wall time, or timestamps of a single launch when CPU time is wanted too.
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < o.reps; i++) {
    const [t, c] = await timeOne(ctx, launch, o);
    ms.push(t);
    if (c !== null) cpu.push(c);
  }
  return { ms, timer: o.timer, workerCpuMs: cpu.length ? cpu : undefined };
}

async function timeOne(ctx: GpuContext, launch: () => void, o: TimeOptions): Promise<[number, number | null]> {
  await ctx.sync();
  const c0 = o.cpuTime ? workerCpuMs() : null;
  if (o.timer === 'gpu-timestamp') {
    ctx.startProfiling();
    const before = ctx.stats.dispatches;
    launch();
    const n = ctx.stats.dispatches - before;
    await waitQuietly(ctx, () => ctx.sync(), o.quietMain);
    const c1 = c0 === null ? null : workerCpuMs()! - c0;
    const rows = await ctx.stopProfiling();
    return [perLaunchSums(rows, n, 1)[0]!, c1];
  }
  const t0 = performance.now();
  launch();
  await waitQuietly(ctx, () => ctx.sync(), o.quietMain);
  const t = performance.now() - t0;
  return [t, c0 === null ? null : workerCpuMs()! - c0];
}

function perLaunchSums(rows: Array<{ ms: number }>, perLaunch: number, reps: number): number[] {
  if (!Number.isInteger(perLaunch) || perLaunch <= 0 || rows.length !== perLaunch * reps) {
    throw new Error(`timing: expected ${reps} launches of equal dispatch count, got ${rows.length} timed dispatches`);
  }
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    let s = 0;
    for (let k = 0; k < perLaunch; k++) s += rows[r * perLaunch + k]!.ms;
    out.push(s);
  }
  return out;
}

/**
 * Times several launches of comparable work interleaved: round r times case 0, 1, 2, … once
 * each, so slow phases of a shared machine hit every case alike. Returns each case's timing
 * and, per case, the median over rounds of t(case 0) / t(case) — the robust speed ratio.
 */
export async function timeInterleaved(
  ctx: GpuContext,
  launches: Array<() => void>,
  o: TimeOptions,
): Promise<{ timings: Timing[]; speedups: number[] }> {
  for (const launch of launches) {
    for (let i = 0; i < Math.max(1, o.warmup); i++) launch();
    await ctx.sync();
  }
  const ms = launches.map(() => [] as number[]);
  const cpu = launches.map(() => [] as number[]);
  for (let r = 0; r < o.reps; r++) {
    for (let k = 0; k < launches.length; k++) {
      const [t, c] = await timeOne(ctx, launches[k]!, o);
      ms[k]!.push(t);
      if (c !== null) cpu[k]!.push(c);
    }
  }
  // With worker CPU time measured, ratios use it: it is what contention disturbs least.
  const basis = o.cpuTime && cpu[0]!.length === o.reps ? cpu : ms;
  const speedups = launches.map((_, k) => median(basis[0]!.map((t0, r) => t0 / basis[k]![r]!)));
  return {
    timings: launches.map((_, k) => ({ ms: ms[k]!, timer: o.timer, workerCpuMs: cpu[k]!.length ? cpu[k] : undefined })),
    speedups,
  };
}

function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(digits);
}

/** The table printed by `npm run bench`. */
export function formatTable(rows: BenchRow[], o: { cpuTime?: boolean } = {}): string {
  const head = ['kernel', 'shape', 'variant', 'median ms', 'min–max ms', 'rate', 'of ceiling', 'speedup', 'timer'];
  if (o.cpuTime) head.splice(5, 0, 'worker CPU ms');
  const lines = rows.map((r) => {
    const cells = [
      r.kernel,
      r.shape,
      r.variant ?? '',
      fmt(r.medianMs),
      `${fmt(r.minMs)}–${fmt(r.maxMs)}`,
      r.rate ? `${fmt(r.rate.value)} ${r.rate.unit}` : '',
      r.ofCeiling ? `${(100 * r.ofCeiling.fraction).toFixed(1)}%` : '',
      r.speedup ? `${r.speedup.value.toFixed(2)}× vs ${r.speedup.vs}` : '',
      r.timer === 'gpu-timestamp' ? 'gpu' : 'wall',
    ];
    if (o.cpuTime) cells.splice(5, 0, r.workerCpuMs !== undefined ? fmt(r.workerCpuMs) : '');
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set(['median ms', 'min–max ms', 'worker CPU ms', 'rate', 'of ceiling']);
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (numeric.has(head[i]!) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(line)].join('\n');
}

export interface BenchReport {
  adapter: string;
  /** GEMM/convolution kernel path the context ran (ALEXNET_KERNELS) and its limits (ALEXNET_GPU_LIMITS). */
  kernelPath: 'software' | 'tiled';
  limits: 'adapter' | 'default';
  features: string[];
  timer: TimerKind;
  date: string;
  machine: { cpus: number; cpuModel: string; loadAverage1m: number; lpNumThreads?: string; node: string };
  options: Record<string, unknown>;
  ceilings: Ceilings;
  rows: BenchRow[];
  /** Groups asked for whose module is missing or failed, with the reason. */
  skipped: Array<{ group: string; reason: string }>;
}

export function machineInfo(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    loadAverage1m: os.loadavg()[0]!,
    lpNumThreads: process.env.LP_NUM_THREADS,
    node: process.version,
  };
}

export function writeJson(file: string, report: BenchReport): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
