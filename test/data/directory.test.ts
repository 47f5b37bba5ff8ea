/**
 * Listing a directory dataset: classes are sorted sub-folders numbered from 0 (cats 0, dogs 1),
 * files are sorted, found recursively, dot-files ignored; and every structural problem is a
 * clear DatasetError naming the path before anything is decoded.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, listDirectory } from '../../src/data/directory.js';
import { flowFromDirectory } from '../../src/data/loader.js';
import { tempDir, writeFile } from './helpers.js';

describe('class indexing and file order', () => {
  it('cats → 0, dogs → 1; files sorted by name within each class, classes in label order', () => {
    const d = tempDir();
    for (const f of ['dogs/dog.2.jpg', 'dogs/dog.10.jpg', 'cats/cat.1.jpg', 'cats/cat.0.jpg']) writeFile(path.join(d, f), 'x');
    const l = listDirectory(d);
    expect(l.classNames).toEqual(['cats', 'dogs']);
    expect(l.classIndices).toEqual({ cats: 0, dogs: 1 });
    // string order, as Python's sorted(): 'dog.10' < 'dog.2'
    expect(l.files.map((f) => [f.relPath, f.label])).toEqual([
      [path.join('cats', 'cat.0.jpg'), 0],
      [path.join('cats', 'cat.1.jpg'), 0],
      [path.join('dogs', 'dog.10.jpg'), 1],
      [path.join('dogs', 'dog.2.jpg'), 1],
    ]);
    expect(l.files.every((f) => path.isAbsolute(f.path))).toBe(true);
  });

  it('N classes sorted by code point (upper case first, as Python); nested folders included; dot-files ignored', () => {
    const d = tempDir();
    for (const f of ['zebra/a.jpg', 'Zeta/a.jpg', 'ant/sub/deep.jpg', 'ant/top.jpg', 'ant/.DS_Store', '.hidden/x.jpg']) writeFile(path.join(d, f), 'x');
    writeFile(path.join(d, 'README.txt'), 'not a class');
    const l = listDirectory(d);
    expect(l.classNames).toEqual(['Zeta', 'ant', 'zebra']);
    expect(l.files.filter((f) => f.label === 1).map((f) => f.relPath)).toEqual([path.join('ant', 'sub', 'deep.jpg'), path.join('ant', 'top.jpg')]);
  });

  it('the classes option selects folders and sets label order', () => {
    const d = tempDir();
    for (const f of ['cats/a.jpg', 'dogs/b.jpg', 'birds/c.jpg']) writeFile(path.join(d, f), 'x');
    const l = listDirectory(d, { classes: ['dogs', 'cats'] });
    expect(l.classNames).toEqual(['dogs', 'cats']);
    expect(l.files.map((f) => [path.basename(f.path), f.label])).toEqual([['b.jpg', 0], ['a.jpg', 1]]);
  });
});

describe('structural errors', () => {
  it('missing data folder: says the path and what was expected', () => {
    const d = path.join(tempDir(), 'nope');
    expect(() => listDirectory(d)).toThrow(DatasetError);
    expect(() => listDirectory(d)).toThrow(`Data folder not found: ${d}`);
  });

  it('a file where the data folder should be', () => {
    const f = writeFile(path.join(tempDir(), 'file'), 'x');
    expect(() => listDirectory(f)).toThrow(`Data folder ${f} is not a folder`);
  });

  it('fewer than two classes', () => {
    const d = tempDir();
    expect(() => listDirectory(d)).toThrow(`Data folder ${d} has 0 class folders; need at least two`);
    writeFile(path.join(d, 'cats', 'a.jpg'), 'x');
    expect(() => listDirectory(d)).toThrow(`Data folder ${d} has 1 class folder (cats); need at least two`);
  });

  it('an empty class folder (dot-files do not count)', () => {
    const d = tempDir();
    writeFile(path.join(d, 'cats', 'a.jpg'), 'x');
    writeFile(path.join(d, 'dogs', '.DS_Store'), 'x');
    expect(() => listDirectory(d)).toThrow(`Class folder ${path.join(d, 'dogs')} is empty`);
  });

  it('a class named in `classes` that has no folder', () => {
    const d = tempDir();
    writeFile(path.join(d, 'cats', 'a.jpg'), 'x');
    writeFile(path.join(d, 'dogs', 'a.jpg'), 'x');
    expect(() => listDirectory(d, { classes: ['cats', 'cows'] })).toThrow(`Class folder missing: ${path.join(d, 'cows')}`);
  });

  it('flowFromDirectory rejects with the same errors before decoding anything', async () => {
    const d = path.join(tempDir(), 'missing');
    await expect(flowFromDirectory(d, { workers: 0 })).rejects.toThrow(`Data folder not found: ${d}`);
  });
});
