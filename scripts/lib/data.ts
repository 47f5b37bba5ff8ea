/**
 * Connects the data pipeline (src/data) to the fit loop: an endless shuffled, augmented
 * training stream and an endless validation sequence (shuffled by default, as Keras's
 * `flow_from_directory`, with its own seed; augmented only when asked, as the tutorial's
 * validation generator is), sharing one worker pool.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AugmentOptions } from '../../src/data/augment.js';
import { flowFromDirectory, type BatchLoader } from '../../src/data/loader.js';
import { computeRgbPca } from '../../src/data/pca.js';
import { WorkerPool, defaultWorkerCount } from '../../src/data/pool.js';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { hashSeed } from '../../src/data/prng.js';
import { trainingStream, validationSet } from '../../src/data/streams.js';
import { mixupBatch, smoothLabels } from '../../src/data/mixing.js';
import { Rng } from '../../src/data/prng.js';
import type { BatchSet, BatchStream } from '../../src/nn/fit.js';
import { UserError } from '../../src/platform/node-gpu.js';

export interface TrainingDataOptions {
  dir?: string;
  imageSize: number;
  batchSize: number;
  seed: number;
  workers?: number;
  resize: 'nearest' | 'bilinear';
  augment: AugmentOptions;
  /** Paper recipe: cache at this size and random-crop imageSize. */
  cropFrom?: number;
  pcaNoise?: number;
  categorical: boolean;
  /** Shuffle the validation images (each pass in a new seeded order). Default true (Keras). */
  validationShuffle?: boolean;
  /** Validate on augmented images, as the tutorial's `train_datagen.flow_from_directory(validation_dir)`. */
  validationAugment?: boolean;
  /** Enter symbolic links to folders inside class folders (Keras's follow_links). */
  followLinks?: boolean;
  /** Also open the training images un-augmented, shuffled, for re-estimating batch norm's statistics. */
  batchNormImages?: boolean;
  /** Label smoothing ε of the training targets (0 = off). */
  labelSmoothing?: number;
  /** Mixup α of the training batches (0 = off). */
  mixup?: number;
  log: (msg: string) => void;
}

/** The validation order's seed: derived from the run's seed, different from the training order's. */
export function validationSeed(seed: number): number {
  return hashSeed(seed, 0x7a11d);
}

export interface TrainingData {
  classNames: string[];
  trainCount: number;
  valCount: number;
  trainBatchesPerEpoch: number;
  train: BatchStream;
  validation: BatchSet | null;
  /** The training images as validation sees them (no augmentation), when batchNormImages asked. */
  batchNorm: BatchSet | null;
  trainLoader: BatchLoader;
  close(): Promise<void>;
}

