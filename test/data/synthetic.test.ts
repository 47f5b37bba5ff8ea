/**
 * The synthetic circles-vs-squares dataset: layout and counts, real decodable JPEGs,
 * deterministic in the seed (byte-identical files), every image independent of the split sizes,
 * idempotent (a matching manifest means nothing is rewritten), regenerated when the parameters
 * change, and never written over a folder it does not own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import { ensureSyntheticDataset, makeSyntheticDataset } from '../../src/data/synthetic.js';
import { runScript, tempDir, writeFile } from './helpers.js';

const SMALL = { seed: 3, size: 24, perClass: { train: 3, validation: 1, test: 2 } };

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

describe('synthetic dataset', () => {
  it('writes {train,validation,test}/{circles,squares} JPEGs of the requested size and counts, plus a manifest', async () => {
    const dir = path.join(tempDir(), 'syn');
    const r = await makeSyntheticDataset({ dir, ...SMALL });
    expect(r.generated).toBe(true);
    expect(allFiles(dir)).toEqual([
      'manifest.json',
      ...['test', 'train', 'validation'].flatMap((s) => {
        const n = SMALL.perClass[s as 'train'];
        return [['circles', 'circle'], ['squares', 'square']].flatMap(([c, one]) =>
          Array.from({ length: n }, (_, i) => path.join(s, c!, `${one}.${i}.jpg`)).sort());
      }),
    ].sort());
    const img = decodeImage(fs.readFileSync(path.join(dir, 'train', 'squares', 'square.2.jpg')));
    expect([img.width, img.height]).toEqual([24, 24]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'))).toMatchObject({ seed: 3, size: 24, classes: ['circles', 'squares'] });
  });

  it('is deterministic: same seed → byte-identical files; another seed → different images', async () => {
    const a = path.join(tempDir(), 'a');
    const b = path.join(tempDir(), 'b');
    const c = path.join(tempDir(), 'c');
    await makeSyntheticDataset({ dir: a, ...SMALL });
    await makeSyntheticDataset({ dir: b, ...SMALL });
    await makeSyntheticDataset({ dir: c, ...SMALL, seed: 4 });
    const files = allFiles(a).filter((f) => f.endsWith('.jpg'));
    for (const f of files) {
      expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(true);
      expect(fs.readFileSync(path.join(c, f)).equals(fs.readFileSync(path.join(a, f))), f).toBe(false);
    }
    // and no two images in a set are the same
    expect(new Set(files.map((f) => fs.readFileSync(path.join(a, f)).toString('base64'))).size).toBe(files.length);
  });

  it('an image depends only on (seed, split, class, index), not on how many images are made', async () => {
    const a = path.join(tempDir(), 'a');
    const b = path.join(tempDir(), 'b');
    await makeSyntheticDataset({ dir: a, ...SMALL });
    await makeSyntheticDataset({ dir: b, ...SMALL, perClass: { train: 5, validation: 2, test: 1 } });
    const f = path.join('train', 'circles', 'circle.2.jpg');
    expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
  });

  it('is idempotent: a matching manifest → nothing written; other parameters → regenerated', async () => {
    const dir = path.join(tempDir(), 'syn');
    await makeSyntheticDataset({ dir, ...SMALL });
    const f = path.join(dir, 'train', 'circles', 'circle.0.jpg');
    const old = new Date('2001-01-01T00:00:00Z');
    fs.utimesSync(f, old, old);
    const again = await makeSyntheticDataset({ dir, ...SMALL });
    expect(again.generated).toBe(false);
    expect(fs.statSync(f).mtime.getTime()).toBe(old.getTime());
    expect(await ensureSyntheticDataset({ dir, ...SMALL })).toBe(dir);
    expect(fs.statSync(f).mtime.getTime()).toBe(old.getTime());
    const bigger = await makeSyntheticDataset({ dir, ...SMALL, size: 32 });
    expect(bigger.generated).toBe(true);
    expect(decodeImage(fs.readFileSync(f)).width).toBe(32);
  });

  it('a missing file (interrupted run) means regenerate', async () => {
    const dir = path.join(tempDir(), 'syn');
    await makeSyntheticDataset({ dir, ...SMALL });
    fs.rmSync(path.join(dir, 'test', 'squares', 'square.1.jpg'));
    expect((await makeSyntheticDataset({ dir, ...SMALL })).generated).toBe(true);
    expect(fs.existsSync(path.join(dir, 'test', 'squares', 'square.1.jpg'))).toBe(true);
  });

  it('refuses to write into a non-empty folder without its manifest', async () => {
    const dir = tempDir();
    writeFile(path.join(dir, 'precious.txt'), 'keep me');
    await expect(makeSyntheticDataset({ dir, ...SMALL })).rejects.toThrow(/refusing to write/);
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('make-synthetic CLI', () => {
  it('generates, then reports the set as up to date', () => {
    const dir = path.join(tempDir(), 'cli');
    const args = ['--dir', dir, '--size', '16', '--train', '2', '--validation', '1', '--test', '1'];
    const first = runScript('scripts/make-synthetic.ts', args);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`generated ${dir}`);
    const second = runScript('scripts/make-synthetic.ts', args);
    expect(second.stdout).toContain(`up to date: ${dir}`);
    expect(fs.readdirSync(path.join(dir, 'train', 'squares'))).toEqual(['square.0.jpg', 'square.1.jpg']);
  });
});
