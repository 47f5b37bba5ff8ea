/**
 * npm run average -- --model DIR --model DIR [...] --out DIR — one model whose weights are the
 * uniform average of several saved models of the same architecture (stochastic weight
 * averaging; src/io/average-weights.ts says when it helps). Typically the epoch-end checkpoints
 * of a run's last epochs; then re-estimate batch norm's statistics: npm run update-bn. The
 * output's model.json is the newest input's, with `averagedFrom` listing the inputs and their
 * steps. No GPU needed. An existing --out is not replaced without --force.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { UserError, runMain } from '../src/platform/node-gpu.js';
import { AverageError, averageStates } from '../src/io/average-weights.js';
import { CheckpointError, readManifest } from '../src/io/checkpoint.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { checkNewModelFolder } from './lib/model.js';
import { packageVersion } from './lib/version.js';

interface Opts {
  model: string[];
  out: string;
  force: boolean;
}

async function main(): Promise<number> {
  const cmd = new Command('average')
    .description('Average the weights of several saved models of one architecture (stochastic weight averaging) into a new folder.')
    .version(packageVersion())
    .requiredOption('--model <dir>', 'a model folder (give two or more; e.g. the last epochs\' checkpoints)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('--out <dir>', 'new folder for the averaged model (required)')
    .option('--force', 'replace the model files in a non-empty --out', false)
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<Opts>();
  if (o.model.length < 2) throw new UserError('--model: give two or more model folders to average');
  checkNewModelFolder(o.out, o.model, o.force);
  const out = resolve(o.out);
  const inputs = o.model.map((dir) => {
    try {
      return { dir, manifest: readManifest(dir) };
    } catch (e) {
      if (e instanceof CheckpointError) throw new UserError(e.message);
      throw e;
    }
  });
  const arch = (m: (typeof inputs)[number]) => JSON.stringify([m.manifest.model, m.manifest.classNames, m.manifest.preprocessing]);
  const other = inputs.find((m) => arch(m) !== arch(inputs[0]!));
  if (other) throw new UserError(`${other.dir} is another architecture, class list or preprocessing than ${inputs[0]!.dir}: only models of one run can be averaged`);
  const newest = inputs.reduce((a, b) => (b.manifest.step > a.manifest.step ? b : a));
  let bytes;
  try {
    bytes = averageStates(
      inputs.map((m) => {
        const file = join(m.dir, 'model.safetensors');
        if (!existsSync(file)) throw new UserError(`weights not found: ${file}`);
        return { bytes: readFileSync(file), what: file };
      }),
      newest.manifest.step,
    );
  } catch (e) {
    if (e instanceof AverageError) throw new UserError(e.message);
    throw e;
  }
  const rel = (p: string) => relative(process.cwd(), resolve(p)) || '.';
  const manifest = {
    ...newest.manifest,
    savedAt: new Date().toISOString(),
    averagedFrom: inputs.map((m) => ({ model: rel(m.dir), step: m.manifest.step })),
  };
  // Weights first, then the description that names their step (as saveModel does).
  mkdirSync(out, { recursive: true });
  await writeFileAtomic(join(out, 'model.safetensors'), bytes);
  await writeFileAtomic(join(out, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`Averaged ${inputs.length} models (steps ${inputs.map((m) => m.manifest.step).join(', ')}) into ${o.out}`);
  if (manifest.model.layers.some((l) => l.type === 'BatchNorm')) {
    console.log(`It has batch norm: re-estimate its statistics for the averaged weights: npm run update-bn -- --model ${o.out} --data TRAIN_FOLDER --out ${o.out}-bn`);
  }
  return 0;
}

runMain(main);