export async function openTrainingData(o: TrainingDataOptions): Promise<TrainingData> {
  let dir = o.dir;
  if (!dir) {
    dir = await ensureSyntheticDataset({ log: o.log });
  }
  dir = resolve(dir);
  const trainDir = join(dir, 'train');
  const valDir = join(dir, 'validation');
  if (!existsSync(trainDir)) {
    throw new UserError(`data folder ${dir} has no train/ sub-folder (expected train/<class>/*.jpg and validation/<class>/*.jpg)`);
  }
  const pool = new WorkerPool(o.workers ?? defaultWorkerCount());
  const crop = o.cropFrom && o.cropFrom > o.imageSize ? o.imageSize : undefined;
  const cacheSize = crop ? o.cropFrom! : o.imageSize;
  const classMode = o.categorical ? 'categorical' : 'binary';
  // Images decode in the background while training starts (flowFromDirectory's stream):
  // progress lines every few seconds would cut through the progress bar, so only the end is told.
  const onProgress = (label: string, streaming: boolean) => {
    let last = 0;
    return (done: number, total: number) => {
      const now = performance.now();
      if (done === total || (!streaming && now - last > 3000)) {
        last = now;
        o.log(`${label}: decoded ${done}/${total} images`);
      }
    };
  };
  try {
    const augment: AugmentOptions = { ...o.augment, ...(crop ? { crop } : {}) };
    let train = await flowFromDirectory(trainDir, {
      targetSize: cacheSize,
      interpolation: o.resize,
      classMode,
      batchSize: o.batchSize,
      seed: o.seed,
      augment,
      pool,
      followLinks: o.followLinks,
      onWarning: (m) => o.log(`warning: ${m}`),
      // The PCA colour noise below needs every image first.
      stream: !(o.pcaNoise && o.pcaNoise > 0),
      onProgress: onProgress('train', !(o.pcaNoise && o.pcaNoise > 0)),
    });
    if (o.pcaNoise && o.pcaNoise > 0) {
      // The paper's PCA colour noise needs the training set's RGB principal components.
      const images = Array.from({ length: Math.min(train.size, 500) }, (_, i) => train.image(i));
      const pca = computeRgbPca(images, { maxPixelsPerImage: 2000, seed: o.seed });
      await train.close();
      train = await flowFromDirectory(trainDir, {
        targetSize: cacheSize,
        interpolation: o.resize,
        classMode,
        batchSize: o.batchSize,
        seed: o.seed,
        augment: { ...augment, pcaNoise: { ...pca, std: o.pcaNoise } },
        pool,
        followLinks: o.followLinks,
        onWarning: () => {},
        stream: true,
      });
    }
    let val: BatchLoader | null = null;
    if (existsSync(valDir)) {
      val = await flowFromDirectory(valDir, {
        targetSize: cacheSize,
        interpolation: o.resize,
        classMode,
        classes: train.classNames,
        batchSize: o.batchSize,
        shuffle: o.validationShuffle ?? true,
        seed: validationSeed(o.seed),
        augment: o.validationAugment ? augment : { rescale: o.augment.rescale, ...(crop ? { centerCrop: crop } : {}) },
        pool,
        followLinks: o.followLinks,
        onWarning: (m) => o.log(`warning: ${m}`),
        stream: true,
        onProgress: onProgress('validation', true),
      });
    } else {
      o.log(`warning: ${valDir} not found; training without validation`);
    }
    // As the validation images are seen, so the statistics match what inference gets.
    const bn = o.batchNormImages
      ? await flowFromDirectory(trainDir, {
          targetSize: cacheSize,
          interpolation: o.resize,
          classMode,
          classes: train.classNames,
          batchSize: o.batchSize,
          shuffle: true,
          seed: hashSeed(o.seed, 0xb4),
          augment: { rescale: o.augment.rescale, ...(crop ? { centerCrop: crop } : {}) },
          pool,
          followLinks: o.followLinks,
          onWarning: () => {}, // the training loader has said it
          stream: true,
        })
      : null;
    const nb = train.numBatchesPerEpoch;
    const trainLoader = train;
    const valLoader = val;
    const stream: BatchStream = withRegularisers(trainingStream(trainLoader), o, o.categorical ? train.classNames.length : 1);
    const validation: BatchSet | null = valLoader ? validationSet(valLoader) : null;
    return {
      classNames: [...train.classNames],
      trainCount: train.size,
      valCount: val?.size ?? 0,
      trainBatchesPerEpoch: nb,
      train: stream,
      validation,
      batchNorm: bn ? validationSet(bn) : null,
      trainLoader: train,
      async close() {
        await trainLoader.close();
        await bn?.close();
        await valLoader?.close();
        await pool.close();
      },
    };
  } catch (e) {
    await pool.close();
    if (e instanceof Error && (e.name === 'DatasetError' || e.message.includes('not found'))) throw new UserError(e.message);
    throw e;
  }
}

/**
 * Label smoothing and mixup on the training stream, after augmentation. Mixup's draws are
 * seeded by (seed, global batch), so a resumed run mixes as the uninterrupted one did.
 */
function withRegularisers(base: BatchStream, o: TrainingDataOptions, labelWidth: number): BatchStream {
  const eps = o.labelSmoothing ?? 0;
  const alpha = o.mixup ?? 0;
  if (eps === 0 && alpha === 0) return base;
  let g = 0;
  return {
    seek(globalBatch: number) {
      g = globalBatch;
      base.seek(globalBatch);
    },
    async next() {
      const b = await base.next();
      const k = g++;
      if (eps > 0) smoothLabels(b.y, eps, labelWidth);
      if (alpha > 0) mixupBatch(b.x, b.y, b.batchSize, alpha, new Rng(hashSeed(o.seed, k, 0x313)));
      return b;
    },
  };
}
