// Classify photos with a saved model.
//
//   node classify-photo.mjs [MODEL_DIR PHOTO...]
//
// MODEL_DIR is a folder saved by saveModel (or by `npm run train`: runs/NAME/best): weights in
// model.safetensors, architecture, class names and preprocessing in model.json. With no
// arguments the example first makes one — it writes a small two-class image set to a temporary
// folder, trains a tiny AlexNet on it for a few seconds and saves it — then classifies that
// set's test photos with the saved model.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Adam, buildModel, createNodeContext, fit, flowFromDirectory, inputsFor, loadModel, makeSyntheticDataset, probabilities,
  readImageFile, saveModel, Trainer, trainingStream, validationSet,
} from 'alexnet-webgpu';

const ctx = await createNodeContext();
let [modelDir, ...photos] = process.argv.slice(2);

if (!modelDir) {
  const work = mkdtempSync(join(tmpdir(), 'alexnet-example-'));
  const data = (await makeSyntheticDataset({ dir: join(work, 'data'), size: 67, perClass: { train: 128, validation: 1, test: 4 } })).dir;
  const common = { targetSize: 67, classMode: 'binary', batchSize: 8, seed: 1 };
  const train = await flowFromDirectory(join(data, 'train'), { ...common, augment: { rescale: 1 / 255, horizontalFlip: true, rotationRange: 10 } });
  // Un-augmented, for re-estimating batch norm's statistics at each epoch end (a run this short
  // leaves its moving averages far from the real statistics).
  const plain = await flowFromDirectory(join(data, 'train'), { ...common, augment: { rescale: 1 / 255 } });
  const modelOptions = { variant: 'tutorial', imageSize: 67, width: 0.125, classes: 2 };
  const model = buildModel(modelOptions).build(ctx, 42);
  const trained = await fit(new Trainer(ctx, model, new Adam({ lr: 1e-3 })), trainingStream(train), null, {
    epochs: 3, stepsPerEpoch: train.numBatchesPerEpoch, seed: 1, batchNormUpdate: { data: validationSet(plain), batches: 16 },
  });
  modelDir = join(work, 'model');
  await saveModel(modelDir, model, {
    modelOptions, classNames: train.classNames, preprocessing: { imageSize: 67, rescale: 1 / 255, resize: 'nearest' }, step: trained.position.globalStep,
  });
  await train.close();
  await plain.close();
  model.dispose();
  console.log(`trained and saved a model to ${modelDir}`);
  for (const c of train.classNames) for (const f of readdirSync(join(data, 'test', c))) photos.push(join(data, 'test', c, f));
}

// The part you would keep: load the model, preprocess each photo as it was trained, predict.
const { model, manifest } = loadModel(modelDir, ctx);
const trainer = new Trainer(ctx, model, null);
for (const photo of photos) {
  const [x] = inputsFor(readImageFile(photo), manifest.preprocessing, false); // resize + rescale, NHWC float32
  const [p] = probabilities(await trainer.logits(x, 1), 1, model.outputActivation);
  const best = p[1] > p[0] ? 1 : 0;
  console.log(`${photo}: ${manifest.classNames[best]} (${(100 * p[best]).toFixed(1)}%)`);
}
process.exit(0); // Dawn keeps the process alive while its GPU instance exists
