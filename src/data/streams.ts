/**
 * The data pipeline's loaders as the fit loop's inputs (platform-neutral: types only from the
 * loader): an endless, reshuffling training stream that can seek to any global batch (for
 * resume), and the endless validation sequence fit draws `validationSteps` batches of per
 * epoch (see BatchSet in nn/fit.ts).
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
      return { x: b.x, y: b.y, batchSize: b.shape[0], indices: b.indices };
    },
  };
}

/**
 * Validation batches from a loader: batch i of the endless sequence is batch i mod n of pass
 * ⌊i / n⌋, in that pass's order — a new seeded order each pass when the loader shuffles (as
 * Keras's flow_from_directory does by default), folder order every pass when it does not.
 */
export function validationSet(loader: BatchLoader): BatchSet {
  return {
    batches: () => loader.numBatchesPerEpoch,
    async batch(i: number) {
      const n = loader.numBatchesPerEpoch;
      const b = await loader.batchAt(Math.floor(i / n), i % n);
      return { x: b.x, y: b.y, batchSize: b.shape[0], indices: b.indices };
    },
  };
}
