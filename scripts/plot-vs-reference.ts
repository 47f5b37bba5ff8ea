/**
 * npm run plot-vs-reference -- --history runs/x/history.json [--history runs/y/history.json]
 *   [--label ours] [--reference ../shared/reference/pytorch-tutorial-recipe] --out docs/training/x
 *
 * Our runs' per-epoch curves and the PyTorch reference runs' (its CSVs: train_acc,
 * val1000_acc, train_loss, val1000_loss) on the same axes: accuracy.png and loss.png.
 */
import { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { renderLineChart, type LineSeries } from '../src/io/plot.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { UserError, runMain } from '../src/platform/node-gpu.js';
import { packageVersion } from './lib/version.js';

interface Curves {
  name: string;
  epoch: number[];
  acc: number[];
  valAcc: number[];
  loss: number[];
  valLoss: number[];
}

function readHistory(file: string, name: string): Curves {
  if (!existsSync(file)) throw new UserError(`--history: ${file} not found`);
  const h = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number[]>;
  if (!Array.isArray(h.epoch)) throw new UserError(`--history: ${file} is not a history.json written by npm run train`);
  return { name, epoch: h.epoch, acc: h.accuracy ?? [], valAcc: h.val_accuracy ?? [], loss: h.loss ?? [], valLoss: h.val_loss ?? [] };
}

function readReference(file: string): Curves {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = head!.split(',');
  const col = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new UserError(`${file}: no column ${name}`);
    return rows.map((r) => Number(r.split(',')[i]));
  };
  return { name: `PyTorch ${basename(file, '.csv')}`, epoch: col('epoch'), acc: col('train_acc'), valAcc: col('val1000_acc'), loss: col('train_loss'), valLoss: col('val1000_loss') };
}

async function main(): Promise<number> {
  const cmd = new Command('plot-vs-reference')
    .version(packageVersion())
    .description('Plot training histories against the PyTorch reference runs on the same axes.')
    .requiredOption('--history <file...>', 'history.json of a run (repeat for several) (required)')
    .option('--label <name...>', 'legend name of each --history (default: its folder)')
    .option('--reference <dir>', 'folder of reference CSVs', '../shared/reference/pytorch-tutorial-recipe')
    .requiredOption('--out <dir>', 'folder for accuracy.png and loss.png (required)')
    .parse(process.argv);
  const o = cmd.opts<{ history: string[]; label?: string[]; reference: string; out: string }>();
  const ours = o.history.map((f, i) => readHistory(resolve(f), o.label?.[i] ?? basename(resolve(f, '..'))));
  const refDir = resolve(o.reference);
  if (!existsSync(refDir)) throw new UserError(`--reference: ${o.reference} not found`);
  const refs = readdirSync(refDir).filter((f) => f.endsWith('.csv')).sort().map((f) => readReference(join(refDir, f)));
  const series = (pick: (c: Curves) => [number[], number[]], label: [string, string]): LineSeries[] => [
    ...ours.flatMap((c) => [
      { name: `${c.name} ${label[0]}`, x: c.epoch, y: pick(c)[0], marker: 'none' as const },
      { name: `${c.name} ${label[1]}`, x: c.epoch, y: pick(c)[1], marker: 'none' as const },
    ]),
    ...refs.flatMap((c) => [
      // The reference runs in two muted colours (train, val), so ours stand out.
      { name: `${c.name} ${label[0]}`, x: c.epoch, y: pick(c)[0], dashed: true, marker: 'none' as const, lineWidth: 1.5, color: '#9aa5b1' },
      { name: `${c.name} ${label[1]}`, x: c.epoch, y: pick(c)[1], dashed: true, marker: 'none' as const, lineWidth: 1.5, color: '#e3a58f' },
    ]),
  ];
  mkdirSync(o.out, { recursive: true });
  const common = { xLabel: 'Epoch', width: 1100, height: 650 };
  await writeFileAtomic(join(o.out, 'accuracy.png'), renderLineChart({ ...common, title: 'Accuracy (ours solid, PyTorch reference dashed)', yLabel: 'accuracy', series: series((c) => [c.acc, c.valAcc], ['train', 'val']) }));
  await writeFileAtomic(join(o.out, 'loss.png'), renderLineChart({ ...common, title: 'Loss incl. L2 (ours solid, PyTorch reference dashed)', yLabel: 'loss', series: series((c) => [c.loss, c.valLoss], ['train', 'val']) }));
  console.log(`wrote ${join(o.out, 'accuracy.png')} and ${join(o.out, 'loss.png')}`);
  return 0;
}

runMain(main);
