/**
 * `npm run average` as a user runs it: two saved models of one architecture average to the
 * element-wise mean of their weights (float64 reference here), the output records its inputs
 * and loads for evaluate; other architectures, a single model and an occupied --out are one
 * line each, before anything is written.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { saveModel } from '../../src/io/checkpoint.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { expectClose, gpu } from '../helpers.js';
import { root, run } from './run.js';

let dir: string;
let data: string;
const preprocessing = { imageSize: 67, rescale: 1 / 255, resize: 'nearest' as const };
const tensors = (d: string) => decodeSafetensors(readFileSync(join(d, 'model.safetensors'))).tensors;

async function save(name: string, o: ModelOptions, seed: number, step: number): Promise<string> {
  const ctx = await gpu();
  const model = buildModel(o).build(ctx, seed);
  const out = join(dir, name);
  await saveModel(out, model, { modelOptions: o, classNames: ['circles', 'squares'], preprocessing, step });
  model.dispose();
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'average-'));
  data = (await makeSyntheticDataset({ dir: join(dir, 'data'), size: 67, perClass: { train: 1, validation: 1, test: 2 } })).dir;
});

describe('npm run average', () => {
  it('averages the weights element by element and records its inputs', async () => {
    const o: ModelOptions = { variant: 'tutorial-regularized', imageSize: 67, width: 0.125, classes: 2 };
    const a = await save('a', o, 1, 10);
    const b = await save('b', o, 2, 20);
    const out = join(dir, 'avg');
    const r = await run('average.ts', ['--model', a, '--model', b, '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/Averaged 2 models \(steps 10, 20\)/);
    expect(r.stdout).toMatch(/re-estimate its statistics .*npm run update-bn/);
    const [ta, tb, tm] = [tensors(a), tensors(b), tensors(out)];
    expect(Object.keys(tm).sort()).toEqual(Object.keys(ta).sort());
    for (const name of Object.keys(ta)) {
      const x = ta[name]!.data as Float32Array;
      const y = tb[name]!.data as Float32Array;
      if (name.endsWith('.kernel')) expect(Array.from(x)).not.toEqual(Array.from(y)); // different seeds (biases and statistics start equal)
      expectClose(tm[name]!.data as Float32Array, Float64Array.from(x, (v, i) => (v + y[i]!) / 2), { atol: 1e-7, rtol: 1e-6 }, name);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(manifest.step).toBe(20);
    expect(manifest.averagedFrom).toEqual([{ model: relative(root, a), step: 10 }, { model: relative(root, b), step: 20 }]);
    const e = await run('evaluate.ts', ['--model', out, '--data', join(data, 'test'), '--json']);
    expect(e.code, e.out).toBe(0);
  });

  it('refuses another architecture, a single model and an occupied --out', async () => {
    const a = await save('c', { variant: 'tutorial', imageSize: 67, width: 0.125, classes: 2 }, 1, 5);
    const b = await save('d', { variant: 'tutorial', imageSize: 67, width: 0.25, classes: 2 }, 1, 6);
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'model.json'), 'mine');
    const cases: [string[], RegExp][] = [
      [['--model', a, '--model', b, '--out', join(dir, 'x')], /is another architecture, class list or preprocessing than/],
      [['--model', a, '--out', join(dir, 'x')], /give two or more model folders/],
      [['--model', a, '--model', a, '--out', busy], /--out .*busy exists and is not empty \(--force replaces/],
      [['--model', a, '--model', join(dir, 'none'), '--out', join(dir, 'x')], /model description not found/],
    ];
    for (const [args, message] of cases) {
      const r = await run('average.ts', args);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(message);
      expect(r.out).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(join(busy, 'model.json'), 'utf8')).toBe('mine');
  });
});
