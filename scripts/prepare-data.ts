/**
 * Builds the tutorial's small cats-vs-dogs split from Kaggle's "Dogs vs. Cats" train folder:
 *
 *   npm run prepare-data -- --src ~/Downloads/train --dest datasets/cats_and_dogs_small
 *
 * Takes cat.N.jpg / dog.N.jpg in order of N: 1000 + 1000 train, 500 + 500 validation,
 * 500 + 500 test by default, copied into DEST/{train,validation,test}/{cats,dogs}; then
 * `npm run train -- --data DEST`. The output folder is `--dest`, not `--out`, because train's
 * `--out` is a run folder; `--out` still works here as an old spelling of `--dest`.
 * `--force` replaces existing split folders, but never one that is or holds the source.
 * (The project's tests and benchmarks use the ready-made split in ../shared/datasets instead.)
 */
import { packageVersion } from './lib/version.js';
import { Command, InvalidArgumentError } from 'commander';
import { prepareKaggleSplit } from '../src/data/kaggle.js';

const DEFAULT_DEST = 'datasets/cats_and_dogs_small';

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command()
  .version(packageVersion())
  .name('prepare-data')
  .description("Split Kaggle's Dogs vs. Cats train folder into train / validation / test folders (copies files).")
  .requiredOption('--src <dir>', "Kaggle's extracted train folder (cat.0.jpg … dog.12499.jpg) (required)")
  .option('--dest <dir>', 'dataset folder to create (then: npm run train -- --data DIR)', DEFAULT_DEST)
  .option('--out <dir>', 'old name of --dest (deprecated)')
  .option('--train <n>', 'training images per class', count, 1000)
  .option('--validation <n>', 'validation images per class', count, 500)
  .option('--test <n>', 'test images per class', count, 500)
  .option('--force', 'replace existing train / validation / test folders in --dest (never the source)', false)
  .showHelpAfterError();

const o = program.parse().opts<{ src: string; dest: string; out?: string; train: number; validation: number; test: number; force: boolean }>();
const destGiven = program.getOptionValueSource('dest') === 'cli';
if (o.out !== undefined && destGiven && o.out !== o.dest) {
  console.error(`prepare-data: --out is the old name of --dest; give one of them, not both (got --dest ${o.dest} and --out ${o.out})`);
  process.exit(1);
}
try {
  const r = prepareKaggleSplit({ ...o, out: o.out ?? o.dest });
  for (const s of ['train', 'validation', 'test'] as const) {
    const c = r.counts[s];
    const g = r.ranges[s];
    console.log(`${s.padEnd(10)} cats ${String(c.cats).padStart(5)} (cat.${g.cats[0]}–${g.cats[1]})   dogs ${String(c.dogs).padStart(5)} (dog.${g.dogs[0]}–${g.dogs[1]})`);
  }
  console.log(`written to ${r.out}`);
} catch (e) {
  console.error(`prepare-data: ${(e as Error).message}`);
  process.exit(1);
}
