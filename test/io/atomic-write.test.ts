import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic-write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atomic-write-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const tempLeftovers = (): string[] => readdirSync(dir).filter((f) => f.includes('.tmp-'));

describe('writeFileAtomic', () => {
  it('creates a new file and replaces an existing one', async () => {
    const p = join(dir, 'ckpt.bin');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    await writeFileAtomic(p, 'hello');
    expect(readFileSync(p, 'utf8')).toBe('hello');
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
  });

  it('readers only ever see the complete old or the complete new content', async () => {
    const p = join(dir, 'state.json');
    const versions = Array.from({ length: 12 }, (_, i) => JSON.stringify({ v: i, pad: String(i).repeat(20_000 + i * 997) }));
    writeFileSync(p, versions[0]!);
    const allowed = new Set(versions);
    let reads = 0;
    let done = false;
    const reader = (async () => {
      while (!done) {
        const s = readFileSync(p, 'utf8');
        expect(allowed.has(s)).toBe(true);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Concurrent writers racing for the same target.
    await Promise.all(versions.slice(1).map((v) => writeFileAtomic(p, v)));
    done = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(allowed.has(readFileSync(p, 'utf8'))).toBe(true);
    expect(tempLeftovers()).toEqual([]);
  });

  it('leaves the target untouched and removes the temp file when the rename fails', async () => {
    // The target is a non-empty directory, so rename() fails after the temp file was written.
    const p = join(dir, 'target');
    mkdirSync(p);
    writeFileSync(join(p, 'inside.txt'), 'keep me');
    await expect(writeFileAtomic(p, 'new content')).rejects.toThrow();
    expect(readFileSync(join(p, 'inside.txt'), 'utf8')).toBe('keep me');
    expect(tempLeftovers()).toEqual([]);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x.bin'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes the temp file next to the target with the pid in its name', async () => {
    // Observe the directory while a large write is in flight.
    const p = join(dir, 'big.bin');
    const big = new Uint8Array(8 << 20).fill(7);
    const seen = new Set<string>();
    let finished = false;
    const pending = writeFileAtomic(p, big).then(() => {
      finished = true;
    });
    while (!finished) {
      for (const f of readdirSync(dir)) seen.add(f);
      await new Promise((r) => setImmediate(r));
    }
    await pending;
    const temps = [...seen].filter((f) => f !== 'big.bin');
    expect(temps.length).toBeGreaterThan(0);
    for (const t of temps) expect(t).toMatch(new RegExp(`^big\\.bin\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect(readFileSync(p).length).toBe(8 << 20);
    expect(tempLeftovers()).toEqual([]);
  });
});

describe('writeFileAtomicSync', () => {
  it('replaces content and cleans up on failure', () => {
    const p = join(dir, 'a.txt');
    writeFileAtomicSync(p, 'one');
    writeFileAtomicSync(p, 'two');
    expect(readFileSync(p, 'utf8')).toBe('two');
    const d = join(dir, 'adir');
    mkdirSync(d);
    writeFileSync(join(d, 'f'), 'x');
    expect(() => writeFileAtomicSync(d, 'y')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'adir']);
  });
});
