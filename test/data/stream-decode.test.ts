/**
 * flowFromDirectory({ stream: true }): returns once headers are checked, before the pixels are
 * decoded; yields exactly the batches of the loader that decodes everything first (same seed,
 * augmentation on); skips bad headers with the usual one warning; replaces an image whose data
 * is damaged behind a good header by the next image of its class, saying so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { flowFromDirectory } from '../../src/data/loader.js';
import { WorkerPool } from '../../src/data/pool.js';
import { randomImage, tempDir, writeFile } from './helpers.js';

const pool = new WorkerPool(2);
afterAll(() => pool.close());

function png(seed: number, size = 48): Buffer {
  const img = randomImage(size, size, seed);
  const p = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) {
    p.data.set([img.data[i * 3]!, img.data[i * 3 + 1]!, img.data[i * 3 + 2]!, 255], i * 4);
  }
  return PNG.sync.write(p);
}

function dataset(perClass: number): string {
  const dir = tempDir('stream-');
  for (const [c, cls] of ['cats', 'dogs'].entries()) {
    for (let i = 0; i < perClass; i++) writeFile(path.join(dir, cls, `${cls}.${String(i).padStart(3, '0')}.png`), png(1 + c * 1000 + i));
  }
  return dir;
}

const augment = { rescale: 1 / 255, rotationRange: 30, horizontalFlip: true, zoomRange: 0.2 };

describe('streaming decode', () => {
  it('returns before the images are decoded, and its batches equal the decode-first loader’s', async () => {
    const dir = dataset(60);
    let progressAtReturn = -1;
    let done = 0;
    const streamed = await flowFromDirectory(dir, { targetSize: 32, batchSize: 8, seed: 9, augment, pool, stream: true, onProgress: (d) => (done = d) });
    progressAtReturn = done;
    const whole = await flowFromDirectory(dir, { targetSize: 32, batchSize: 8, seed: 9, augment, pool });
    try {
      expect(progressAtReturn).toBeLessThan(120);
      expect(streamed.size).toBe(whole.size);
      expect(streamed.numBatchesPerEpoch).toBe(whole.numBatchesPerEpoch);
      for (let k = 0; k < 2 * whole.numBatchesPerEpoch; k++) {
        const [a, b] = await Promise.all([streamed.nextBatch(), whole.nextBatch()]);
        expect(a.indices).toEqual(b.indices);
        expect(Array.from(a.y)).toEqual(Array.from(b.y));
        expect(Array.from(a.x)).toEqual(Array.from(b.x));
      }
      await streamed.decoded;
      expect(done).toBe(120);
      expect(Array.from(streamed.image(17).data)).toEqual(Array.from(whole.image(17).data));
    } finally {
      await Promise.all([streamed.close(), whole.close()]);
    }
  });

  it('skips bad headers with one warning; a damaged body is replaced by the next image of its class', async () => {
    const dir = dataset(6);
    writeFile(path.join(dir, 'cats', 'notes.jpg'), 'not an image');
    // A PNG whose header claims 30000×30000 (a decompression bomb): refused from its header.
    const bomb = png(5);
    bomb.writeUInt32BE(30000, 16);
    bomb.writeUInt32BE(30000, 20);
    writeFile(path.join(dir, 'dogs', 'bomb.png'), bomb);
    // A good header, then garbage where the pixels should be.
    const good = png(7);
    writeFile(path.join(dir, 'cats', 'cats.002b.png'), Buffer.concat([good.subarray(0, 40), Buffer.alloc(200, 7)]));
    const warnings: string[] = [];
    const loader = await flowFromDirectory(dir, { targetSize: 32, batchSize: 4, seed: 1, pool, stream: true, onWarning: (m) => warnings.push(m) });
    try {
      expect(loader.size).toBe(13); // 6 + 6 + the damaged one, kept in place
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/skipped 2 of 15 files/);
      expect(warnings[0]).toMatch(/notes\.jpg: not a JPEG or PNG/);
      expect(warnings[0]).toMatch(/bomb\.png: PNG declares 30000x30000 pixels/);
      await loader.decoded;
      expect(warnings).toHaveLength(2);
      expect(warnings[1]).toMatch(/cats\.002b\.png could not be decoded .*; using cats\/cats\.003\.png in its place/);
      const bad = loader.files.findIndex((f) => f.relPath.endsWith('cats.002b.png'));
      const next = loader.files.findIndex((f) => f.relPath.endsWith('cats.003.png'));
      expect(Array.from(loader.image(bad).data)).toEqual(Array.from(loader.image(next).data));
    } finally {
      await loader.close();
    }
  });
});
