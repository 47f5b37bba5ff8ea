/**
 * The validation data `npm run train` feeds the fit loop, as Keras's
 * `fit(validation_data=flow_from_directory(...), validation_steps=N)` sees it: shuffled
 * (seeded), mixed across classes even when the folder lists one class after the other, and
 * moving — epoch e validates on the N batches after epoch e−1's — the same on every opening
 * with the same seed (so a resumed run validates where the uninterrupted one would have).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { openTrainingData, type TrainingData } from '../../scripts/lib/data.js';
import { fit, type BatchSet, type BatchStream } from '../../src/nn/fit.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu } from '../helpers.js';
import { randomImage, tempDir, writeFile } from './helpers.js';

const PER_CLASS = 12;
const BATCH = 4;
const PASS = (2 * PER_CLASS) / BATCH; // validation batches per pass

function makeDataset(): string {
  const dir = tempDir('val-stream-');
  let seed = 1;
  for (const split of ['train', 'validation']) {
    for (const cls of ['cats', 'dogs']) {
      for (let i = 0; i < PER_CLASS; i++) {
        const img = randomImage(16, 16, seed++);
        const png = new PNG({ width: 16, height: 16 });
        for (let p = 0; p < 16 * 16; p++) {
          png.data[p * 4] = img.data[p * 3]!;
          png.data[p * 4 + 1] = img.data[p * 3 + 1]!;
          png.data[p * 4 + 2] = img.data[p * 3 + 2]!;
          png.data[p * 4 + 3] = 255;
        }
        writeFile(path.join(dir, split, cls, `${cls}.${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
      }
    }
  }
  return dir;
}

const dir = makeDataset();
const open = (seed: number, extra: Partial<Parameters<typeof openTrainingData>[0]> = {}): Promise<TrainingData> =>
  openTrainingData({ dir, imageSize: 16, batchSize: BATCH, seed, workers: 0, resize: 'nearest', augment: { rescale: 1 / 255 }, categorical: false, log: () => {}, ...extra });

async function indicesOf(v: BatchSet, from: number, count: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = from; i < from + count; i++) out.push([...(await v.batch(i)).indices!]);
  return out;
}

describe('validation stream', () => {
  it('is shuffled and mixed: the first batches hold both classes although the folder is sorted by class', async () => {
    const d = await open(3);
    try {
      const v = d.validation!;
      expect(v.batches()).toBe(PASS);
      // Two batches (8 images) are fewer than one class's 12: an unshuffled set would be all cats.
      const labels: number[] = [];
      for (let i = 0; i < 2; i++) labels.push(...(await v.batch(i)).y);
      expect(new Set(labels)).toEqual(new Set([0, 1]));
    } finally {
      await d.close();
    }
  });

  it('moves: each pass covers every image once, in a new order each pass; same seed, same order', async () => {
    const d = await open(5);
    const again = await open(5);
    const other = await open(6);
    try {
      const pass0 = (await indicesOf(d.validation!, 0, PASS)).flat();
      const pass1 = (await indicesOf(d.validation!, PASS, PASS)).flat();
      expect([...pass0].sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * PER_CLASS }, (_, i) => i));
      expect([...pass1].sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * PER_CLASS }, (_, i) => i));
      expect(pass1).not.toEqual(pass0);
      // Epoch 0 (batches 0–1) and epoch 1 (batches 2–3) of validation_steps=2 see different images.
      const e0 = new Set(pass0.slice(0, 2 * BATCH));
      expect(pass0.slice(2 * BATCH, 4 * BATCH).filter((i) => e0.has(i))).toEqual([]);
      // Reopened with the same seed (a resume): the same sequence, pixels too.
      expect((await indicesOf(again.validation!, 0, 2 * PASS)).flat()).toEqual([...pass0, ...pass1]);
      expect(Array.from((await again.validation!.batch(7)).x)).toEqual(Array.from((await d.validation!.batch(7)).x));
      expect((await indicesOf(other.validation!, 0, PASS)).flat()).not.toEqual(pass0);
      // The validation order is not the training order of the same seed.
      expect((await d.train.next()).indices).not.toEqual(pass0.slice(0, BATCH));
    } finally {
      await Promise.all([d.close(), again.close(), other.close()]);
    }
  });

  it('--no-validation-shuffle keeps folder order; --validation-augment renders augmented pixels', async () => {
    const plain = await open(5, { validationShuffle: false });
    const aug = await open(5, { augment: { rescale: 1 / 255, horizontalFlip: true, rotationRange: 40 }, validationAugment: true });
    const unaug = await open(5, { augment: { rescale: 1 / 255, horizontalFlip: true, rotationRange: 40 } });
    try {
      expect((await indicesOf(plain.validation!, 0, PASS)).flat()).toEqual(Array.from({ length: 2 * PER_CLASS }, (_, i) => i));
      // Same order (same seed), different pixels: augmentation is on only when asked for.
      const a = await aug.validation!.batch(0);
      const u = await unaug.validation!.batch(0);
      expect(a.indices).toEqual(u.indices);
      expect(Array.from(a.x)).not.toEqual(Array.from(u.x));
      // The un-augmented batch is the images themselves, rescaled.
      const img0 = u.indices![0]!;
      const cls = img0 < PER_CLASS ? 'cats' : 'dogs';
      const png = PNG.sync.read(readFileSync(path.join(dir, 'validation', cls, `${cls}.${String(img0 % PER_CLASS).padStart(2, '0')}.png`)));
      expect(u.x[0]).toBeCloseTo(png.data[0]! / 255, 6);
      expect(u.x[5]).toBeCloseTo(png.data[6]! / 255, 6);
    } finally {
      await Promise.all([plain.close(), aug.close(), unaug.close()]);
    }
  });

  it('fit asks for the next validation_steps batches each epoch, and resumes where it left off', async () => {
    const ctx = await gpu();
    const size = 67;
    const requested: number[] = [];
    const batchOf = (n: number) => ({ x: new Float32Array(BATCH * size * size * 3).fill((n % 7) / 7), y: Float32Array.from({ length: BATCH }, (_, i) => i % 2), batchSize: BATCH });
    const validation: BatchSet = {
      batches: () => 5,
      batch: async (i) => {
        requested.push(i);
        return batchOf(i);
      },
    };
    const train: BatchStream = { seek() {}, next: async () => batchOf(0) };
    const model = buildModel({ variant: 'tutorial', imageSize: size, width: 0.125 }).build(ctx, 1);
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-4 }));
    try {
      let saved: Parameters<NonNullable<NonNullable<Parameters<typeof fit>[3]['hooks']>['saveCheckpoint']>>[0] | null = null;
      await fit(trainer, train, validation, {
        epochs: 2,
        stepsPerEpoch: 1,
        validationSteps: 2,
        seed: 1,
        hooks: { saveCheckpoint: async (pos) => void (saved = structuredClone(pos)) },
      });
      expect(requested).toEqual([0, 1, 2, 3]);
      requested.length = 0;
      await fit(trainer, train, validation, { epochs: 4, stepsPerEpoch: 1, validationSteps: 2, seed: 1, resume: saved! });
      expect(requested).toEqual([4, 5, 6, 7]);
      // validation_steps larger than a pass: one pass per epoch, never an image twice.
      requested.length = 0;
      await fit(trainer, train, validation, { epochs: 2, stepsPerEpoch: 1, validationSteps: 9, seed: 1 });
      expect(requested).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});
