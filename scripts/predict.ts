/**
 * npm run predict -- --model DIR IMAGE... — the class name and probability of each image,
 * one line each. An unreadable image is reported on its own line; the rest still answer.
 */
import { packageVersion } from './lib/version.js';
import { Command } from 'commander';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { Trainer } from '../src/nn/trainer.js';
import { probabilities } from '../src/nn/sequential.js';
import { inputsFor, loadRgb } from './lib/images.js';
import { nonFiniteOutput, openModel, shippedModel } from './lib/model.js';
import { relative } from 'node:path';
import { defaultModelDir } from '../src/data/paths.js';

async function main(): Promise<number> {
  const cmd = new Command('predict')
    .version(packageVersion())
    .description('Classify images with a model saved by npm run train.')
    .option('--model <dir>', `model folder (e.g. runs/latest/best); default: the shipped model (models/cats-dogs-best, else models/cats-dogs-tutorial; now ${relative(process.cwd(), defaultModelDir()) || defaultModelDir()})`)
    .option('--ten-crop', "average the predictions of 10 crops (corners, centre and mirrors); default: as the model's model.json says")
    .option('--no-ten-crop', 'one centred view, even for a model meant for ten crops')
    .option('--json', 'print one JSON object per image', false)
    .argument('<images...>', 'image files (JPEG or PNG)')
    .parse(process.argv);
  const o = cmd.opts<{ model?: string; tenCrop?: boolean; json: boolean }>();
  const files = cmd.args;
  const ctx = await createNodeContext();
  const { model, manifest } = openModel(o.model ?? shippedModel(), ctx);
  const tenCrop = o.tenCrop ?? manifest.evaluation?.tenCrop ?? false;
  const trainer = new Trainer(ctx, model, null);
  const names = manifest.classNames;
  let failures = 0;
  for (const file of files) {
    try {
      const views = inputsFor(loadRgb(file), manifest.preprocessing, tenCrop);
      const x = new Float32Array(views.length * views[0]!.length);
      views.forEach((v, i) => x.set(v, i * v.length));
      const logits = await trainer.logits(x, views.length);
      const probs = probabilities(logits, views.length, model.outputActivation);
      const avg = new Float64Array(names.length);
      for (const p of probs) for (let c = 0; c < names.length; c++) avg[c]! += p[c]! / probs.length;
      // Never print NaN as a prediction: weights that overflow give NaN even when each is finite.
      if (!avg.every(Number.isFinite)) throw new Error(nonFiniteOutput(avg));
      let best = 0;
      for (let c = 1; c < names.length; c++) if (avg[c]! > avg[best]!) best = c;
      if (o.json) {
        console.log(JSON.stringify({ file, class: names[best], probability: avg[best], probabilities: Object.fromEntries(names.map((n, c) => [n, avg[c]])) }));
      } else {
        console.log(`${file}: ${names[best]} (${(avg[best]! * 100).toFixed(1)}%)`);
      }
    } catch (e) {
      failures++;
      if (o.json) console.log(JSON.stringify({ file, error: (e as Error).message }));
      else console.log(`${file}: error: ${(e as Error).message}`);
    }
  }
  return failures > 0 ? 1 : 0;
}

runMain(main);
