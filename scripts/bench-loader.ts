/**
 * Throughput of the data loader alone (no model): images per second for augmented batches.
 *
 *   npx tsx scripts/bench-loader.ts                       # real photos, 224×224, batch 8
 *   npx tsx scripts/bench-loader.ts --synthetic --epochs 2 --json bench-results/loader.json
 *
 * Phases measured:
 *  - cache fill: read + decode + resize of every file by the worker pool (happens once);
 *  - first epoch: cache fill + rendering one epoch of augmented batches (what epoch 1 costs);
 *  - cached epochs: rendering an epoch from the cache (what every later epoch costs).
 * Augmentation defaults to the Keras tutorial's: rescale 1/255, rotation 40, width/height
 * shift 0.2, shear 0.2, zoom 0.2, horizontal flip, fill 'nearest'.
 *
 * A benchmark, not a test: run it on a quiet machine.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { packageVersion } from './lib/version.js';
import type { AugmentOptions } from '../src/data/augment.js';
import { flowFromDirectory } from '../src/data/loader.js';
import { catsAndDogsDir } from '../src/data/paths.js';
import { defaultWorkerCount } from '../src/data/pool.js';
import { ensureSyntheticDataset } from '../src/data/synthetic.js';
import type { Interpolation } from '../src/data/resize.js';

export const TUTORIAL_AUGMENTATION: AugmentOptions = {
  rescale: 1 / 255,
  rotationRange: 40,
  widthShiftRange: 0.2,
  heightShiftRange: 0.2,
  shearRange: 0.2,
  zoomRange: 0.2,
  horizontalFlip: true,
  fillMode: 'nearest',
};

export interface BenchLoaderOptions {
  /** Data folder (class sub-folders); default: the real photos' train split if present, else the synthetic train split. */
  dir?: string;
  /** Side of the square target size (default 224). */
  size?: number;
  batchSize?: number;
  /** Cached epochs to time after the first (default 2). */
  epochs?: number;
  workers?: number;
  prefetch?: number;
  interpolation?: Interpolation;
  augment?: AugmentOptions;
  seed?: number;
  log?: (msg: string) => void;
}

export interface BenchLoaderResult {
  dir: string;
  images: number;
  size: number;
  batchSize: number;
  workers: number;
  cpus: number;
  /** Cache fill (read + decode + resize) seconds and rate. */
  decodeSeconds: number;
  /** CPU seconds (all threads of the process) of the cache fill, and of each cached epoch. */
  decodeCpuSeconds: number;
  cachedEpochCpuSeconds: number[];
  /** System load average (1 min) at the start: timings are only meaningful on a quiet machine. */
  loadAverage: number;
  decodeImagesPerSecond: number;
  /** Cache fill + the first epoch's batches. */
  firstEpochSeconds: number;
  firstEpochImagesPerSecond: number;
  /** Each cached epoch's seconds. */
  cachedEpochSeconds: number[];
  /** Mean over the cached epochs: the loader's steady-state images per second. */
  imagesPerSecond: number;
}

export async function defaultBenchDir(): Promise<string> {
  const real = path.join(catsAndDogsDir(), 'train');
  if (existsSync(real)) return real;
  return path.join(await ensureSyntheticDataset(), 'train');
}

export async function benchLoader(opts: BenchLoaderOptions = {}): Promise<BenchLoaderResult> {
  const dir = path.resolve(opts.dir ?? (await defaultBenchDir()));
  const size = opts.size ?? 224;
  const batchSize = opts.batchSize ?? 8;
  const workers = opts.workers ?? defaultWorkerCount();
  const epochs = opts.epochs ?? 2;
  const loadAverage = os.loadavg()[0]!;
  const cpu = () => {
    const u = process.cpuUsage(); // all threads of this process, workers included
    return (u.user + u.system) / 1e6;
  };
  const c0 = cpu();
  const t0 = performance.now();
  const loader = await flowFromDirectory(dir, {
    targetSize: [size, size],
    interpolation: opts.interpolation ?? 'nearest',
    classMode: 'binary',
    batchSize,
    seed: opts.seed ?? 1,
    workers,
    prefetch: opts.prefetch,
    augment: opts.augment ?? TUTORIAL_AUGMENTATION,
    onWarning: (m) => opts.log?.(m),
  });
  try {
    const t1 = performance.now();
    const c1 = cpu();
    opts.log?.(`cache filled: ${loader.size} images in ${((t1 - t0) / 1000).toFixed(1)} s`);
    const epochTimes: number[] = [];
    const epochCpu: number[] = [];
    let tStart = t1;
    let cStart = c1;
    for (let e = 0; e <= epochs; e++) {
      for (let s = 0; s < loader.numBatchesPerEpoch; s++) await loader.nextBatch();
      const t = performance.now();
      const c = cpu();
      epochTimes.push((t - tStart) / 1000);
      epochCpu.push(c - cStart);
      opts.log?.(`epoch ${e + 1}: ${((t - tStart) / 1000).toFixed(2)} s`);
      tStart = t;
      cStart = c;
    }
    const n = loader.size;
    const decodeSeconds = (t1 - t0) / 1000;
    const firstEpochSeconds = decodeSeconds + epochTimes[0]!;
    const cached = epochTimes.slice(1);
    const cachedMean = cached.length ? cached.reduce((a, b) => a + b, 0) / cached.length : epochTimes[0]!;
    return {
      dir,
      images: n,
      size,
      batchSize,
      workers,
      cpus: os.cpus().length,
      decodeSeconds,
      decodeCpuSeconds: c1 - c0,
      cachedEpochCpuSeconds: epochCpu.slice(1),
      loadAverage,
      decodeImagesPerSecond: n / decodeSeconds,
      firstEpochSeconds,
      firstEpochImagesPerSecond: n / firstEpochSeconds,
      cachedEpochSeconds: cached,
      imagesPerSecond: n / cachedMean,
    };
  } finally {
    await loader.close();
  }
}

