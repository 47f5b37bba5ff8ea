// Train a small convnet on a folder of images, from your own script.
//
//   node train-image-folder.mjs [DATA_DIR [OUT_DIR]]
//
// DATA_DIR holds DATA_DIR/train/<class>/*.jpg|png and DATA_DIR/validation/<class>/* (Keras's
// flow_from_directory layout; classes are the sub-folders, sorted by name). With no arguments
// the example first writes a small two-class set (striped circles vs squares, JPEG) into a
// temporary folder, so it runs anywhere. The trained model is saved to OUT_DIR (default: a
// temporary folder) with a CSV log of its epochs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam, buildModel, createNodeContext, CsvLogFile, fit, flowFromDirectory, makeSyntheticDataset, ReduceLROnPlateau,
  saveModel, Trainer, trainingStream, validationSet, WorkerPool,
} from 'alexnet-webgpu';

const IMAGE_SIZE = 67; // the smallest input the AlexNet layout takes; 224 for real photos
const work = mkdtempSync(join(tmpdir(), 'alexnet-example-'));
let dataDir = process.argv[2];
const outDir = process.argv[3] ?? join(work, 'model');
if (!dataDir) {
  dataDir = (await makeSyntheticDataset({ dir: join(work, 'data'), size: IMAGE_SIZE, perClass: { train: 128, validation: 16, test: 8 } })).dir;
  console.log(`wrote sample images to ${dataDir}`);
}

// The data pipeline: decode once, then augment every epoch on worker threads.
const pool = new WorkerPool(2);
const common = { targetSize: IMAGE_SIZE, classMode: 'binary', batchSize: 8, seed: 1, pool };
const train = await flowFromDirectory(join(dataDir, 'train'), { ...common, augment: { rescale: 1 / 255, horizontalFlip: true, rotationRange: 10 } });
const validation = await flowFromDirectory(join(dataDir, 'validation'), { ...common, shuffle: false, classes: train.classNames, augment: { rescale: 1 / 255 } });
// The training images as validation sees them (no augmentation): batch norm's statistics are
// re-estimated from them at each epoch end. A short run leaves the moving averages far from
// the real statistics (momentum 0.99: after an epoch of 32 steps they have moved 28% of the way).
const batchNormImages = await flowFromDirectory(join(dataDir, 'train'), { ...common, classes: train.classNames, augment: { rescale: 1 / 255 } });
console.log(`classes: ${train.classNames.join(', ')}; ${train.size} training and ${validation.size} validation images`);

// A GPU context (Dawn's Node bindings), the model, its optimizer.
const ctx = await createNodeContext();
const modelOptions = { variant: 'tutorial', imageSize: IMAGE_SIZE, width: 0.125, classes: train.classNames.length };
const model = buildModel(modelOptions).build(ctx, 42);
const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-3 }));
console.log(model.summary());

const csv = CsvLogFile.open(join(work, 'log.csv'));
const result = await fit(trainer, trainingStream(train), validationSet(validation), {
  epochs: 3,
  stepsPerEpoch: train.numBatchesPerEpoch,
  seed: 1,
  batchNormUpdate: { data: validationSet(batchNormImages), batches: 16 },
  callbacks: [new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 1, verbose: 1 })],
  hooks: {
    onEpochEnd: (epoch, logs, summary) => {
      console.log(summary);
      csv.onEpochEnd(epoch, logs);
    },
    log: (message) => console.log(message),
  },
});

const preprocessing = { imageSize: IMAGE_SIZE, rescale: 1 / 255, resize: 'nearest' };
await saveModel(outDir, model, { modelOptions, classNames: train.classNames, preprocessing, step: result.position.globalStep });
const last = result.history.val_accuracy.at(-1);
console.log(`final val_accuracy: ${last.toFixed(4)}`);
console.log(`saved the model to ${outDir}; epoch log: ${csv.path}`);
await train.close();
await validation.close();
await batchNormImages.close();
await pool.close();
process.exit(0); // Dawn keeps the process alive while its GPU instance exists
