/**
 * Symbolic links in a directory dataset, on real links: by default (Keras's follow_links=False)
 * links to folders inside a class folder are not entered — so a loop, a link to the data
 * folder or to another class adds nothing — while links to files are listed (as os.walk lists
 * them) and a dangling one is named by the loader's warning. With followLinks, linked folders
 * are entered once each and loops are cut.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDirectory } from '../../src/data/directory.js';
import { flowFromDirectory } from '../../src/data/loader.js';
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { smoothImage, tempDir, writeFile } from './helpers.js';

const jpeg = encodeJpeg(smoothImage(8, 8));

/**
 *   elsewhere/extra/extra.jpg, elsewhere/extra/self -> .   (a loop outside the data folder)
 *   elsewhere/x.jpg
 *   data/cats/cat.0.jpg cat.1.jpg
 *   data/cats/alias.jpg -> elsewhere/x.jpg     (a linked file)
 *   data/cats/broken.jpg -> (nothing)           (dangling)
 *   data/cats/loop -> .                          (a loop)
 *   data/cats/up -> ..                           (the data folder: the other class inside)
 *   data/cats/more -> elsewhere/extra            (a folder outside)
 *   data/dogs/dog.0.jpg
 *   data/dogs/cats-link -> ../cats               (another class)
 */
function linkedDataset(): string {
  const base = tempDir('links-');
  const elsewhere = path.join(base, 'elsewhere');
  writeFile(path.join(elsewhere, 'extra', 'extra.jpg'), jpeg);
  fs.symlinkSync('.', path.join(elsewhere, 'extra', 'self'));
  writeFile(path.join(elsewhere, 'x.jpg'), jpeg);
  const d = path.join(base, 'data');
  writeFile(path.join(d, 'cats', 'cat.0.jpg'), jpeg);
  writeFile(path.join(d, 'cats', 'cat.1.jpg'), jpeg);
  writeFile(path.join(d, 'dogs', 'dog.0.jpg'), jpeg);
  fs.symlinkSync(path.join(elsewhere, 'x.jpg'), path.join(d, 'cats', 'alias.jpg'));
  fs.symlinkSync(path.join(base, 'missing.jpg'), path.join(d, 'cats', 'broken.jpg'));
  fs.symlinkSync('.', path.join(d, 'cats', 'loop'));
  fs.symlinkSync('..', path.join(d, 'cats', 'up'));
  fs.symlinkSync(path.join(elsewhere, 'extra'), path.join(d, 'cats', 'more'));
  fs.symlinkSync('../cats', path.join(d, 'dogs', 'cats-link'));
  return d;
}

const byClass = (l: ReturnType<typeof listDirectory>, label: number) => l.files.filter((f) => f.label === label).map((f) => f.relPath);
const j = path.join;

describe('symbolic links in class folders', () => {
  it('by default: linked folders are not entered; linked and dangling files are listed', () => {
    const d = linkedDataset();
    const l = listDirectory(d);
    expect(l.classNames).toEqual(['cats', 'dogs']);
    expect(byClass(l, 0)).toEqual([j('cats', 'alias.jpg'), j('cats', 'broken.jpg'), j('cats', 'cat.0.jpg'), j('cats', 'cat.1.jpg')]);
    expect(byClass(l, 1)).toEqual([j('dogs', 'dog.0.jpg')]);
    expect(l.skippedLinks).toEqual([j('cats', 'loop'), j('cats', 'more'), j('cats', 'up'), j('dogs', 'cats-link')]);
    // The listed link keeps its own path (the loader reads through it).
    expect(l.files.find((f) => f.relPath.endsWith('alias.jpg'))!.path).toBe(j(d, 'cats', 'alias.jpg'));
  });

  it('a class folder that is itself a link is a class (Keras lists it with os.path.isdir)', () => {
    const d = linkedDataset();
    const other = tempDir('links-');
    fs.symlinkSync(j(d, 'dogs'), j(other, 'dogs'));
    fs.symlinkSync(j(d, 'cats'), j(other, 'cats'));
    const l = listDirectory(other);
    expect(l.classNames).toEqual(['cats', 'dogs']);
    expect(byClass(l, 1)).toEqual([j('dogs', 'dog.0.jpg')]);
  });

  it('followLinks: each linked folder once; links back to the class or above it, and loops, are cut', () => {
    const d = linkedDataset();
    const l = listDirectory(d, { followLinks: true });
    expect(byClass(l, 0)).toEqual([
      j('cats', 'alias.jpg'),
      j('cats', 'broken.jpg'),
      j('cats', 'cat.0.jpg'),
      j('cats', 'cat.1.jpg'),
      j('cats', 'more', 'extra.jpg'), // more/self (a loop) is cut
    ]);
    // dogs asked for cats' folder through its link: entered once, with its own loops cut.
    expect(byClass(l, 1)).toEqual([
      j('dogs', 'cats-link', 'alias.jpg'),
      j('dogs', 'cats-link', 'broken.jpg'),
      j('dogs', 'cats-link', 'cat.0.jpg'),
      j('dogs', 'cats-link', 'cat.1.jpg'),
      j('dogs', 'cats-link', 'more', 'extra.jpg'),
      j('dogs', 'dog.0.jpg'),
    ]);
    expect(l.skippedLinks).toEqual([
      j('cats', 'loop'),
      j('cats', 'more', 'self'),
      j('cats', 'up'),
      j('dogs', 'cats-link', 'loop'),
      j('dogs', 'cats-link', 'more', 'self'),
      j('dogs', 'cats-link', 'up'),
    ]);
  });

  it('flowFromDirectory does not follow by default, and its one warning names the dangling link', async () => {
    const d = linkedDataset();
    const warnings: string[] = [];
    const loader = await flowFromDirectory(d, { workers: 0, targetSize: 8, batchSize: 2, classMode: 'binary', onWarning: (m) => warnings.push(m) });
    try {
      expect(loader.files.map((f) => f.relPath)).toEqual([j('cats', 'alias.jpg'), j('cats', 'cat.0.jpg'), j('cats', 'cat.1.jpg'), j('dogs', 'dog.0.jpg')]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/skipped 1 of 5 files/);
      expect(warnings[0]).toContain(`${j('cats', 'broken.jpg')}: cannot read (ENOENT)`);
    } finally {
      await loader.close();
    }
  });
});
