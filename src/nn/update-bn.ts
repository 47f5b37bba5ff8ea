/**
 * Re-estimating batch normalisation's moving statistics from data ("precise BN"; PyTorch's
 * `torch.optim.swa_utils.update_bn`). During training the moving statistics are an
 * exponential average (momentum 0.99) over recent *augmented* batches, taken while the weights
 * move; at a high learning rate, or when augmentation shifts the images' statistics, they no
 * longer match what the final weights produce on un-augmented images, and inference-mode
 * accuracy falls below training-mode accuracy. Running the model in training mode over batches
 * with momentum k/(k+1) on the k-th batch replaces them with the plain average of those
 * batches' statistics: the mean of the batch means and of the (unbiased) batch variances.
 * Nothing else changes: no gradient, no weight update. Platform-neutral.
 */
import { BatchNorm } from './layers/batchnorm.js';
import type { Sequential } from './sequential.js';
import type { Trainer } from './trainer.js';

/** How a model's statistics were re-estimated, as model.json records it. */
export interface BatchNormUpdate {
  /** The image folder, as the user named it (relative paths stay relative). */
  data: string;
  images: number;
  batchSize: number;
  seed: number;
}

function batchNormLayers(model: Sequential): BatchNorm[] {
  return model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
}

export function batchNormLayerCount(model: Sequential): number {
  return batchNormLayers(model).length;
}

/** One batch of inputs, NHWC floats. */
export interface InputBatch {
  x: Float32Array;
  batchSize: number;
}

/**
 * Replaces every batch-norm layer's moving mean and variance with the average over `batches`
 * batches (each weighing the same; one of a single image is left out); `batch(k)` gives the k-th.
 */
export async function updateBatchNorm(
  trainer: Trainer,
  batches: number,
  batch: (k: number) => InputBatch | Promise<InputBatch>,
  onBatch?: (done: number) => void,
): Promise<void> {
  const layers = batchNormLayers(trainer.model);
  if (layers.length === 0) throw new Error('the model has no batch normalisation layers to update');
  if (!(Number.isInteger(batches) && batches >= 1)) throw new Error(`updateBatchNorm: batches must be a positive integer, got ${batches}`);
  // As PyTorch's update_bn: start from the built values, so statistics that are not finite
  // (a diverged run) cannot survive the first batch's 0 · old term.
  for (const l of layers) l.resetMovingStatistics();
  let used = 0;
  for (let k = 0; k < batches; k++) {
    const b = await batch(k);
    // A pass's last batch can hold one image, whose variance over a dense layer's batch is
    // undefined: it is left out.
    if (b.batchSize >= 2) {
      // Keras convention: moving = m·moving + (1 − m)·batch; m = n/(n+1) keeps the running
      // value the plain mean of the n+1 batches used (m = 0 on the first: the old one is dropped).
      await trainer.batchNormStatisticsStep(b.x, b.batchSize, used / (used + 1));
      used++;
    }
    onBatch?.(k + 1);
  }
  if (used === 0) throw new Error('updateBatchNorm: no batch of at least 2 images');
}
