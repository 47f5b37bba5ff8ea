/**
 * End to end on the real photographs (../shared/datasets/cats_and_dogs, or $CATS_AND_DOGS_DIR):
 * all 4000 files of train / validation / test are listed, decoded by the worker pool and resized
 * (to 64×64, to stay fast), none skipped; each decoded size equals the size in the file's own
 * JPEG header; five photos match Pillow's decode + resize (Keras's load_img) as 8×8 block means;
 * and an augmented batch comes out of the cache. This test must run in CI: when the folder is
 * missing it FAILS, saying where it looked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BatchLoader, flowFromDirectory } from '../../src/data/loader.js';
import { catsAndDogsDir } from '../../src/data/paths.js';
import { WorkerPool, defaultWorkerCount } from '../../src/data/pool.js';
import { maxAbsDiff } from './helpers.js';

const ROOT = catsAndDogsDir();
const EXPECTED: Record<string, number> = { train: 1000, validation: 500, test: 500 };

/** Width and height from a JPEG's SOFn header (independent of the decoder under test). */
function jpegHeaderSize(file: string): [number, number] {
  const b = fs.readFileSync(file);
  let p = 2;
  while (p + 9 < b.length) {
    const m = b[p + 1]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return [b.readUInt16BE(p + 7), b.readUInt16BE(p + 5)];
    p += 2 + b.readUInt16BE(p + 2);
  }
  throw new Error(`no SOF marker in ${file}`);
}

interface PhotoFixture {
  size: number;
  block: number;
  photos: { file: string; width: number; height: number; blockMeans8: number[] }[];
}
const fx = JSON.parse(fs.readFileSync(new URL('./fixtures/real-photos-pillow.json', import.meta.url), 'utf8')) as PhotoFixture;

const pool = new WorkerPool(defaultWorkerCount());
const loaders: Record<string, BatchLoader> = {};
afterAll(async () => {
  for (const l of Object.values(loaders)) await l.close();
  await pool.close();
});

describe('real cats-and-dogs photos', () => {
  it('all 4000 load: listed, decoded, resized to 64×64, none skipped', async () => {
    if (!fs.existsSync(ROOT)) {
      throw new Error(
        `The real photos are missing: no folder at ${ROOT}. They are expected at ../shared/datasets/cats_and_dogs ` +
          `next to the project root (or set CATS_AND_DOGS_DIR); this test must not be skipped.`,
      );
    }
    const warnings: string[] = [];
    const aug = { rescale: 1 / 255, rotationRange: 40, widthShiftRange: 0.2, heightShiftRange: 0.2, shearRange: 0.2, zoomRange: 0.2, horizontalFlip: true };
    // All three splits decode concurrently through one pool, keeping every core busy.
    await Promise.all(
      Object.keys(EXPECTED).map(async (split) => {
        loaders[split] = await flowFromDirectory(path.join(ROOT, split), {
          targetSize: 64, classMode: 'binary', batchSize: 8, seed: 1, pool, prefetch: 0,
          augment: split === 'train' ? aug : { rescale: 1 / 255 },
          onWarning: (m) => warnings.push(m),
        });
      }),
    );
    expect(warnings).toEqual([]);
    let total = 0;
    for (const [split, perClass] of Object.entries(EXPECTED)) {
      const l = loaders[split]!;
      expect(l.classNames).toEqual(['cats', 'dogs']);
      expect(l.skipped).toEqual([]);
      expect(l.size).toBe(2 * perClass);
      expect(l.labels.filter((y) => y === 0)).toHaveLength(perClass);
      expect(l.files.slice(0, perClass).every((f) => path.basename(f.path).startsWith('cat.'))).toBe(true);
      expect(l.files.slice(perClass).every((f) => path.basename(f.path).startsWith('dog.'))).toBe(true);
      total += l.size;
    }
    expect(total).toBe(4000);
  });

  it('every decoded size equals the JPEG header; every cached image has real content', () => {
    expect(Object.keys(loaders)).toHaveLength(3); // the first test loaded them
    let smallest: [number, number, string] = [1e9, 1e9, ''];
    for (const l of Object.values(loaders)) {
      l.files.forEach((f, i) => {
        const [w, h] = l.sourceSizes[i]!;
        expect([w, h], f.relPath).toEqual(jpegHeaderSize(f.path));
        if (w * h < smallest[0] * smallest[1]) smallest = [w, h, path.basename(f.path)];
        // A failed or garbled decode shows as a flat image: demand some contrast.
        const d = l.image(i).data;
        let mn = 255;
        let mx = 0;
        for (let k = 0; k < d.length; k++) {
          mn = Math.min(mn, d[k]!);
          mx = Math.max(mx, d[k]!);
        }
        expect(mx - mn, f.relPath).toBeGreaterThan(40);
      });
    }
    expect(smallest).toEqual([59, 41, 'cat.2433.jpg']); // the dataset README's smallest photo
  });

  it("five photos match Pillow's decode + NEAREST resize (8×8 block means within 4 levels)", () => {
    for (const p of fx.photos) {
      const [split, cls, name] = p.file.split('/') as [string, string, string];
      const l = loaders[split]!;
      const i = l.files.findIndex((f) => f.relPath === path.join(cls, name));
      expect(i, p.file).toBeGreaterThanOrEqual(0);
      expect(l.sourceSizes[i]).toEqual([p.width, p.height]);
      const d = l.image(i).data;
      const means = new Float64Array(8 * 8 * 3);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) for (let c = 0; c < 3; c++) {
        means[((y >> 3) * 8 + (x >> 3)) * 3 + c] += d[(y * 64 + x) * 3 + c]! / 64;
      }
      // jpeg-js and libjpeg-turbo differ by a few levels per pixel (IDCT rounding, chroma
      // upsampling); over 64-pixel blocks that averages to well under 4.
      expect(maxAbsDiff(means, p.blockMeans8), p.file).toBeLessThan(4);
    }
  });

  it('augmented training batches render from the cache', async () => {
    const l = loaders.train!;
    const b = await l.nextBatch();
    expect(b.shape).toEqual([8, 64, 64, 3]);
    expect(b.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(b.y)).toEqual(b.indices.map((i) => l.files[i]!.label));
    const again = await l.batchAt(0, 0);
    expect(Array.from(again.x)).toEqual(Array.from(b.x));
  });
});
