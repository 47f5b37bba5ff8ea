/**
 * A short training on the real photos (../shared/datasets/cats_and_dogs, or
 * $CATS_AND_DOGS_DIR) through the same path as `npm run train`: the data pipeline with the
 * tutorial's augmentation, the tutorial network (half width, 112×112 so it fits in CI's
 * minutes), Adam, the fit loop with batch norm re-estimated at each epoch end. It must beat
 * chance on the 1000 validation photos.
 *
 * Bound: with 1000 validation images a chance classifier scores 0.5 ± 0.016 (one standard
 * deviation), so 0.56 is more than 3.5σ above chance.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catsAndDogsDir } from '../../src/data/paths.js';
import { fit } from '../../src/nn/fit.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { openTrainingData } from '../../scripts/lib/data.js';
import { gpu } from '../helpers.js';

const SIZE = 112;
const EPOCHS = Number(process.env.REAL_EPOCHS ?? 4);

describe('real photos', () => {
  it(`the tutorial recipe beats chance on validation after ${EPOCHS} short epochs`, async () => {
    const dir = catsAndDogsDir();
    if (!existsSync(join(dir, 'train'))) {
      throw new Error(`the real photos are missing: ${dir} (set CATS_AND_DOGS_DIR to their folder)`);
    }
    const ctx = await gpu();
    const data = await openTrainingData({
      dir,
      imageSize: SIZE,
      batchSize: 8,
      seed: 1,
      resize: 'nearest',
      augment: { rescale: 1 / 255, rotationRange: 15, widthShiftRange: 0.1, heightShiftRange: 0.1, shearRange: 0.1, zoomRange: 0.2, horizontalFlip: true, fillMode: 'nearest' },
      categorical: false,
      batchNormImages: true,
      log: () => {},
    });
    try {
      expect(data.classNames).toEqual(['cats', 'dogs']);
      expect(data.trainCount).toBe(2000);
      expect(data.valCount).toBe(1000);
      const model = buildModel({ variant: 'tutorial', imageSize: SIZE, width: 0.5 }).build(ctx, 1);
      const trainer = new Trainer(ctx, model, new Adam({ lr: 2e-4 }));
      // Batch norm's statistics re-estimated before each validation (as `train --update-bn`):
      // after a few short epochs the moving averages still lag the weights, and validation
      // then sat at 0.5 (one class for every photo) for 3 of 4 epochs.
      const batchNormUpdate = { data: data.batchNorm!, batches: 50 };
      const { history } = await fit(trainer, data.train, data.validation, { epochs: EPOCHS, stepsPerEpoch: data.trainBatchesPerEpoch, seed: 1, batchNormUpdate });
      const best = Math.max(...history.val_accuracy);
      console.log(`real photos, ${SIZE}×${SIZE}: ${JSON.stringify(history)}`);
      expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]!);
      expect(best).toBeGreaterThan(0.56);
      trainer.dispose();
      model.dispose();
    } finally {
      await data.close();
    }
  }, 1_200_000);
});
