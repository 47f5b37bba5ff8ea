/**
 * npm run evaluate -- --model DIR --data FOLDER — loss, accuracy and a confusion matrix
 * over a folder of class sub-folders (unreadable files are skipped with one warning).
 */
import { Command } from 'commander';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { nonFiniteOutput, openModel } from './lib/model.js';
import { Trainer } from '../src/nn/trainer.js';
import { probabilities } from '../src/nn/sequential.js';
import { listDirectory } from '../src/data/directory.js';
import { inputsFor, loadRgb } from './lib/images.js';
import { progress } from './lib/progress.js';

async function main(): Promise<number> {
  const cmd = new Command('evaluate')
    .description('Evaluate a saved model on a folder with one sub-folder per class.')
    .requiredOption('--model <dir>', 'model folder (e.g. runs/latest/best)')
    .requiredOption('--data <dir>', 'folder with one sub-folder per class (e.g. ../shared/datasets/cats_and_dogs/test)')
    .option('--ten-crop', 'average the predictions of 10 crops per image', false)
    .option('--batch-size <n>', 'images per forward pass', (v) => Number(v), 8)
    .option('--json', 'print the results as JSON', false)
    .option('--follow-links', 'enter symbolic links to folders inside class folders (as Keras, not by default)', false)
    .parse(process.argv);
  const o = cmd.opts<{ model: string; data: string; tenCrop: boolean; batchSize: number; json: boolean; followLinks: boolean }>();
  const ctx = await createNodeContext();
  const { model, manifest } = openModel(o.model, ctx);
  const names = manifest.classNames;
  let listing;
  try {
    listing = listDirectory(o.data, { followLinks: o.followLinks });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const dataNames = listing.classNames;
  if (dataNames.length !== names.length || dataNames.some((n, i) => n !== names[i])) {
    throw new UserError(`the data's classes (${dataNames.join(', ')}) differ from the model's (${names.join(', ')})`);
  }
  const trainer = new Trainer(ctx, model, null);
  const C = names.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let lossSum = 0;
  let seen = 0;
  const skipped: string[] = [];
  const files = listing.files;
  const bar = o.json ? null : progress('Evaluating', files.length, process.stderr);
  const per = o.tenCrop ? 10 : 1;
  const imagesPerBatch = Math.max(1, Math.floor(o.batchSize / per) || 1);
  for (let start = 0; start < files.length; start += imagesPerBatch) {
    const chunk = files.slice(start, start + imagesPerBatch);
    const views: Float32Array[] = [];
    const labels: number[] = [];
    const read: string[] = [];
    for (const f of chunk) {
      try {
        const v = inputsFor(loadRgb(f.path), manifest.preprocessing, o.tenCrop);
        views.push(...v);
        labels.push(f.label);
        read.push(f.relPath);
      } catch (e) {
        skipped.push(`${f.relPath} (${(e as Error).message})`);
      }
    }
    if (views.length > 0) {
      const x = new Float32Array(views.length * views[0]!.length);
      views.forEach((v, i) => x.set(v, i * v.length));
      const probs = probabilities(await trainer.logits(x, views.length), views.length, model.outputActivation);
      labels.forEach((label, i) => {
        const avg = new Float64Array(C);
        for (let k = 0; k < per; k++) for (let c = 0; c < C; c++) avg[c]! += probs[i * per + k]![c]! / per;
        // A NaN would count as class 0 and make the loss NaN: stop rather than report it.
        if (!avg.every(Number.isFinite)) throw new UserError(`${read[i]}: ${nonFiniteOutput(avg)}`);
        let best = 0;
        for (let c = 1; c < C; c++) if (avg[c]! > avg[best]!) best = c;
        confusion[label]![best]!++;
        // Cross-entropy as Keras computes it (probabilities clipped at 1e-7).
        lossSum += -Math.log(Math.min(Math.max(avg[label]!, 1e-7), 1 - 1e-7));
        seen++;
      });
    }
    bar?.update(Math.min(start + imagesPerBatch, files.length), `${seen} evaluated`);
  }
  bar?.stop();
  if (skipped.length > 0) console.error(`warning: skipped ${skipped.length} unreadable file(s):\n  ${skipped.join('\n  ')}`);
  if (seen === 0) throw new UserError(`no readable images in ${o.data}`);
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const result = { model: o.model, data: o.data, images: seen, skipped: skipped.length, loss: lossSum / seen, accuracy: correct / seen, classNames: names, confusion, tenCrop: o.tenCrop };
  if (o.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`images: ${seen}${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
    console.log(`loss: ${result.loss.toFixed(4)}`);
    console.log(`accuracy: ${result.accuracy.toFixed(4)}`);
    const w = Math.max(...names.map((n) => n.length), 8) + 2;
    console.log(`\nconfusion matrix (rows: true class, columns: predicted)`);
    console.log(''.padEnd(w) + names.map((n) => n.padStart(w)).join(''));
    confusion.forEach((row, i) => console.log(names[i]!.padEnd(w) + row.map((v) => String(v).padStart(w)).join('')));
  }
  return 0;
}

runMain(main);
