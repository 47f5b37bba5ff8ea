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

/**
 * Replaces every batch-norm layer's moving mean and variance with the average over
 * `batches` batches of `batchSize` inputs; `batch(k)` gives the k-th as NHWC floats.
 */
export async function updateBatchNorm(
  trainer: Trainer,
  batches: number,
  batchSize: number,
  batch: (k: number) => Float32Array | Promise<Float32Array>,
  onBatch?: (done: number) => void,
): Promise<void> {
  const layers = batchNormLayers(trainer.model);
  if (layers.length === 0) throw new Error('the model has no batch normalisation layers to update');
  if (!(Number.isInteger(batches) && batches >= 1)) throw new Error(`updateBatchNorm: batches must be a positive integer, got ${batches}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new Error(`updateBatchNorm: batch size must be at least 2, got ${batchSize}`);
  // As PyTorch's update_bn: start from the built values, so statistics that are not finite
  // (a diverged run) cannot survive the first batch's 0 · old term.
  for (const l of layers) l.resetMovingStatistics();
  for (let k = 0; k < batches; k++) {
    // Keras convention: moving = m·moving + (1 − m)·batch; m = k/(k+1) keeps the running
    // value the plain mean of the k+1 batches seen (m = 0 on the first: the old one is dropped).
    await trainer.batchNormStatisticsStep(await batch(k), batchSize, k / (k + 1));
    onBatch?.(k + 1);
  }
}
