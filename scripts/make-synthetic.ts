/**
 * Generates the synthetic two-class dataset (circles vs squares, JPEG) used by the default
 * training run and the tests. Idempotent: does nothing when a matching one exists.
 *
 *   npx tsx scripts/make-synthetic.ts [--dir datasets/synthetic] [--seed 1234] [--image-size 96]
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SYNTHETIC_DEFAULTS, makeSyntheticDataset } from '../src/data/synthetic.js';
import { syntheticDir } from '../src/data/paths.js';
import { packageVersion } from './lib/version.js';

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const d = SYNTHETIC_DEFAULTS;
const o = new Command()
  .name('make-synthetic')
  .version(packageVersion())
  .description('Generate the synthetic circles-vs-squares dataset (deterministic in --seed).')
  .option('--dir <dir>', 'output folder', syntheticDir())
  .option('--seed <n>', 'seed', int, d.seed)
  .option('--image-size <px>', 'image side in pixels', int, d.size)
  .addOption(new Option('--size <px>').argParser(int).hideHelp())
  .option('--train <n>', 'training images per class', int, d.perClass.train)
  .option('--validation <n>', 'validation images per class', int, d.perClass.validation)
  .option('--test <n>', 'test images per class', int, d.perClass.test)
  .option('--quality <q>', 'JPEG quality', int, d.quality)
  .option('--force', 'regenerate even if a matching dataset exists', false)
  .showHelpAfterError()
  .parse()
  .opts<{ dir: string; seed: number; imageSize: number; size?: number; train: number; validation: number; test: number; quality: number; force: boolean }>();

try {
  const t0 = performance.now();
  const r = await makeSyntheticDataset({
    dir: o.dir, seed: o.seed, size: o.size ?? o.imageSize, quality: o.quality, force: o.force,
    perClass: { train: o.train, validation: o.validation, test: o.test },
  });
  const m = r.manifest;
  const what = `${m.classes.join(' / ')}, ${m.perClass.train}/${m.perClass.validation}/${m.perClass.test} per class, ${m.size}×${m.size}, seed ${m.seed}`;
  console.log(r.generated ? `generated ${r.dir} (${what}) in ${((performance.now() - t0) / 1000).toFixed(1)} s` : `up to date: ${r.dir} (${what})`);
} catch (e) {
  console.error(`make-synthetic: ${(e as Error).message}`);
  process.exit(1);
}
