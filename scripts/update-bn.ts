/**
 * npm run update-bn -- --model DIR --data FOLDER --out DIR — re-estimates a saved model's
 * batch-norm moving statistics from un-augmented images ("precise BN", PyTorch's
 * swa_utils.update_bn; src/nn/update-bn.ts says why) and saves the model with them to a new
 * folder. The images are read as evaluate and predict read them (the model's preprocessing,
 * one centred view), in a seeded shuffled order that mixes the classes; the weights are
 * unchanged. The input model is never modified, and an existing --out is not replaced
 * without --force.
 */
import { relative, resolve } from 'node:path';
import { Command } from 'commander';
import { intAtLeast } from './lib/args.js';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { checkNewModelFolder, listFolderFor, openModel } from './lib/model.js';
import { Trainer } from '../src/nn/trainer.js';
import { batchNormLayerCount, updateBatchNorm } from '../src/nn/update-bn.js';
import { Rng, permutation } from '../src/data/prng.js';
import { readManifest, saveModel } from '../src/io/checkpoint.js';
import { inputsFor, loadRgb } from './lib/images.js';
import { progress } from './lib/progress.js';
import { packageVersion } from './lib/version.js';

interface Opts {
  model: string;
  data: string;
  out: string;
  images: number;
  batchSize?: number;
  seed: number;
  force: boolean;
  followLinks: boolean;
}

async function main(): Promise<number> {
  const cmd = new Command('update-bn')
    .description("Re-estimate a model's batch-norm moving statistics from un-augmented images and save it to a new folder.")
    .version(packageVersion())
    .requiredOption('--model <dir>', 'model folder (e.g. runs/latest/model) (required)')
    .requiredOption('--data <dir>', 'folder with one sub-folder per class: the training photos (e.g. ../shared/datasets/cats_and_dogs/train) (required)')
    .requiredOption('--out <dir>', 'new folder for the updated model (required)')
    .option('--images <n>', 'images to average the statistics over (whole batches; fewer if the folder has fewer)', intAtLeast(2), 800)
    .option('--batch-size <n>', "images per batch (default: the model's training batch size, else 8)", intAtLeast(2))
    .option('--seed <n>', 'seed of the shuffled order the images are taken in', intAtLeast(0), 1)
    .option('--force', 'replace the model files in a non-empty --out', false)
    .option('--follow-links', 'enter symbolic links to folders inside class folders (as Keras, not by default)', false)
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<Opts>();
  checkNewModelFolder(o.out, [o.model], o.force);
  let manifest;
  try {
    manifest = readManifest(o.model);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const listing = listFolderFor(o.data, manifest.classNames, o.followLinks);
  const trained = manifest.training?.batchSize;
  const batchSize = o.batchSize ?? (typeof trained === 'number' && trained >= 2 ? trained : 8);
  const batches = Math.floor(Math.min(o.images, listing.files.length) / batchSize);
  if (batches < 1) throw new UserError(`${o.data} has ${listing.files.length} image(s): fewer than one batch of ${batchSize}`);

  const ctx = await createNodeContext();
  const { model } = openModel(o.model, ctx);
  const layers = batchNormLayerCount(model);
  if (layers === 0) throw new UserError(`${o.model} has no batch normalisation layers: there are no statistics to update`);

  // A seeded shuffle mixes the classes (the folder lists them one after the other); an
  // unreadable file is skipped and the next one taken, so every batch is whole.
  const order = permutation(listing.files.length, new Rng(o.seed));
  let next = 0;
  const skipped: string[] = [];
  const view = (): Float32Array => {
    while (next < order.length) {
      const f = listing.files[order[next++]!]!;
      try {
        return inputsFor(loadRgb(f.path), manifest.preprocessing, false)[0]!;
      } catch (e) {
        skipped.push(`${f.relPath} (${(e as Error).message})`);
      }
    }
    throw new UserError(`${o.data}: too few readable images for ${batches} batch(es) of ${batchSize} (${skipped.length} unreadable)`);
  };
  const trainer = new Trainer(ctx, model, null);
  const bar = progress('Updating batch-norm statistics', batches, process.stderr);
  await updateBatchNorm(
    trainer,
    batches,
    () => {
      const views = Array.from({ length: batchSize }, view);
      const x = new Float32Array(batchSize * views[0]!.length);
      views.forEach((v, i) => x.set(v, i * v.length));
      return { x, batchSize };
    },
    (done) => bar.update(done, `${done * batchSize} images`),
  );
  bar.stop();
  if (skipped.length > 0) console.error(`warning: skipped ${skipped.length} unreadable file(s):\n  ${skipped.join('\n  ')}`);

  const { format: _f, model: _m, savedAt: _s, ...kept } = manifest;
  const data = relative(process.cwd(), resolve(o.data)) || '.';
  await saveModel(o.out, model, { ...kept, batchNormUpdate: { data, images: batches * batchSize, batchSize, seed: o.seed } });
  console.log(`Updated the moving statistics of ${layers} batch-norm layer(s) from ${batches * batchSize} images of ${o.data} (${batches} batches of ${batchSize}); saved to ${o.out}`);
  return 0;
}

runMain(main);
