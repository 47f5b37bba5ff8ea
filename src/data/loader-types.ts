/** The loader's public shapes: options, batches, saved positions. */
import type { AugmentOptions } from './augment.js';
import type { WorkerPool } from './pool.js';
import type { Interpolation } from './resize.js';

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
  /** Enter symbolic links to folders inside class folders (default false, as Keras's follow_links). */
  followLinks?: boolean;
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
  /**
   * Return as soon as every file's header is checked, and decode in the background while the
   * first batches are used (each batch waits for its own images); `loader.decoded` resolves
   * when all are in. Batches are the same as without it. Default false.
   */
  stream?: boolean;
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
