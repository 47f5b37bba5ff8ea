/**
 * `npm run update-bn` as a user runs it, on a small saved model and a synthetic image folder:
 * the new folder holds the same weights with re-estimated (changed, finite) moving statistics
 * and records how they were made; the input model is untouched; evaluate takes the result; bad
 * input is one line before any work, and nothing is overwritten unasked.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { saveModel } from '../../src/io/checkpoint.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { gpu } from '../helpers.js';
import { root, run } from './run.js';

let dir: string;
let data: string;
let modelDir: string;
const weights = (d: string) => decodeSafetensors(readFileSync(join(d, 'model.safetensors'))).tensors;
const files = (d: string) => [readFileSync(join(d, 'model.json')), readFileSync(join(d, 'model.safetensors'))];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'update-bn-'));
  data = (await makeSyntheticDataset({ dir: join(dir, 'data'), size: 67, perClass: { train: 10, validation: 1, test: 4 } })).dir;
  writeFileSync(join(data, 'train', 'circles', 'broken.jpg'), 'not an image');
  const ctx = await gpu();
  const modelOptions: ModelOptions = { variant: 'tutorial-regularized', imageSize: 67, width: 0.125, classes: 2 };
  const model = buildModel(modelOptions).build(ctx, 5);
  modelDir = join(dir, 'model');
  const preprocessing = { imageSize: 67, rescale: 1 / 255, resize: 'nearest' as const };
  await saveModel(modelDir, model, { modelOptions, classNames: ['circles', 'squares'], preprocessing, step: 12, training: { batchSize: 4 } });
  model.dispose();
});

describe('npm run update-bn', () => {
  it('saves the same weights with re-estimated statistics to a new folder, and evaluate takes it', async () => {
    const before = files(modelDir);
    const out = join(dir, 'updated');
    const r = await run('update-bn.ts', ['--model', modelDir, '--data', join(data, 'train'), '--out', out, '--images', '15']);
    expect(r.code, r.out).toBe(0);
    // 20 photos and one broken file: 15 asked → 3 whole batches of the training batch size 4.
    expect(r.stdout).toMatch(/Updated the moving statistics of 5 batch-norm layer\(s\) from 12 images .* \(3 batches of 4\); saved to/);
    expect(files(modelDir)).toEqual(before); // the input model is kept as it was
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(manifest.batchNormUpdate).toEqual({ data: relative(root, join(data, 'train')), images: 12, batchSize: 4, seed: 1 });
    expect(manifest.step).toBe(12);
    expect(manifest.classNames).toEqual(['circles', 'squares']);
    const [a, b] = [weights(modelDir), weights(out)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const name of Object.keys(a)) {
      const [x, y] = [Array.from(a[name]!.data as Float32Array), Array.from(b[name]!.data as Float32Array)];
      if (!name.includes('moving')) expect(y, name).toEqual(x);
      else {
        expect(y.every(Number.isFinite), name).toBe(true);
        // Built as 0 / 1; the images' statistics are anything but (the first layer sees pixels in [0, 1]).
        expect(y.some((v, i) => Math.abs(v - x[i]!) > 1e-3), name).toBe(true);
      }
    }
    // Same seed, same images: the same statistics, bit for bit.
    const again = await run('update-bn.ts', ['--model', modelDir, '--data', join(data, 'train'), '--out', join(dir, 'again'), '--images', '15']);
    expect(again.code, again.out).toBe(0);
    expect(readFileSync(join(dir, 'again', 'model.safetensors'))).toEqual(readFileSync(join(out, 'model.safetensors')));
    const e = await run('evaluate.ts', ['--model', out, '--data', join(data, 'test'), '--json']);
    expect(e.code, e.out).toBe(0);
    expect(JSON.parse(e.stdout).images).toBe(8);
  });

  it('bad input is one line, before any work, and nothing is overwritten', async () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'model.json'), 'mine');
    const cases: [string[], RegExp][] = [
      [['--out', busy], /--out .*busy exists and is not empty \(--force replaces/],
      [['--out', modelDir], /--out .* is an input model's folder; give a new folder/],
      [['--out', join(dir, 'x'), '--data', join(data, 'nowhere')], /Data folder not found/],
      [['--out', join(dir, 'x'), '--data', data], /the data's classes \(test, train, validation\) differ from the model's \(circles, squares\)/],
      [['--out', join(dir, 'x'), '--model', join(dir, 'nomodel')], /model\.json/],
      [['--out', join(dir, 'x'), '--images', '1'], /--images.*expected an integer ≥ 2/],
    ];
    for (const [args, message] of cases) {
      const base = ['--model', modelDir, '--data', join(data, 'train')];
      const r = await run('update-bn.ts', [...base, ...args]);
      expect(r.code, r.out).not.toBe(0);
      expect(r.out, args.join(' ')).toMatch(message);
      expect(r.out).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(readFileSync(join(busy, 'model.json'), 'utf8')).toBe('mine');
  });
});
