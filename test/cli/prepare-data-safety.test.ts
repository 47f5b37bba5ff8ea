/**
 * `npm run prepare-data -- --force` never deletes its own source: the CLI is run as a user
 * runs it, on real folders and real symbolic links, and afterwards every source file must still
 * be there with its content. Also the output folder's own flag name, --dest (--out still works).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript, tempDir, writeFile } from '../data/helpers.js';

const run = (...args: string[]) => runScript('scripts/prepare-data.ts', args);
const SMALL = ['--train', '1', '--validation', '1', '--test', '1'];

/** A Kaggle-like folder of cat.0–3 / dog.0–3, each file's content naming it. */
function kaggleAt(dir: string): string {
  for (let i = 0; i < 4; i++) {
    writeFile(path.join(dir, `cat.${i}.jpg`), `cat ${i}`);
    writeFile(path.join(dir, `dog.${i}.jpg`), `dog ${i}`);
  }
  return dir;
}

/** Every file under `dir` (recursively, not following links) with its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const p = path.join(e.parentPath, e.name);
      out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  }
  return out;
}

function expectRefused(r: ReturnType<typeof run>, victim: string, what: 'is' | 'contains'): void {
  expect(r.status, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^prepare-data: refusing to replace ${escape(victim)}: it ${what} the source folder `));
  expect(lines[0]).toContain('choose another --dest');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('prepare-data --force never deletes its source', () => {
  it('--src X/train --dest X --force: refused, X/train untouched', () => {
    const x = tempDir('prep-');
    const src = kaggleAt(path.join(x, 'train'));
    const before = snapshot(src);
    expect(Object.keys(before)).toHaveLength(8);
    const r = run('--src', src, '--dest', x, '--force', ...SMALL);
    expectRefused(r, path.join(x, 'train'), 'is');
    expect(snapshot(src)).toEqual(before);
    // Nothing was created either: the check comes before any copy.
    expect(fs.readdirSync(x)).toEqual(['train']);
  });

  it('the same with the source reached through a symlinked parent folder', () => {
    const x = tempDir('prep-');
    const src = kaggleAt(path.join(x, 'train'));
    const before = snapshot(src);
    const link = path.join(tempDir('prep-link-'), 'downloads');
    fs.symlinkSync(x, link);
    const r = run('--src', path.join(link, 'train'), '--dest', x, '--force', ...SMALL);
    expectRefused(r, path.join(x, 'train'), 'is');
    expect(snapshot(src)).toEqual(before);
  });

  it('a split folder that is a symlink to the source is refused (real paths are compared)', () => {
    const dl = kaggleAt(path.join(tempDir('prep-dl-'), 'train'));
    const before = snapshot(dl);
    const x = tempDir('prep-');
    fs.symlinkSync(dl, path.join(x, 'train'));
    const r = run('--src', dl, '--dest', x, '--force', ...SMALL);
    expectRefused(r, path.join(x, 'train'), 'is');
    expect(r.stderr).toContain(`(through ${fs.realpathSync(dl)})`);
    expect(snapshot(dl)).toEqual(before);
    expect(fs.lstatSync(path.join(x, 'train')).isSymbolicLink()).toBe(true);
  });

  it('a source inside a split folder ("contains") is refused, before any other split is removed', () => {
    const x = tempDir('prep-');
    const src = kaggleAt(path.join(x, 'validation', 'kaggle-train'));
    writeFile(path.join(x, 'train', 'cats', 'keep.jpg'), 'old split');
    const before = snapshot(x);
    const r = run('--src', src, '--dest', x, '--force', ...SMALL);
    expectRefused(r, path.join(x, 'validation'), 'contains');
    // train/ comes first in the order of removal, and is still there: all checks precede all removals.
    expect(snapshot(x)).toEqual(before);
  });

  it('--force still replaces split folders that do not hold the source', () => {
    const src = kaggleAt(path.join(tempDir('prep-dl-'), 'train'));
    const x = tempDir('prep-');
    writeFile(path.join(x, 'train', 'cats', 'stale.jpg'), 'old');
    const r = run('--src', src, '--dest', x, '--force', ...SMALL);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(path.join(x, 'train', 'cats'))).toEqual(['cat.0.jpg']);
    expect(fs.readFileSync(path.join(x, 'test', 'dogs', 'dog.2.jpg'), 'utf8')).toBe('dog 2');
    expect(Object.keys(snapshot(src))).toHaveLength(8);
  });
});

describe('prepare-data output flag', () => {
  it('--help names --dest as the dataset folder and --out as its old name', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--dest <dir>\s+dataset folder to create/);
    expect(r.stdout).toMatch(/--out <dir>\s+old name of --dest/);
  });

  it('--out still works; --dest and a different --out together are one clear error', () => {
    const src = kaggleAt(path.join(tempDir('prep-dl-'), 'train'));
    const a = path.join(tempDir('prep-'), 'a');
    const viaOut = run('--src', src, '--out', a, ...SMALL);
    expect(viaOut.status, viaOut.stderr).toBe(0);
    expect(viaOut.stdout).toContain(`written to ${a}`);
    expect(fs.readdirSync(path.join(a, 'validation', 'cats'))).toEqual(['cat.1.jpg']);
    const b = path.join(tempDir('prep-'), 'b');
    const both = run('--src', src, '--dest', b, '--out', a, ...SMALL);
    expect(both.status).toBe(1);
    expect(both.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(both.stderr).toMatch(/--out is the old name of --dest; give one of them/);
    expect(fs.existsSync(b)).toBe(false);
  });
});
