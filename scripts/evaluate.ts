/**
 * npm run evaluate -- --model DIR --data FOLDER — loss, accuracy, scikit-learn's classification
 * report (per-class precision, recall, F1, support; macro and weighted averages), the ROC AUC
 * of a two-class model and the confusion matrix (as text, and as a PNG with --confusion-png)
 * over a folder of class sub-folders. Unreadable files are skipped with one warning.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { intAtLeast } from './lib/args.js';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { listFolderFor, nonFiniteOutput, openModel } from './lib/model.js';
import { Trainer } from '../src/nn/trainer.js';
import { probabilities } from '../src/nn/sequential.js';
import { classificationReport, classificationReportDict, formatClassificationReport, rocAuc } from '../src/nn/metrics.js';
import { renderConfusionMatrix } from '../src/io/confusion-plot.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { inputsFor, loadRgb } from './lib/images.js';
import { progress } from './lib/progress.js';
import { packageVersion } from './lib/version.js';

const positiveInt = intAtLeast(1);

interface Opts {
  model?: string;
  data: string;
  tenCrop?: boolean;
  batchSize: number;
  json: boolean;
  confusionPng?: string;
  digits: number;
  followLinks: boolean;
}

/** Per image: its true class, the averaged class probabilities of its views. */
interface Scored {
  label: number;
  probs: Float64Array;
}

async function scoreFolder(o: Opts): Promise<{ names: string[]; scored: Scored[]; skipped: string[]; tenCrop: boolean }> {
  const ctx = await createNodeContext();
  const { model, manifest } = openModel(o.model!, ctx);
  const tenCrop = o.tenCrop ?? manifest.evaluation?.tenCrop ?? false;
  const names = manifest.classNames;
  const listing = listFolderFor(o.data, names, o.followLinks);
  const trainer = new Trainer(ctx, model, null);
  const C = names.length;
  const scored: Scored[] = [];
  const skipped: string[] = [];
  const files = listing.files;
  const bar = o.json ? null : progress('Evaluating', files.length, process.stderr);
  const per = tenCrop ? 10 : 1;
  const imagesPerBatch = Math.max(1, Math.floor(o.batchSize / per) || 1);
  for (let start = 0; start < files.length; start += imagesPerBatch) {
    const views: Float32Array[] = [];
    const labels: number[] = [];
    const read: string[] = [];
    for (const f of files.slice(start, start + imagesPerBatch)) {
      try {
        views.push(...inputsFor(loadRgb(f.path), manifest.preprocessing, tenCrop));
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
        scored.push({ label, probs: avg });
      });
    }
    bar?.update(Math.min(start + imagesPerBatch, files.length), `${scored.length} evaluated`);
  }
  bar?.stop();
  return { names, scored, skipped, tenCrop };
}

async function main(): Promise<number> {
  const cmd = new Command('evaluate')
    .description('Evaluate a saved model on a folder with one sub-folder per class.')
    .version(packageVersion())
    .requiredOption('--model <dir>', 'model folder (e.g. runs/latest/best) (required)')
    .requiredOption('--data <dir>', 'folder with one sub-folder per class (e.g. ../shared/datasets/cats_and_dogs/test) (required)')
    .option('--ten-crop', "average the predictions of 10 crops per image; default: as the model's model.json says")
    .option('--no-ten-crop', 'one centred view per image, even for a model meant for ten crops')
    .option('--batch-size <n>', 'images per forward pass', positiveInt, 8)
    .option('--confusion-png <file>', 'also draw the confusion matrix into this PNG file')
    .option('--digits <n>', 'decimals in the classification report', positiveInt, 2)
    .option('--json', 'print the results as JSON', false)
    .option('--follow-links', 'enter symbolic links to folders inside class folders (as Keras, not by default)', false)
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<Opts>();
  if (o.confusionPng) {
    const dir = dirname(resolve(o.confusionPng));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--confusion-png: folder ${dir} does not exist`);
  }
  const { names, scored, skipped, tenCrop } = await scoreFolder(o);
  if (skipped.length > 0) console.error(`warning: skipped ${skipped.length} unreadable file(s):\n  ${skipped.join('\n  ')}`);
  if (scored.length === 0) throw new UserError(`no readable images in ${o.data}`);

  const C = names.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let lossSum = 0;
  for (const { label, probs } of scored) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[c]! > probs[best]!) best = c;
    confusion[label]![best]!++;
    // Cross-entropy as Keras computes it (probabilities clipped at 1e-7).
    lossSum += -Math.log(Math.min(Math.max(probs[label]!, 1e-7), 1 - 1e-7));
  }
  const seen = scored.length;
  const report = classificationReport(confusion, names);
  // Two classes: the second (sorted) class is the positive one, as Keras's binary labels are.
  const auc = C === 2 ? rocAuc(scored.map((s) => s.label), scored.map((s) => s.probs[1]!)) : NaN;
  if (o.confusionPng) {
    const subtitle = `accuracy ${report.accuracy.toFixed(4)} (${seen} images)`;
    await writeFileAtomic(o.confusionPng, renderConfusionMatrix({ confusion, classNames: names, subtitle }));
  }
  const result = {
    model: o.model,
    data: o.data,
    images: seen,
    skipped: skipped.length,
    loss: lossSum / seen,
    accuracy: report.accuracy,
    classNames: names,
    confusion,
    report: classificationReportDict(report),
    rocAuc: Number.isFinite(auc) ? auc : null,
    positiveClass: C === 2 ? names[1] : null,
    tenCrop,
    confusionPng: o.confusionPng ?? null,
  };
  if (o.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(`images: ${seen}${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
  console.log(`loss: ${result.loss.toFixed(4)}`);
  console.log(`accuracy: ${result.accuracy.toFixed(4)}`);
  if (C === 2) console.log(`ROC AUC (${names[1]} positive): ${Number.isFinite(auc) ? auc.toFixed(4) : 'undefined (the data has one class only)'}`);
  console.log(`\n${formatClassificationReport(report, o.digits)}`);
  const w = Math.max(...names.map((n) => n.length), 8) + 2;
  console.log(`confusion matrix (rows: true class, columns: predicted)`);
  console.log(''.padEnd(w) + names.map((n) => n.padStart(w)).join(''));
  confusion.forEach((row, i) => console.log(names[i]!.padEnd(w) + row.map((v) => String(v).padStart(w)).join('')));
  if (o.confusionPng) console.log(`\nconfusion matrix chart: ${o.confusionPng}`);
  return 0;
}

runMain(main);
