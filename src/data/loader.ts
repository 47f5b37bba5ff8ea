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
import { type AugmentOptions, isRandom, outputSize, validateAugmentOptions } from './augment.js';
import { DatasetError, type ImageFile, listDirectory } from './directory.js';
import type { RgbImage } from './image.js';
import { WorkerPool, defaultWorkerCount } from './pool.js';
import { Rng, hashSeed, permutation } from './prng.js';
import type { Interpolation } from './resize.js';
import type { DecodeOutcome, RenderTask } from './tasks.js';

export type ClassMode = 'binary' | 'categorical' | 'sparse';

export interface FlowOptions {
  /** [height, width] (or one side) every image is resized to; default [256, 256] (Keras). Aspect ratio is not kept. */
  targetSize?: number | readonly [number, number];
  /** Resize filter; default 'nearest' (Keras). */
  interpolation?: Interpolation;
  /**
   * Labels: 'binary' → y[b] of 0/1 (exactly two classes); 'categorical' (Keras's default) →
   * one-hot y[b, C]; 'sparse' → y[b] of class indices as floats.
   */
  classMode?: ClassMode;
  /** Class sub-folders to use, in label order (default: all, sorted by name). */
  classes?: readonly string[];
  /** Default 32 (Keras). */
  batchSize?: number;
  /** Shuffle every epoch (default true, as Keras). */
  shuffle?: boolean;
  /** Seed of order and augmentation; default: random (read it back from `loader.seed`). */
  seed?: number;
  /** Drop the last, partial batch of each epoch (default false: keep it, as Keras). */
  dropLast?: boolean;
  /** ImageDataGenerator options; none → no augmentation, no rescale. */
  augment?: AugmentOptions;
  /** Worker threads (default: CPU count, at most 4; 0 = all on this thread). Ignored with `pool`. */
  workers?: number;
  /** A pool to share between loaders (not closed by `close()`). */
  pool?: WorkerPool;
  /** Batches rendered ahead while the consumer works on the current one (default 2; 0 = render on demand). */
  prefetch?: number;
  /** Resume position (see `state()`). */
  startEpoch?: number;
  startStep?: number;
  /** Apply JPEG EXIF orientation (default true; Keras does not). */
  exifOrientation?: boolean;
  /** Receives the ONE warning about skipped files (default: console.warn). */
  onWarning?: (message: string, skipped: SkippedFile[]) => void;
  /** Decoding progress. */
  onProgress?: (done: number, total: number) => void;
}

export interface SkippedFile {
  path: string;
  relPath: string;
  reason: string;
}

export interface Batch {
  /** float32 NHWC pixels, `pixel · rescale`. */
  x: Float32Array;
  /** Labels (see `classMode`). */
  y: Float32Array;
  /** [b, height, width, 3]; b = 10 × images with `tenCrop`. */
  shape: [number, number, number, number];
  /** [b] for binary / sparse, [b, classes] for categorical (b = images, not crops). */
  yShape: number[];
  /** Dataset indices (into `loader.files`) of the images, in batch order. */
  indices: number[];
  epoch: number;
  stepInEpoch: number;
}

export interface LoaderState {
  seed: number;
  /** Epoch and step of the next batch `nextBatch()` returns. */
  epoch: number;
  step: number;
  /** Dataset size when saved (checked on restore). */
  size: number;
}

