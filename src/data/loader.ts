/**
 * The batch loader: Keras's `ImageDataGenerator(...).flow_from_directory(...)`.
 *
 *   const train = await flowFromDirectory('datasets/synthetic/train', {
 *     targetSize: [224, 224], batchSize: 8, classMode: 'binary', seed: 1,
 *     augment: { rescale: 1 / 255, rotationRange: 40, horizontalFlip: true, … },
 *   });
 *   const batch = await train.nextBatch();   // { x, y, shape: [8, 224, 224, 3], … }
 *
 * Life of the data:
 *  1. `listDirectory` finds the classes and files (and throws for a missing / empty folder).
 *  2. Every file is read, decoded and resized ONCE, by the worker pool, into one in-memory
 *     cache (count × height × width × 3 bytes, a SharedArrayBuffer the workers write and read
 *     without copies). Files that are not images or fail to decode are dropped here and named
 *     in ONE warning; so the dataset size, and thus the number of batches per epoch, is known
 *     before the first batch, and no epoch decodes anything again. Memory: e.g. 2000 images at
 *     224×224 take 301 MB; at 256×256, 393 MB.
 *  3. Batches are rendered from the cache by the workers (augmentation, crop, rescale) into
 *     float32 NHWC, `prefetch` batches ahead of the consumer.
 *
 * Order and randomness are pure functions of (seed, epoch, …): the epoch's order is a
 * permutation drawn from hash(seed, epoch), each image's augmentation from
 * hash(seed, epoch, image index). So `state()` is just (seed, epoch, step), and a loader
 * restored from it yields exactly the batches an uninterrupted one would have.
 *
 * Iteration never ends (Keras's generators are endless; `steps_per_epoch` decides what the
 * trainer calls an epoch): after the last batch of epoch e comes batch 0 of epoch e + 1, in a
 * new order. `batch.epoch` / `batch.stepInEpoch` say where in the data a batch is.
 */
import * as path from 'node:path';
import { type AugmentOptions, outputSize, validateAugmentOptions } from './augment.js';
import { DatasetError, type DirectoryListing, type ImageFile, listDirectory } from './directory.js';
import { WorkerPool, defaultWorkerCount } from './pool.js';
import type { DecodeOutcome } from './tasks.js';
import { BatchLoader, epochOrder, type LoaderInit } from './batch-loader.js';
import type { ClassMode, FlowOptions, SkippedFile } from './loader-types.js';
import { decodeInBackground, probeFiles } from './stream-decode.js';

export { BatchLoader } from './batch-loader.js';
export type { Batch, ClassMode, FlowOptions, LoaderState, SkippedFile } from './loader-types.js';

function pairSize(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

const DECODE_CHUNK = 8;

/** Lists, decodes and caches a directory dataset; resolves when every image is in the cache. */
export async function flowFromDirectory(dir: string, opts: FlowOptions = {}): Promise<BatchLoader> {
  const listing = listDirectory(dir, { classes: opts.classes, followLinks: opts.followLinks });
  const [height, width] = pairSize(opts.targetSize ?? [256, 256]);
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new Error(`targetSize must be positive integers, got ${height}x${width}`);
  }
  const augment = opts.augment ?? {};
  validateAugmentOptions(augment);
  outputSize(augment, height, width); // throws if a crop does not fit
  const classMode = opts.classMode ?? 'categorical';
  if (!['binary', 'categorical', 'sparse'].includes(classMode)) {
    throw new Error(`classMode must be 'binary', 'categorical' or 'sparse', got '${classMode}'`);
  }
  if (classMode === 'binary' && listing.classNames.length !== 2) {
    throw new DatasetError(
      `classMode 'binary' needs exactly two classes, but ${listing.dir} has ${listing.classNames.length} (${listing.classNames.join(', ')})`,
    );
  }
  // Cheap checks first: a typo should not cost a full decode of the dataset.
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
    throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  if (opts.prefetch !== undefined && !(Number.isInteger(opts.prefetch) && opts.prefetch >= 0)) {
    throw new Error(`prefetch must be an integer ≥ 0, got ${opts.prefetch}`);
  }
  if (opts.seed !== undefined && !Number.isFinite(opts.seed)) throw new Error(`seed must be a finite number, got ${opts.seed}`);
  const ownsPool = !opts.pool;
  const pool = opts.pool ?? new WorkerPool(opts.workers ?? defaultWorkerCount());
  if (opts.stream) return streamFromListing(listing, { height, width, classMode, augment, pool, ownsPool, opts });
  const n = listing.files.length;
  const imageBytes = height * width * 3;
  const cache = pool.size > 0 ? new SharedArrayBuffer(n * imageBytes) : new ArrayBuffer(n * imageBytes);
  try {
    let done = 0;
    const outcomes: DecodeOutcome[] = new Array(n);
    const jobs: Promise<void>[] = [];
    for (let s = 0; s < n; s += DECODE_CHUNK) {
      const slots = Array.from({ length: Math.min(DECODE_CHUNK, n - s) }, (_, i) => s + i);
      jobs.push(
        pool
          .run<DecodeOutcome[]>({
            kind: 'decode',
            paths: slots.map((i) => listing.files[i]!.path),
            slots,
            cache,
            height,
            width,
            interpolation: opts.interpolation ?? 'nearest',
            exifOrientation: opts.exifOrientation ?? true,
          })
          .then((res) => {
            res.forEach((r, i) => (outcomes[slots[i]!] = r));
            done += slots.length;
            opts.onProgress?.(done, n);
          }),
      );
    }
    await Promise.all(jobs);
    const skipped: SkippedFile[] = [];
    const kept: { file: ImageFile; slot: number; size: [number, number] }[] = [];
    listing.files.forEach((file, i) => {
      const o = outcomes[i]!;
      if (o.ok) kept.push({ file, slot: i, size: [o.width, o.height] });
      else skipped.push({ path: file.path, relPath: file.relPath, reason: o.reason });
    });
    reportSkipped(listing, skipped, n, opts.onWarning ?? ((m: string) => console.warn(m)));
    checkEveryClassKept(listing, kept.map((k) => k.file));
    return new BatchLoader({
      dir: listing.dir,
      classNames: listing.classNames,
      files: kept.map((k) => k.file),
      slots: kept.map((k) => k.slot),
      sourceSizes: kept.map((k) => k.size),
      skipped,
      cache,
      height,
      width,
      classMode,
      augment,
      pool,
      ownsPool,
      opts,
    });
  } catch (e) {
    if (ownsPool) await pool.close();
    throw e;
  }
}

