/**
 * BatchLoader: batches rendered from the decoded cache — order and augmentation as pure
 * functions of (seed, epoch, index), `prefetch` batches in flight (see loader.ts).
 */
import { type AugmentOptions, isRandom, outputSize } from './augment.js';
import { DatasetError, type ImageFile } from './directory.js';
import type { RgbImage } from './image.js';
import type { Batch, ClassMode, FlowOptions, LoaderState, SkippedFile } from './loader-types.js';
import type { WorkerPool } from './pool.js';
import { Rng, hashSeed, permutation } from './prng.js';
import type { RenderTask } from './tasks.js';
import type { BackgroundDecode } from './stream-decode.js';

/** The image order (dataset indices) of an epoch: a permutation drawn from hash(seed, epoch), or folder order. */
export function epochOrder(size: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  return shuffle ? permutation(size, new Rng(hashSeed(seed, epoch, 0x5eed))) : Int32Array.from({ length: size }, (_, i) => i);
}

export interface LoaderInit {
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
  /** Streaming: the images still decoding (see stream-decode.ts); absent when all are in the cache. */
  decoding?: BackgroundDecode;
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
  private readonly decoding: BackgroundDecode | undefined;

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
    this.decoding = init.decoding;
    this.decoded = init.decoding?.decoded ?? Promise.resolve();
    this.decoded.catch(() => {}); // reported through the batches that need the image
    this.fill();
  }

  /**
   * Resolves once every image is in the cache — at once, unless the loader streams
   * (`flowFromDirectory({ stream: true })`). Await it before reading `image(i)`.
   */
  readonly decoded: Promise<void>;

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
      p = epochOrder(this.size, this.seedValue, epoch, this.shuffle);
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
    // Streaming: the batch waits for its own images only.
    const ready = this.decoding ? Promise.all(indices.map((i) => this.decoding!.ready(this.slots[i]!))) : null;
    const rendered = ready ? ready.then(() => this.pool.run<Float32Array>(task)) : this.pool.run<Float32Array>(task);
    return rendered.then((x) => ({
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
    this.decoding?.stop();
    if (this.ownsPool) await this.pool.close();
  }
}
