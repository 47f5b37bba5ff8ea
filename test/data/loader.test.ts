/**
 * The batch loader on a small synthetic dataset (circles 0 / squares 1, 10 + 10 JPEGs of
 * 32×32): batch shapes and labels, epochs that visit every image once, seeded and per-epoch
 * reshuffling, dropLast, endless iteration, exact resume from state(), identical output with
 * and without worker threads, prefetching, and the ONE warning for unreadable files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import { DatasetError } from '../../src/data/directory.js';
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { type Batch, type BatchLoader, type FlowOptions, ImageDataGenerator, flowFromDirectory } from '../../src/data/loader.js';
import { WorkerPool } from '../../src/data/pool.js';
import { resizeImage } from '../../src/data/resize.js';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { makePng, smoothImage, tempDir, writeFile } from './helpers.js';

let train = '';
// One pool of two workers for the whole file (starting workers costs ~0.3 s each).
const pool = new WorkerPool(2);
const loaders: BatchLoader[] = [];

beforeAll(async () => {
  const r = await makeSyntheticDataset({ dir: path.join(tempDir(), 'syn'), seed: 5, size: 32, perClass: { train: 10, validation: 1, test: 1 } });
  train = path.join(r.dir, 'train');
});

afterAll(async () => {
  for (const l of loaders) await l.close();
  await pool.close();
});

const AUG = { rescale: 1 / 255, rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true };

async function open(opts: FlowOptions = {}, dir = train): Promise<BatchLoader> {
  const l = await flowFromDirectory(dir, { targetSize: [24, 20], batchSize: 6, seed: 11, classMode: 'binary', pool, augment: AUG, ...opts });
  loaders.push(l);
  return l;
}

async function take(l: BatchLoader, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(await l.nextBatch());
  return out;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('batches', () => {
  it('shapes, counts and binary labels; the last partial batch is kept', async () => {
    const l = await open();
    expect(l.classNames).toEqual(['circles', 'squares']);
    expect(l.size).toBe(20);
    expect(l.numBatchesPerEpoch).toBe(4);
    expect(l.imageShape).toEqual([24, 20, 3]);
    const bs = await take(l, 4);
    expect(bs.map((b) => b.shape)).toEqual([[6, 24, 20, 3], [6, 24, 20, 3], [6, 24, 20, 3], [2, 24, 20, 3]]);
    for (const b of bs) {
      expect(b.x.length).toBe(b.shape.reduce((p, q) => p * q));
      expect(Array.from(b.y)).toEqual(b.indices.map((i) => l.files[i]!.label));
      expect(b.yShape).toEqual([b.indices.length]);
      expect(b.x.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    }
    // one epoch = every image exactly once
    expect(bs.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(bs.map((b) => [b.epoch, b.stepInEpoch])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3]]);
  });

  it('categorical → one-hot [b, 2]; sparse → class index', async () => {
    const c = await open({ classMode: 'categorical', augment: {} });
    const b = await c.nextBatch();
    expect(b.yShape).toEqual([6, 2]);
    b.indices.forEach((i, k) => {
      const lab = c.files[i]!.label;
      expect([b.y[k * 2], b.y[k * 2 + 1]]).toEqual(lab === 0 ? [1, 0] : [0, 1]);
    });
    const s = await open({ classMode: 'sparse', augment: {} });
    const t = await s.nextBatch();
    expect(Array.from(t.y)).toEqual(t.indices.map((i) => s.files[i]!.label));
  });

  it('dropLast drops the partial batch', async () => {
    const l = await open({ dropLast: true });
    expect(l.numBatchesPerEpoch).toBe(3);
    const bs = await take(l, 4);
    expect(bs.map((b) => b.shape[0])).toEqual([6, 6, 6, 6]);
    expect(bs[3]!.epoch).toBe(1);
  });

  it('endless: after the last batch comes epoch 1 in a new order', async () => {
    const l = await open();
    const bs = await take(l, 9);
    expect(bs.map((b) => [b.epoch, b.stepInEpoch])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3], [2, 0]]);
    const e0 = bs.slice(0, 4).flatMap((b) => b.indices);
    const e1 = bs.slice(4, 8).flatMap((b) => b.indices);
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(e1).not.toEqual(e0);
  });

  it('epoch() yields the rest of the current epoch', async () => {
    const l = await open({ augment: {} });
    await l.nextBatch();
    const rest: Batch[] = [];
    for await (const b of l.epoch()) rest.push(b);
    expect(rest.map((b) => b.stepInEpoch)).toEqual([1, 2, 3]);
    expect(l.state()).toMatchObject({ epoch: 1, step: 0 });
  });

  it('shuffle: false keeps file order (validation)', async () => {
    const l = await open({ shuffle: false, augment: { rescale: 1 / 255 } });
    const bs = await take(l, 4);
    expect(bs.flatMap((b) => b.indices)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('crop and tenCrop set the output size; tenCrop gives 10 views per image', async () => {
    const c = await open({ augment: { crop: [16, 12], horizontalFlip: true } });
    expect(c.outputShape).toEqual([16, 12, 3]);
    expect((await c.nextBatch()).shape).toEqual([6, 16, 12, 3]);
    const t = await open({ augment: { tenCrop: 16 }, shuffle: false });
    const b = await t.nextBatch();
    expect(b.shape).toEqual([60, 16, 16, 3]);
    expect(b.yShape).toEqual([6]);
  });
});

describe('pixels', () => {
  it('the cache holds decode → resize of each file; unaugmented batches are exactly pixel · rescale', async () => {
    const l = await open({ shuffle: false, augment: { rescale: 0.5 }, interpolation: 'bilinear' });
    for (const i of [0, 7, 19]) {
      const want = resizeImage(decodeImage(fs.readFileSync(l.files[i]!.path)), 20, 24, 'bilinear');
      expect(Buffer.from(l.image(i).data).equals(Buffer.from(want.data))).toBe(true);
    }
    const b = await l.nextBatch();
    const n = 24 * 20 * 3;
    b.indices.forEach((i, k) => {
      expect(Array.from(b.x.subarray(k * n, (k + 1) * n))).toEqual(Array.from(l.image(i).data, (v) => v * 0.5));
    });
  });

  it('augmentation differs between epochs for the same image', async () => {
    const l = await open({ shuffle: false });
    const e0 = await l.batchAt(0, 0);
    const e1 = await l.batchAt(1, 0);
    expect(e0.indices).toEqual(e1.indices);
    expect(same(e0.x, e1.x)).toBe(false);
  });
});

describe('seeding and resume', () => {
  it('same seed → same batches (order and pixels); another seed → another order', async () => {
    const a = await take(await open(), 6);
    const b = await take(await open(), 6);
    a.forEach((x, i) => {
      expect(b[i]!.indices).toEqual(x.indices);
      expect(same(b[i]!.x, x.x)).toBe(true);
    });
    const c = await take(await open({ seed: 12 }), 4);
    expect(c.flatMap((x) => x.indices)).not.toEqual(a.slice(0, 4).flatMap((x) => x.indices));
  });

  it('restore(state()) continues exactly, even into the next epoch', async () => {
    const a = await open();
    await take(a, 3);
    const saved = a.state();
    expect(saved).toEqual({ seed: 11, epoch: 0, step: 3, size: 20 });
    const rest = await take(a, 3);
    const b = await open({ seed: 999 }); // seed comes from the state
    await b.nextBatch();
    b.restore(saved);
    const again = await take(b, 3);
    rest.forEach((x, i) => {
      expect([again[i]!.epoch, again[i]!.stepInEpoch]).toEqual([x.epoch, x.stepInEpoch]);
      expect(again[i]!.indices).toEqual(x.indices);
      expect(same(again[i]!.x, x.x)).toBe(true);
    });
    expect(() => b.restore({ ...saved, size: 21 })).toThrow(/saved for 21 images/);
  });

  it('startEpoch / startStep options resume the same way', async () => {
    const a = await open();
    const ref = await a.batchAt(2, 1);
    const b = await open({ startEpoch: 2, startStep: 1 });
    const got = await b.nextBatch();
    expect(got.indices).toEqual(ref.indices);
    expect(same(got.x, ref.x)).toBe(true);
  });

  it('worker threads and the calling thread produce identical batches', async () => {
    const inline = await open({ pool: undefined, workers: 0 });
    const threaded = await open();
    for (let i = 0; i < 5; i++) {
      const [x, y] = await Promise.all([inline.nextBatch(), threaded.nextBatch()]);
      expect(x.indices).toEqual(y.indices);
      expect(same(x.x, y.x)).toBe(true);
    }
  });

  it('batches are prepared ahead (prefetch) while the consumer holds the current one', async () => {
    const l = await open({ prefetch: 2 });
    expect(l.prefetched).toEqual([{ epoch: 0, step: 0 }, { epoch: 0, step: 1 }]);
    await l.nextBatch();
    expect(l.prefetched).toEqual([{ epoch: 0, step: 1 }, { epoch: 0, step: 2 }]);
    const none = await open({ prefetch: 0 });
    expect(none.prefetched).toEqual([]);
    expect((await none.nextBatch()).stepInEpoch).toBe(0);
  });

  it('ImageDataGenerator.flowFromDirectory is the same loader', async () => {
    const g = new ImageDataGenerator(AUG);
    const l = await g.flowFromDirectory(train, { targetSize: [24, 20], batchSize: 6, seed: 11, classMode: 'binary', pool });
    loaders.push(l);
    const ref = await (await open()).nextBatch();
    expect(same((await l.nextBatch()).x, ref.x)).toBe(true);
  });

  it('a closed loader refuses batches', async () => {
    const l = await open();
    await l.close();
    await expect(l.nextBatch()).rejects.toThrow(/closed/);
  });
});

describe('unreadable files', () => {
  it('are skipped with ONE warning naming each of them; readable ones load whatever their name', async () => {
    const d = tempDir();
    const jpg = encodeJpeg(smoothImage(30, 20), 90);
    for (let i = 0; i < 3; i++) writeFile(path.join(d, 'cats', `cat.${i}.jpg`), jpg);
    writeFile(path.join(d, 'cats', 'notes.jpg'), 'this is a text file, renamed .jpg');
    writeFile(path.join(d, 'cats', 'trunc.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    writeFile(path.join(d, 'cats', 'really-a-png.jpg'), makePng({ width: 2, height: 2, colorType: 0, bitDepth: 8, pixels: [[1], [2], [3], [4]] }));
    for (let i = 0; i < 2; i++) writeFile(path.join(d, 'dogs', `dog.${i}.jpg`), jpg);
    writeFile(path.join(d, 'dogs', '.DS_Store'), 'junk'); // dot-files are not candidates at all
    const warnings: string[] = [];
    const l = await open({ onWarning: (m) => warnings.push(m) }, d);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('skipped 2 of 8 files');
    expect(warnings[0]).toContain(`${path.join('cats', 'notes.jpg')}: not a JPEG or PNG`);
    expect(warnings[0]).toContain(`${path.join('cats', 'trunc.jpg')}: corrupt or truncated JPEG`);
    expect(warnings[0]).not.toContain('really-a-png');
    expect(warnings[0]).not.toContain('DS_Store');
    expect(l.size).toBe(6);
    expect(l.skipped.map((s) => path.basename(s.path))).toEqual(['notes.jpg', 'trunc.jpg']);
    expect(l.files.map((f) => path.basename(f.path))).toContain('really-a-png.jpg');
    const bs = await take(l, l.numBatchesPerEpoch);
    expect(bs.flatMap((b) => b.indices).length).toBe(6);
  });

  it('a class whose files are all unreadable is an error', async () => {
    const d = tempDir();
    writeFile(path.join(d, 'cats', 'a.jpg'), encodeJpeg(smoothImage(8, 8), 90));
    writeFile(path.join(d, 'dogs', 'b.jpg'), 'text');
    const p = flowFromDirectory(d, { pool, onWarning: () => {} });
    await expect(p).rejects.toThrow(DatasetError);
    await expect(p).rejects.toThrow(`Class folder ${path.join(d, 'dogs')} has no readable images`);
  });

  it("classMode 'binary' needs exactly two classes", async () => {
    const d = tempDir();
    for (const c of ['a', 'b', 'c']) writeFile(path.join(d, c, 'x.jpg'), encodeJpeg(smoothImage(8, 8), 90));
    await expect(flowFromDirectory(d, { pool, classMode: 'binary' })).rejects.toThrow(/exactly two classes/);
  });
});