function pairSize(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

const DECODE_CHUNK = 8;

/** Lists, decodes and caches a directory dataset; resolves when every image is in the cache. */
export async function flowFromDirectory(dir: string, opts: FlowOptions = {}): Promise<BatchLoader> {
  const listing = listDirectory(dir, { classes: opts.classes });
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
    if (skipped.length > 0) {
      const msg =
        `flowFromDirectory: skipped ${skipped.length} of ${n} files in ${listing.dir} that are not readable JPEG/PNG images:\n` +
        skipped.map((s) => `  ${s.relPath}: ${s.reason}`).join('\n');
      (opts.onWarning ?? ((m: string) => console.warn(m)))(msg, skipped);
    }
    listing.classNames.forEach((name, label) => {
      if (!kept.some((k) => k.file.label === label)) {
        throw new DatasetError(
          `Class folder ${path.join(listing.dir, name)} has no readable images (all its files were skipped)`,
        );
      }
    });
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

interface LoaderInit {
  dir: string;
  classNames: string[];
  files: ImageFile[];
  slots: number[];
  sourceSizes: [number, number][];
  skipped: SkippedFile[];
  cache: SharedArrayBuffer | ArrayBuffer;
  height: number;
  width: number;
  classMode: ClassMode;
  augment: AugmentOptions;
  pool: WorkerPool;
  ownsPool: boolean;
  opts: FlowOptions;
}

interface Queued {
  epoch: number;
  step: number;
  promise: Promise<Batch>;
}

export class BatchLoader implements AsyncIterableIterator<Batch> {
  readonly dir: string;
  readonly classNames: readonly string[];
  readonly classIndices: Readonly<Record<string, number>>;
  /** The images, in dataset-index order (skipped files excluded). */
  readonly files: readonly ImageFile[];
  /** [width, height] of each image file as decoded (before resizing). */
  readonly sourceSizes: readonly (readonly [number, number])[];
  readonly skipped: readonly SkippedFile[];
  readonly classMode: ClassMode;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly augmentOptions: Readonly<AugmentOptions>;
  /** True when batches are randomly augmented. */
  readonly augmenting: boolean;
  /** Size images are cached at: [height, width, 3]. */
  readonly imageShape: [number, number, number];
  /** Size of one output image: [height, width, 3] (smaller than imageShape with a crop). */
  readonly outputShape: [number, number, number];
  readonly numBatchesPerEpoch: number;
  private seedValue: number;
  private readonly slots: number[];
  private readonly cache: SharedArrayBuffer | ArrayBuffer;
  private readonly pool: WorkerPool;
  private readonly ownsPool: boolean;
  private readonly prefetchDepth: number;
  private epochNow: number;
  private stepNow: number;
  private queue: Queued[] = [];
  private perms = new Map<number, Int32Array>();
  private closed = false;

  /** Use {@link flowFromDirectory}. */
  constructor(init: LoaderInit) {
    const o = init.opts;
    this.dir = init.dir;
    this.classNames = init.classNames;
    this.classIndices = Object.fromEntries(init.classNames.map((c, i) => [c, i]));
    this.files = init.files;
    this.slots = init.slots;
    this.sourceSizes = init.sourceSizes;
    this.skipped = init.skipped;
    this.cache = init.cache;
    this.classMode = init.classMode;
    this.pool = init.pool;
    this.ownsPool = init.ownsPool;
    this.augmentOptions = init.augment;
    this.augmenting = isRandom(init.augment);
    this.imageShape = [init.height, init.width, 3];
    const [oh, ow] = outputSize(init.augment, init.height, init.width);
    this.outputShape = [oh, ow, 3];
    this.batchSize = o.batchSize ?? 32;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new Error(`batchSize must be a positive integer, got ${o.batchSize}`);
    this.shuffle = o.shuffle ?? true;
    this.dropLast = o.dropLast ?? false;
    this.seedValue = o.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.prefetchDepth = o.prefetch ?? 2;
    const size = this.files.length;
    this.numBatchesPerEpoch = this.dropLast ? Math.floor(size / this.batchSize) : Math.ceil(size / this.batchSize);
    if (this.numBatchesPerEpoch === 0) {
      throw new DatasetError(`dropLast with batchSize ${this.batchSize} leaves no batch: ${this.dir} has only ${size} images`);
    }
    this.epochNow = o.startEpoch ?? 0;
    this.stepNow = o.startStep ?? 0;
    this.checkPosition(this.epochNow, this.stepNow);
    this.fill();
  }

  /** Number of images (Keras's `samples`). */
  get size(): number {
    return this.files.length;
  }

  get seed(): number {
    return this.seedValue;
  }

  /** Positions of the batches being prepared ahead (in the order they will be returned). */
  get prefetched(): { epoch: number; step: number }[] {
    return this.queue.map((q) => ({ epoch: q.epoch, step: q.step }));
  }

  /** Label of each image, by dataset index. */
  get labels(): number[] {
    return this.files.map((f) => f.label);
  }

  /** The cached (resized, un-augmented) image `index` — a view, not a copy. */
  image(index: number): RgbImage {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`image index ${index} out of range 0..${this.size - 1}`);
    const [h, w] = this.imageShape;
    const n = h * w * 3;
    return { width: w, height: h, data: new Uint8Array(this.cache, this.slots[index]! * n, n) };
  }

  *images(): Generator<RgbImage> {
    for (let i = 0; i < this.size; i++) yield this.image(i);
  }

  /** The image order of an epoch (dataset indices). */
  order(epoch: number): Int32Array {
    let p = this.perms.get(epoch);
    if (!p) {
      p = this.shuffle ? permutation(this.size, new Rng(hashSeed(this.seedValue, epoch, 0x5eed))) : Int32Array.from(this.files.keys());
      if (this.perms.size > 4) this.perms.delete(this.perms.keys().next().value!);
      this.perms.set(epoch, p);
    }
    return p;
  }

  /** Renders batch `step` of `epoch` (any position, independent of the iteration state). */
  batchAt(epoch: number, step: number): Promise<Batch> {
    this.checkPosition(epoch, step);
    if (this.closed) return Promise.reject(new Error('BatchLoader is closed'));
    const order = this.order(epoch);
    const start = step * this.batchSize;
    const indices = Array.from(order.subarray(start, Math.min(this.size, start + this.batchSize)));
    const [h, w] = this.imageShape;
    const task: RenderTask = {
      kind: 'render',
      cache: this.cache,
      height: h,
      width: w,
      slots: indices.map((i) => this.slots[i]!),
      indices,
      seed: this.seedValue,
      epoch,
      augment: this.augmenting,
      opts: this.augmentOptions,
    };
    const y = this.labelsFor(indices);
    const crops = this.augmentOptions.tenCrop !== undefined ? 10 : 1;
    const [oh, ow] = this.outputShape;
    const b = indices.length;
    return this.pool.run<Float32Array>(task).then((x) => ({
      x,
      y,
      shape: [b * crops, oh, ow, 3],
      yShape: this.classMode === 'categorical' ? [b, this.classNames.length] : [b],
      indices,
      epoch,
      stepInEpoch: step,
    }));
  }

  private labelsFor(indices: number[]): Float32Array {
    const c = this.classNames.length;
    if (this.classMode === 'categorical') {
      const y = new Float32Array(indices.length * c);
      indices.forEach((i, k) => (y[k * c + this.files[i]!.label] = 1));
      return y;
    }
    return Float32Array.from(indices, (i) => this.files[i]!.label);
  }

  private checkPosition(epoch: number, step: number): void {
    if (!(Number.isInteger(epoch) && epoch >= 0)) throw new RangeError(`epoch must be an integer ≥ 0, got ${epoch}`);
    if (!(Number.isInteger(step) && step >= 0 && step < this.numBatchesPerEpoch)) {
      throw new RangeError(`step must be an integer in 0..${this.numBatchesPerEpoch - 1}, got ${step}`);
    }
  }

  private advance(p: { epoch: number; step: number }): { epoch: number; step: number } {
    return p.step + 1 < this.numBatchesPerEpoch ? { epoch: p.epoch, step: p.step + 1 } : { epoch: p.epoch + 1, step: 0 };
  }

  /** Keeps the `prefetch` batches after the consumer's current one in flight. */
  private fill(): void {
    if (this.closed) return;
    while (this.queue.length < this.prefetchDepth) {
      const last = this.queue[this.queue.length - 1];
      const pos = last ? this.advance(last) : { epoch: this.epochNow, step: this.stepNow };
      this.queue.push({ ...pos, promise: this.render(pos) });
    }
  }

  private render(pos: { epoch: number; step: number }): Promise<Batch> {
    const promise = this.batchAt(pos.epoch, pos.step);
    promise.catch(() => {}); // a discarded prefetch must not become an unhandled rejection
    return promise;
  }

  /** The next batch (endless). */
  async nextBatch(): Promise<Batch> {
    if (this.closed) throw new Error('BatchLoader is closed');
    const head = this.queue.shift() ?? { epoch: this.epochNow, step: this.stepNow, promise: this.render({ epoch: this.epochNow, step: this.stepNow }) };
    const nextPos = this.advance(head);
    this.epochNow = nextPos.epoch;
    this.stepNow = nextPos.step;
    this.fill();
    return head.promise;
  }

  async next(): Promise<IteratorResult<Batch>> {
    return { value: await this.nextBatch(), done: false };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    return this;
  }

  /** The remaining batches of the current epoch (all of it when called at its start). */
  async *epoch(): AsyncGenerator<Batch> {
    const e = this.epochNow;
    while (this.epochNow === e) yield await this.nextBatch();
  }

  /** Where the iteration is: restore it into a loader over the same data to continue exactly. */
  state(): LoaderState {
    return { seed: this.seedValue, epoch: this.epochNow, step: this.stepNow, size: this.size };
  }

  /** Continues from a saved state (drops batches already prefetched). */
  restore(s: LoaderState): void {
    if (s.size !== undefined && s.size !== this.size) {
      throw new Error(`cannot restore loader state: it was saved for ${s.size} images, this dataset has ${this.size}`);
    }
    this.checkPosition(s.epoch, s.step);
    this.seedValue = s.seed;
    this.perms.clear();
    this.queue = [];
    this.epochNow = s.epoch;
    this.stepNow = s.step;
    this.fill();
  }

  /** Stops the workers (when the loader owns them). Pending batches reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    if (this.ownsPool) await this.pool.close();
  }
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
