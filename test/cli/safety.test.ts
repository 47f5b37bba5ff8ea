/**
 * What gets in, through the commands as a user runs them (real processes, files, links):
 * a decompression bomb in a class folder is skipped with the dataset's one warning naming it,
 * and predict reports it as that file's error line; a symlink loop in a class folder adds no
 * images; a model whose weights hold NaN or ±Infinity is refused naming the tensors; one whose
 * finite weights overflow to NaN never prints a NaN probability (predict: an error line and a
 * non-zero exit; evaluate: one line, no NaN loss). One tiny training run makes the model.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from '../../src/io/safetensors.js';
import { pngBomb } from '../data/bomb-files.js';
import { randomImage, smoothImage } from '../data/helpers.js';

const root = resolve(__dirname, '../..');

function runCli(script: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => res({ code, out, err }));
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'cli-safety-'));
const data = join(tmp, 'data');
const run = join(tmp, 'run');
const catJpg = join(data, 'validation', 'cats', 'cat.0.jpg');
const bomb = join(tmp, 'bomb.png');
let train: Awaited<ReturnType<typeof runCli>>;

/** data/{train,validation}/{cats,dogs}: small JPEGs; train/cats also holds a PNG bomb and a link to its parent. */
function makeDataset(): void {
  const put = (p: string, seed: number) => {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, encodeJpeg(seed % 2 ? smoothImage(20, 16) : randomImage(20, 16, seed)));
  };
  for (const split of ['train', 'validation']) {
    for (const cls of ['cats', 'dogs']) for (let i = 0; i < (split === 'train' ? 4 : 2); i++) put(join(data, split, cls, `${cls.slice(0, 3)}.${i}.jpg`), i + cls.length);
  }
  writeFileSync(bomb, pngBomb(30000, 30000));
  copyFileSync(bomb, join(data, 'train', 'cats', 'bomb.png'));
  symlinkSync('..', join(data, 'train', 'cats', 'up')); // followed, it would add every image again
}

beforeAll(async () => {
  makeDataset();
  train = await runCli('train.ts', [
    '--data', data, '--out', run, '--image-size', '67', '--width', '0.125', '--batch-size', '4',
    '--epochs', '1', '--steps-per-epoch', '1', '--validation-steps', '1', '--quiet',
  ]);
}, 240_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the trained model with some of its weights rewritten by `edit`. */
function editedModel(name: string, edit: (tensors: Record<string, SafetensorsInputTensor & { data: Float32Array }>) => void): string {
  const dir = join(tmp, name);
  cpSync(join(run, 'model'), dir, { recursive: true });
  const f = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
  const tensors = f.tensors as unknown as Record<string, SafetensorsInputTensor & { data: Float32Array }>;
  edit(tensors);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, f.metadata));
  return dir;
}

describe('train and predict with a decompression bomb', () => {
  it('train skips the bomb with the one warning naming it, and does not walk the link to its parent', () => {
    expect(train.code, train.out + train.err).toBe(0);
    const all = train.out + train.err;
    const warnings = all.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings, all).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped 1 of 9 files/);
    expect(all).toContain(`${join('cats', 'bomb.png')}: PNG declares 30000x30000 pixels (900.0 megapixels), over the limit of 100 megapixels`);
    // 8 readable images, not 8 more through cats/up → train/
    expect(all).toMatch(/Training on 8 images \(cats, dogs\), validating on 4/);
  });

  it('predict reports the bomb on its own error line and still classifies the other image', async () => {
    const r = await runCli('predict.ts', ['--model', join(run, 'model'), bomb, catJpg]);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${bomb}: error: PNG declares 30000x30000 pixels (900.0 megapixels), over the limit of 100 megapixels (not decoded; ALEXNET_MAX_MEGAPIXELS raises the limit)`);
    expect(lines[1]).toMatch(new RegExp(`^${catJpg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (cats|dogs) \\(\\d+\\.\\d%\\)$`));
  }, 60_000);
});

describe('a model with NaN or infinite weights', () => {
  let names: string[];
  let nanModel: string;
  beforeAll(() => {
    nanModel = editedModel('nan-model', (t) => {
      names = Object.keys(t);
      t[names[0]!]!.data[3] = NaN;
      t[names[0]!]!.data[5] = NaN;
      t[names.at(-1)!]!.data[0] = -Infinity;
    });
  });

  it('predict refuses it in one line naming each tensor, before classifying anything', async () => {
    const r = await runCli('predict.ts', ['--model', nanModel, catJpg]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.out + r.err).not.toContain('%');
    const lines = r.err.trimEnd().split('\n');
    expect(lines, r.err).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^error: weights .*nan-model/model\\.safetensors holds non-finite values, in tensor '${names[0]}': 2 NaN of \\d+ values \\(first at index 3\\); ` +
          `tensor '${names.at(-1)}': 1 -Infinity of \\d+ values \\(first at index 0\\) \\(retrain, or use an earlier checkpoint\\)$`,
      ),
    );
  }, 60_000);

  it('evaluate refuses it the same way', async () => {
    const r = await runCli('evaluate.ts', ['--model', nanModel, '--data', join(data, 'validation')]);
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/loss|accuracy/);
    expect(r.err.trimEnd().split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(r.err).toContain(`holds non-finite values, in tensor '${names[0]}'`);
    expect(r.err).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('finite weights whose output overflows to NaN', () => {
  let big: string;
  beforeAll(() => {
    // The last hidden dense layer at float32's largest value: its outputs overflow to +Infinity,
    // and the output layer's mixed-sign kernel turns ∞ − ∞ into NaN. Every weight is finite.
    // (Not the first conv: ReLU and max-pooling drop NaN, max(NaN, 0) being 0 on the GPU.)
    big = editedModel('overflow-model', (t) => {
      const dense = Object.keys(t).filter((n) => /^dense\d+\.kernel$/.test(n)).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5)));
      expect(dense.length).toBeGreaterThanOrEqual(2);
      const hidden = dense.at(-2)!.replace('.kernel', '');
      t[`${hidden}.kernel`]!.data.fill(3.4e38);
      t[`${hidden}.bias`]!.data.fill(3.4e38);
      t[dense.at(-1)!]!.data.forEach((_, i, a) => (a[i] = i % 2 ? -0.5 : 0.5));
    });
  });

  it('predict prints an error line, never "NaN%", and exits non-zero', async () => {
    const r = await runCli('predict.ts', ['--model', big, '--json', catJpg]);
    expect(r.code, r.err).toBe(1);
    const obj = JSON.parse(r.out.trim());
    expect(obj.file).toBe(catJpg);
    expect(obj.error).toMatch(/^the model's output is not a probability \(NaN, NaN\): its weights overflow on this input/);
    const plain = await runCli('predict.ts', ['--model', big, catJpg]);
    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(/cat\.0\.jpg: error: the model's output is not a probability/);
    expect(plain.out).not.toContain('NaN%');
  }, 60_000);

  it('evaluate stops with one line naming the image instead of reporting a NaN loss', async () => {
    const r = await runCli('evaluate.ts', ['--model', big, '--data', join(data, 'validation'), '--json']);
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('"loss"');
    const errors = r.err.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toEqual([expect.stringMatching(/^error: cats\/cat\.0\.jpg: the model's output is not a probability \(NaN, NaN\)/)]);
  }, 60_000);
});