type Resolved = Pick<LoaderInit, 'height' | 'width' | 'classMode' | 'augment' | 'pool' | 'ownsPool' | 'opts'>;

/** The streaming path: header checks now, pixels in the background (see stream-decode.ts). */
function streamFromListing(listing: DirectoryListing, r: Resolved): BatchLoader {
  try {
    const { kept, skipped } = probeFiles(listing.files);
    const n = listing.files.length;
    const warn = r.opts.onWarning ?? ((m: string) => console.warn(m));
    reportSkipped(listing, skipped, n, warn);
    checkEveryClassKept(listing, kept.map((k) => k.file));
    const cache = r.pool.size > 0 ? new SharedArrayBuffer(kept.length * r.height * r.width * 3) : new ArrayBuffer(kept.length * r.height * r.width * 3);
    const files = kept.map((k) => k.file);
    const init = {
      dir: listing.dir,
      classNames: listing.classNames,
      files,
      slots: files.map((_, i) => i),
      sourceSizes: kept.map((k) => k.size),
      skipped,
      cache,
      height: r.height,
      width: r.width,
      classMode: r.classMode,
      augment: r.augment,
      pool: r.pool,
      ownsPool: r.ownsPool,
      // The seed is fixed here, so that the decode order below is the loader's first epoch's.
      opts: { ...r.opts, seed: r.opts.seed ?? Math.floor(Math.random() * 2 ** 32) },
    };
    const order = epochOrder(files.length, init.opts.seed!, r.opts.startEpoch ?? 0, r.opts.shuffle ?? true);
    const decoding = decodeInBackground({
      files,
      order,
      pool: r.pool,
      cache,
      height: r.height,
      width: r.width,
      interpolation: r.opts.interpolation ?? 'nearest',
      exifOrientation: r.opts.exifOrientation ?? true,
      chunk: DECODE_CHUNK,
      onProgress: r.opts.onProgress,
      onWarning: warn,
    });
    return new BatchLoader({ ...init, decoding });
  } catch (e) {
    if (r.ownsPool) void r.pool.close();
    throw e;
  }
}

function reportSkipped(listing: DirectoryListing, skipped: SkippedFile[], n: number, warn: NonNullable<FlowOptions['onWarning']>): void {
  if (skipped.length === 0) return;
  const msg =
    `flowFromDirectory: skipped ${skipped.length} of ${n} files in ${listing.dir} that are not readable JPEG/PNG images:\n` +
    skipped.map((s) => `  ${s.relPath}: ${s.reason}`).join('\n');
  warn(msg, skipped);
}

function checkEveryClassKept(listing: DirectoryListing, kept: readonly ImageFile[]): void {
  listing.classNames.forEach((name, label) => {
    if (!kept.some((f) => f.label === label)) {
      throw new DatasetError(`Class folder ${path.join(listing.dir, name)} has no readable images (all its files were skipped)`);
    }
  });
}

/**
 * Keras's `ImageDataGenerator`: holds the augmentation options; `flowFromDirectory` makes a
 * loader that applies them.
 */
export class ImageDataGenerator {
  readonly options: Readonly<AugmentOptions>;
  constructor(options: AugmentOptions = {}) {
    validateAugmentOptions(options);
    this.options = { ...options };
  }
  flowFromDirectory(dir: string, opts: Omit<FlowOptions, 'augment'> = {}): Promise<BatchLoader> {
    return flowFromDirectory(dir, { ...opts, augment: this.options });
  }
}

/**
 * The evaluation counterpart of training options: keeps `rescale` and turns a random `crop`
 * into a `centerCrop`; drops everything random.
 */
export function withoutAugmentation(opts: AugmentOptions): AugmentOptions {
  const out: AugmentOptions = {};
  if (opts.rescale !== undefined) out.rescale = opts.rescale;
  const crop = opts.crop ?? opts.centerCrop;
  if (crop !== undefined) out.centerCrop = crop;
  if (opts.tenCrop !== undefined) out.tenCrop = opts.tenCrop;
  return out;
}
