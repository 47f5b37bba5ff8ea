/**
 * scripts/prepare-data.ts: the tutorial's split of a (fake, tiny) Kaggle "Dogs vs. Cats" train
 * folder — files taken in numeric order of N, copied (not linked) into
 * OUT/{train,validation,test}/{cats,dogs} — through the library function and the CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareKaggleSplit } from '../../src/data/kaggle.js';
import { runScript, tempDir, writeFile } from './helpers.js';

/** cat.0 … cat.(n−1), dog.0 … dog.(n−1), each file's content naming it, plus clutter. */
function fakeKaggle(n: number): string {
  const d = tempDir('kaggle-');
  for (let i = 0; i < n; i++) {
    writeFile(path.join(d, `cat.${i}.jpg`), `cat ${i}`);
    writeFile(path.join(d, `dog.${i}.jpg`), `dog ${i}`);
  }
  writeFile(path.join(d, 'sampleSubmission.csv'), 'id,label');
  return d;
}

const list = (d: string) => fs.readdirSync(d).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));

describe('prepareKaggleSplit', () => {
  it('takes cat.N / dog.N in numeric order: first train, then validation, then test', () => {
    const src = fakeKaggle(14);
    const out = path.join(tempDir(), 'small');
    const r = prepareKaggleSplit({ src, out, train: 3, validation: 2, test: 7 });
    expect(list(path.join(out, 'train', 'cats'))).toEqual(['cat.0.jpg', 'cat.1.jpg', 'cat.2.jpg']);
    expect(list(path.join(out, 'validation', 'dogs'))).toEqual(['dog.3.jpg', 'dog.4.jpg']);
    // numeric, not string, order: cat.10 comes after cat.9
    expect(list(path.join(out, 'test', 'cats'))).toEqual([5, 6, 7, 8, 9, 10, 11].map((i) => `cat.${i}.jpg`));
    expect(r.counts).toEqual({ train: { cats: 3, dogs: 3 }, validation: { cats: 2, dogs: 2 }, test: { cats: 7, dogs: 7 } });
    expect(r.ranges.test.dogs).toEqual([5, 11]);
    const f = path.join(out, 'validation', 'cats', 'cat.4.jpg');
    expect(fs.lstatSync(f).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(f, 'utf8')).toBe('cat 4');
  });

  it('too few files: an error that says how many were found and needed', () => {
    const src = fakeKaggle(5);
    expect(() => prepareKaggleSplit({ src, out: path.join(tempDir(), 'o'), train: 3, validation: 2, test: 1 }))
      .toThrow(`${src} has 5 cat.N.jpg files; the split needs 6 per class (3 train + 2 validation + 1 test)`);
  });

  it('refuses to mix into an existing split unless forced', () => {
    const src = fakeKaggle(4);
    const out = path.join(tempDir(), 'o');
    prepareKaggleSplit({ src, out, train: 2, validation: 1, test: 1 });
    expect(() => prepareKaggleSplit({ src, out, train: 1, validation: 1, test: 1 })).toThrow(/already holds train, validation, test; pass --force/);
    prepareKaggleSplit({ src, out, train: 1, validation: 1, test: 1, force: true });
    expect(list(path.join(out, 'train', 'cats'))).toEqual(['cat.0.jpg']);
  });

  it('a missing source folder is a clear error', () => {
    const src = path.join(tempDir(), 'train');
    expect(() => prepareKaggleSplit({ src, out: tempDir() })).toThrow(`Kaggle train folder not found: ${src}`);
  });
});

describe('prepare-data CLI', () => {
  const run = (...args: string[]) => runScript('scripts/prepare-data.ts', args);

  it('--help lists the options', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const o of ['--src', '--out', '--train', '--validation', '--test', '--force']) expect(r.stdout).toContain(o);
  });

  it('splits a folder and reports the ranges; bad input exits non-zero with a message', () => {
    const src = fakeKaggle(6);
    const out = path.join(tempDir(), 'o');
    const r = run('--src', src, '--out', out, '--train', '2', '--validation', '2', '--test', '2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('validation cats     2 (cat.2–3)');
    expect(list(path.join(out, 'test', 'dogs'))).toEqual(['dog.4.jpg', 'dog.5.jpg']);
    const bad = run('--src', src, '--out', path.join(tempDir(), 'p'), '--train', '5');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('the split needs 1005 per class (5 train + 500 validation + 500 test)');
  });
});
