/**
 * `npm run evaluate` as a user runs it, on a small saved model and an image folder made here:
 * the classification report, ROC AUC and confusion matrix are checked against numbers computed
 * in this test from the matrix itself and from `predict --json`'s per-image probabilities (a
 * separate code path), the confusion PNG is decoded, and bad input gets one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { listDirectory } from '../../src/data/directory.js';
import { saveModel } from '../../src/io/checkpoint.js';
import { CELL_HIGH, confusionLayout } from '../../src/io/confusion-plot.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { Trainer } from '../../src/nn/trainer.js';
import { decodeImage } from '../../src/data/decode.js';
import { inputsFor } from '../../src/data/preprocess.js';
import { gpu } from '../helpers.js';
import { run } from './run.js';

const PER_CLASS = 6;
let dir: string;
let modelDir: string;
let testDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
  testDir = join((await makeSyntheticDataset({ dir: join(dir, 'data'), size: 67, perClass: { train: 1, validation: 1, test: PER_CLASS } })).dir, 'test');
  writeFileSync(join(testDir, 'circles', 'broken.jpg'), 'not an image');
  // A small untrained model: evaluate only needs a model to score with. Its output bias is set
  // to minus the median logit of the test images, so it predicts both classes (not one for all).
  const ctx = await gpu();
  const modelOptions: ModelOptions = { variant: 'tutorial', imageSize: 67, width: 0.125, classes: 2 };
  const preprocessing = { imageSize: 67, rescale: 1 / 255, resize: 'nearest' as const };
  const model = buildModel(modelOptions).build(ctx, 7);
  const images = listDirectory(testDir).files.filter((f) => !f.relPath.endsWith('broken.jpg'));
  const x = images.flatMap((f) => [...inputsFor(decodeImage(readFileSync(f.path)), preprocessing, false)[0]!]);
  const logits = [...(await new Trainer(ctx, model, null).logits(Float32Array.from(x), images.length))].sort((a, b) => a - b);
  model.params().at(-1)!.tensor.write(Float32Array.of(-(logits[PER_CLASS - 1]! + logits[PER_CLASS]!) / 2));
  modelDir = join(dir, 'model');
  await saveModel(modelDir, model, { modelOptions, classNames: ['circles', 'squares'], preprocessing, step: 0 });
});

/** P(score of a positive > score of a negative), ties ½: the ROC AUC by its definition. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((a, i) =>
    labels.forEach((b, j) => {
      if (a === 1 && b === 0) {
        pairs++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }),
  );
  return wins / pairs;
}

describe('npm run evaluate', () => {
  it('--json: report, AUC and confusion matrix agree with predict and with the definitions', async () => {
    const png = join(dir, 'confusion.png');
    const r = await run('evaluate.ts', ['--model', modelDir, '--data', testDir, '--json', '--confusion-png', png]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/warning: skipped 1 unreadable file\(s\):\n\s+circles\/broken\.jpg/);
    const res = JSON.parse(r.stdout);
    expect(res.images).toBe(2 * PER_CLASS);
    expect(res.skipped).toBe(1);
    const cm: number[][] = res.confusion;
    expect(cm.map((row) => row[0]! + row[1]!)).toEqual([PER_CLASS, PER_CLASS]);
    expect(cm[0]![0]! + cm[1]![0]!).toBe(PER_CLASS); // the bias split the predictions in half

    // Per-image predictions from the other command: same classes, same counts.
    const files = listDirectory(testDir).files.filter((f) => !f.relPath.endsWith('broken.jpg'));
    const p = await run('predict.ts', ['--model', modelDir, '--json', ...files.map((f) => f.path)]);
    expect(p.code, p.out).toBe(0);
    const preds = p.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const predicted = [[0, 0], [0, 0]];
    preds.forEach((q, i) => predicted[files[i]!.label]![q.class === 'squares' ? 1 : 0]!++);
    expect(predicted).toEqual(cm);
    expect(res.rocAuc).toBeCloseTo(pairwiseAuc(files.map((f) => f.label), preds.map((q) => q.probabilities.squares)), 9);
    expect(res.positiveClass).toBe('squares');

    // The report from the matrix, by the definitions (an undefined ratio is 0, as scikit-learn's default).
    const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
    const total = 2 * PER_CLASS;
    const rows = ['circles', 'squares'].map((name, c) => {
      const tp = cm[c]![c]!;
      const predictedC = cm[0]![c]! + cm[1]![c]!;
      const precision = ratio(tp, predictedC);
      const recall = ratio(tp, PER_CLASS);
      const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
      expect(res.report[name].support).toBe(PER_CLASS);
      expect(res.report[name].precision, `${name} precision`).toBeCloseTo(precision, 12);
      expect(res.report[name].recall, `${name} recall`).toBeCloseTo(recall, 12);
      expect(res.report[name]['f1-score'], `${name} F1`).toBeCloseTo(f1, 12);
      return { precision, recall, f1 };
    });
    expect(res.report.accuracy).toBeCloseTo((cm[0]![0]! + cm[1]![1]!) / total, 12);
    expect(res.accuracy).toBe(res.report.accuracy);
    for (const k of ['precision', 'recall', 'f1'] as const) {
      const key = k === 'f1' ? 'f1-score' : k;
      expect(res.report['macro avg'][key]).toBeCloseTo((rows[0]![k] + rows[1]![k]) / 2, 12);
      // Equal supports: the weighted average equals the macro average here.
      expect(res.report['weighted avg'][key]).toBeCloseTo((rows[0]![k] * PER_CLASS + rows[1]![k] * PER_CLASS) / total, 12);
    }

    // The PNG: decodable, of the layout's size, the largest count in the darkest colour.
    const img = pngjs.PNG.sync.read(readFileSync(png));
    const L = confusionLayout({ confusion: cm, classNames: res.classNames, subtitle: `accuracy ${res.accuracy.toFixed(4)} (${total} images)` });
    expect([img.width, img.height]).toEqual([L.width, L.height]);
    const max = Math.max(...cm.flat());
    const t = cm.findIndex((row) => row.includes(max));
    const c = cm[t]!.indexOf(max);
    const i = ((L.top + t * L.cell + 4) * img.width + L.left + c * L.cell + 4) * 4;
    expect([img.data[i], img.data[i + 1], img.data[i + 2]]).toEqual([...CELL_HIGH]);
  });

  it('prints the report as scikit-learn does, with the AUC and the matrix', async () => {
    const r = await run('evaluate.ts', ['--model', modelDir, '--data', testDir, '--digits', '3']);
    expect(r.code, r.out).toBe(0);
    const j = JSON.parse((await run('evaluate.ts', ['--model', modelDir, '--data', testDir, '--json'])).stdout);
    const out = r.stdout;
    expect(out).toContain(`accuracy: ${j.accuracy.toFixed(4)}`);
    expect(out).toContain(`ROC AUC (squares positive): ${j.rocAuc.toFixed(4)}`);
    expect(out).toMatch(/^ {14}precision {4}recall  f1-score   support$/m);
    for (const name of ['circles', 'squares']) {
      const m = j.report[name];
      const cells = [m.precision, m.recall, m['f1-score']].map((v: number) => v.toFixed(3).padStart(9)).join(' ');
      expect(out).toContain(`${name.padStart(12)}  ${cells}         ${PER_CLASS}\n`);
    }
    expect(out).toMatch(new RegExp(`^ {4}accuracy {26}${j.accuracy.toFixed(3)} {8}12$`, 'm'));
    expect(out).toMatch(/^ {3}macro avg .* 12$/m);
    expect(out).toMatch(/^weighted avg .* 12$/m);
    expect(out).toMatch(new RegExp(`^circles +${j.confusion[0][0]} +${j.confusion[0][1]}$`, 'm'));
  });

  it('bad input: one line, before the GPU is opened', async () => {
    const missing = await run('evaluate.ts', ['--model', modelDir, '--data', testDir, '--confusion-png', join(dir, 'no/such/dir/cm.png')]);
    expect(missing.code).toBe(1);
    expect(missing.out.trim()).toMatch(/^error: --confusion-png: folder .*no\/such\/dir does not exist$/);
    const noData = await run('evaluate.ts', ['--model', modelDir]);
    expect(noData.code).toBe(1);
    expect(noData.out).toMatch(/error: required option '--data <dir>' not specified/);
    const help = await run('evaluate.ts', ['--help']);
    expect(help.out).toMatch(/--model <dir> .*\(required\)/);
    const bad = await run('evaluate.ts', ['--model', modelDir, '--data', testDir, '--batch-size', '0']);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/--batch-size <n>' argument '0' is invalid/);
  });
});