export function formatBenchTable(r: BenchLoaderResult): string {
  const rows: [string, number, number, number | null][] = [
    ['cache fill (read + decode + resize)', r.images, r.decodeSeconds, r.decodeCpuSeconds],
    ['first epoch (cache fill + augment)', r.images, r.firstEpochSeconds, null],
    ...r.cachedEpochSeconds.map((s, i): [string, number, number, number] => [`cached epoch ${i + 2} (augment only)`, r.images, s, r.cachedEpochCpuSeconds[i]!]),
  ];
  const head =
    `loader: ${r.dir}\n${r.size}×${r.size}, batch ${r.batchSize}, ${r.workers} worker(s), ${r.cpus} CPU(s), ` +
    `load average ${r.loadAverage.toFixed(2)} at start\n`;
  const line = (a: string, b: string, c: string, d: string, e: string) =>
    `| ${a.padEnd(38)} | ${b.padStart(6)} | ${c.padStart(8)} | ${d.padStart(9)} | ${e.padStart(11)} |`;
  return (
    head +
    [
      line('phase', 'images', 'seconds', 'images/s', 'CPU ms/img'),
      `|${'-'.repeat(40)}|${'-'.repeat(8)}|${'-'.repeat(10)}|${'-'.repeat(11)}|${'-'.repeat(13)}|`,
      ...rows.map(([name, n, s, c]) => line(name, String(n), s.toFixed(2), (n / s).toFixed(1), c === null ? '' : ((1000 * c) / n).toFixed(2))),
    ].join('\n')
  );
}

async function main(): Promise<void> {
  const int = (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
    return n;
  };
  const o = new Command()
    .name('bench-loader')
    .version(packageVersion())
    .description('Images per second of the data loader alone (augmented batches), first epoch vs cached epochs.')
    .option('--dir <dir>', 'data folder with class sub-folders (default: ../shared/datasets/cats_and_dogs/train, else the synthetic set)')
    .option('--synthetic', 'use the synthetic train split', false)
    .option('--image-size <px>', 'square target size', int, 224)
    .addOption(new Option('--size <px>').argParser(int).hideHelp())
    .option('--batch-size <n>', 'batch size', int, 8)
    .option('--epochs <n>', 'cached epochs to time after the first', int, 2)
    .option('--workers <n>', 'worker threads', int, defaultWorkerCount())
    .option('--prefetch <n>', 'batches prepared ahead', int, 2)
    .option('--interpolation <m>', "resize filter: 'nearest' or 'bilinear'", 'nearest')
    .option('--no-augment', 'rescale only (no random augmentation)')
    .option('--json <file>', 'also write the result as JSON')
    .showHelpAfterError()
    .parse()
    .opts<{ dir?: string; synthetic: boolean; imageSize: number; size?: number; batchSize: number; epochs: number; workers: number; prefetch: number; interpolation: Interpolation; augment: boolean; json?: string }>();
  const dir = o.synthetic ? path.join(await ensureSyntheticDataset({ log: console.log }), 'train') : o.dir;
  const r = await benchLoader({
    dir,
    size: o.size ?? o.imageSize,
    batchSize: o.batchSize,
    epochs: o.epochs,
    workers: o.workers,
    prefetch: o.prefetch,
    interpolation: o.interpolation,
    augment: o.augment ? TUTORIAL_AUGMENTATION : { rescale: 1 / 255 },
    log: (m) => console.error(m),
  });
  console.log(formatBenchTable(r));
  if (o.json) {
    mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    writeFileSync(o.json, JSON.stringify(r, null, 2) + '\n');
    console.log(`wrote ${o.json}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`bench-loader: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
