/**
 * The tutorial's small split of Kaggle's "Dogs vs. Cats" `train` folder (Chollet, Deep Learning
 * with Python, §5.2): from files `cat.N.jpg` / `dog.N.jpg`, taken in order of N (numerically:
 * cat.2 before cat.10), the first `train` of each class go to train, the next `validation` to
 * validation, the next `test` to test (defaults 1000 / 500 / 500, i.e. cat.0–999 train,
 * cat.1000–1499 validation, cat.1500–1999 test):
 *
 *   out/{train,validation,test}/{cats,dogs}/cat.N.jpg …
 *
 * Files are copied (not linked), keeping their names. Other files in the source are ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatasetError } from './directory.js';

export interface KaggleSplitOptions {
  /** Kaggle's extracted `train` folder. */
  src: string;
  /** Output folder (the dataset folder `npm run train -- --data` then takes). */
  out: string;
  /** Images per class for each split (default 1000 / 500 / 500). */
  train?: number;
  validation?: number;
  test?: number;
  /**
   * Replace existing train / validation / test folders under `out` — never one that is, or
   * holds, `src` (that is refused before anything is removed).
   */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface KaggleSplitResult {
  out: string;
  /** Files copied per split and class, e.g. counts.train.cats. */
  counts: Record<'train' | 'validation' | 'test', Record<'cats' | 'dogs', number>>;
  /** The N range taken per split and class, e.g. ranges.train.cats = [0, 999]. */
  ranges: Record<'train' | 'validation' | 'test', Record<'cats' | 'dogs', [number, number]>>;
}

const PATTERN = /^(cat|dog)\.(\d+)\.jpe?g$/i;

/**
 * Throws when removing `victim` would remove `src`: the same folder or one above it. Real paths
 * are compared, so a symbolic link anywhere on either path (a `train` link to the download, a
 * source reached through a linked parent) is seen through.
 */
function refuseToDeleteSource(victim: string, src: string): void {
  const v = fs.realpathSync(victim);
  const s = fs.realpathSync(src);
  if (s === v || s.startsWith(v.endsWith(path.sep) ? v : v + path.sep)) {
    const what = s === v ? 'is' : 'contains';
    throw new DatasetError(
      `refusing to replace ${victim}: it ${what} the source folder ${src}${v !== victim ? ` (through ${v})` : ''}; choose another --dest`,
    );
  }
}

export function prepareKaggleSplit(opts: KaggleSplitOptions): KaggleSplitResult {
  const src = path.resolve(opts.src);
  const out = path.resolve(opts.out);
  const sizes = { train: opts.train ?? 1000, validation: opts.validation ?? 500, test: opts.test ?? 500 };
  for (const [k, v] of Object.entries(sizes)) {
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`--${k} must be a non-negative integer, got ${v}`);
  }
  if (!fs.existsSync(src) || !fs.statSync(src).isDirectory()) {
    throw new DatasetError(`Kaggle train folder not found: ${src} (download "Dogs vs. Cats" from Kaggle and unzip train.zip)`);
  }
  const byClass: Record<'cat' | 'dog', { n: number; name: string }[]> = { cat: [], dog: [] };
  for (const name of fs.readdirSync(src)) {
    const m = PATTERN.exec(name);
    if (m) byClass[m[1]!.toLowerCase() as 'cat' | 'dog'].push({ n: Number(m[2]), name });
  }
  const need = sizes.train + sizes.validation + sizes.test;
  for (const k of ['cat', 'dog'] as const) {
    byClass[k].sort((a, b) => a.n - b.n || (a.name < b.name ? -1 : 1));
    if (byClass[k].length < need) {
      throw new DatasetError(
        `${src} has ${byClass[k].length} ${k}.N.jpg files; the split needs ${need} per class (${sizes.train} train + ${sizes.validation} validation + ${sizes.test} test)`,
      );
    }
  }
  const splits = ['train', 'validation', 'test'] as const;
  const existing = splits.filter((s) => fs.existsSync(path.join(out, s)) && fs.readdirSync(path.join(out, s)).length > 0);
  if (existing.length > 0) {
    if (!opts.force) {
      throw new DatasetError(`${out} already holds ${existing.join(', ')}; pass --force to replace them`);
    }
    // Check every folder before removing any: none may be, or hold, the source.
    for (const s of existing) refuseToDeleteSource(path.join(out, s), src);
    for (const s of existing) fs.rmSync(path.join(out, s), { recursive: true, force: true });
  }
  const counts = {} as KaggleSplitResult['counts'];
  const ranges = {} as KaggleSplitResult['ranges'];
  let done = 0;
  const total = 2 * need;
  let start = 0;
  for (const s of splits) {
    counts[s] = { cats: 0, dogs: 0 };
    ranges[s] = { cats: [0, -1], dogs: [0, -1] };
    for (const k of ['cat', 'dog'] as const) {
      const folder = k === 'cat' ? 'cats' : 'dogs';
      const dir = path.join(out, s, folder);
      fs.mkdirSync(dir, { recursive: true });
      const take = byClass[k].slice(start, start + sizes[s]);
      for (const f of take) {
        fs.copyFileSync(path.join(src, f.name), path.join(dir, f.name));
        done++;
        if (opts.onProgress && (done % 100 === 0 || done === total)) opts.onProgress(done, total);
      }
      counts[s][folder] = take.length;
      if (take.length) ranges[s][folder] = [take[0]!.n, take[take.length - 1]!.n];
    }
    start += sizes[s];
  }
  return { out, counts, ranges };
}
