/**
 * The data pipeline's loaders as the fit loop's inputs (platform-neutral: types only from the
 * loader): an endless, reshuffling training stream that can seek to any global batch (for
 * resume), and an unshuffled validation pass.
 */
import type { BatchSet, BatchStream } from '../nn/fit.js';
import type { BatchLoader } from './loader.js';

/** Training batches from a loader: epoch after epoch, in the loader's seeded order. */
export function trainingStream(loader: BatchLoader): BatchStream {
  return {
    seek(globalBatch: number) {
      const nb = loader.numBatchesPerEpoch;
      loader.restore({ seed: loader.seed, epoch: Math.floor(globalBatch / nb), step: globalBatch % nb, size: loader.size });
    },
    async next() {
      const b = await loader.nextBatch();
      return { x: b.x, y: b.y, batchSize: b.shape[0] };
    },
  };
}

/** Validation batches from a loader: epoch 0's order (make the loader with `shuffle: false`). */
export function validationSet(loader: BatchLoader): BatchSet {
  return {
    batches: () => loader.numBatchesPerEpoch,
    async batch(i: number) {
      const b = await loader.batchAt(0, i);
      return { x: b.x, y: b.y, batchSize: b.shape[0] };
    },
  };
}
