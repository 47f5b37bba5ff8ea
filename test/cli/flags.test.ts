/**
 * The same flag names everywhere (`--batch-size`, `--image-size`; bench's old `--batch` and
 * `--sizes`, and `--size`, still accepted but hidden from --help) and `--version` on the
 * commands, printing package.json's version. Real processes, as a user runs them.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../scripts/bench.js';
import { flagValue, IMAGE_SIZE } from '../../scripts/lib/args.js';
import { root, run } from './run.js';

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

describe('flag names', () => {
  it('bench takes --batch-size and --image-size, and the old --batch and --sizes', () => {
    const argv = (...a: string[]) => ['node', 'bench', ...a];
    expect(parseBenchOptions(argv())).toMatchObject({ batchSize: 8, imageSize: [224, 112] });
    expect(parseBenchOptions(argv('--batch-size', '4', '--image-size', '96,64'))).toMatchObject({ batchSize: 4, imageSize: [96, 64] });
    const old = parseBenchOptions(argv('--batch', '2', '--sizes', '32'));
    expect(old).toMatchObject({ batchSize: 2, imageSize: [32] });
    expect(old).not.toHaveProperty('batch');
  });

  it('--help lists the new names only', async () => {
    const r = await run('bench.ts', ['--help']);
    expect(r.out).toMatch(/--batch-size <n>/);
    expect(r.out).toMatch(/--image-size <list>/);
    expect(r.out).not.toMatch(/--batch <n>|--sizes/);
  });

  it('make-synthetic takes --image-size', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'flags-')), 'set');
    const r = await run('make-synthetic.ts', ['--dir', dir, '--image-size', '16', '--train', '1', '--validation', '1', '--test', '1']);
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).size).toBe(16);
    expect(readdirSync(join(dir, 'train', 'circles'))).toEqual(['circle.0.jpg']);
  });

  it('the standalone bench scripts read --image-size before the old --size', () => {
    expect(flagValue(['--image-size', '96'], IMAGE_SIZE)).toBe('96');
    expect(flagValue(['--size', '64'], IMAGE_SIZE)).toBe('64');
    expect(flagValue(['--size', '64', '--image-size', '96'], IMAGE_SIZE)).toBe('96');
    expect(flagValue(['--reps', '3'], IMAGE_SIZE)).toBeUndefined();
  });
});

describe('--version', () => {
  it.each(['train.ts', 'predict.ts', 'evaluate.ts', 'web.ts', 'prepare-data.ts', 'bench.ts', 'bench-loader.ts', 'make-synthetic.ts'])('%s prints the package version', async (script) => {
    const r = await run(script, ['--version']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
