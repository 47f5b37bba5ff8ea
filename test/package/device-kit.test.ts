/**
 * The kit for a lent GPU machine (scripts/device/): there the kernel suite runs as esbuild
 * bundles with 'vitest' replaced by scripts/device/vitest-shim.ts. Checked here, cheaply:
 * every name the kernel tests import from vitest is one the shim exports; a kernel test file
 * bundled that way runs to a pass on this adapter; and the shim reports failures (a failing
 * toEqual, toThrow, rejects, not, describe.each case) with a non-zero exit, so a kit that
 * breaks cannot look green.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as shim from '../../scripts/device/vitest-shim.js';
import { root } from '../cli/run.js';

const kernels = join(root, 'test/kernels');

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    external: ['webgpu', 'koffi', 'h5wasm', '@tensorflow/*'],
    alias: { vitest: join(root, 'scripts/device/vitest-shim.ts') },
    banner: { js: "import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);" },
  });
}

describe('device kit', () => {
  it("the shim exports every name the kernel tests take from 'vitest'", () => {
    const names = new Set<string>();
    for (const f of readdirSync(kernels).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(kernels, f), 'utf8').matchAll(/import \{([^}]*)\} from 'vitest'/g)) {
        for (const n of m[1]!.split(',')) names.add(n.trim());
      }
    }
    for (const m of readFileSync(join(root, 'test/helpers.ts'), 'utf8').matchAll(/import \{([^}]*)\} from 'vitest'/g)) {
      for (const n of m[1]!.split(',')) names.add(n.trim());
    }
    expect(names.size).toBeGreaterThan(2);
    expect([...names].filter((n) => !(n in shim))).toEqual([]);
  });

  it('a bundled kernel test file passes through the shim', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-'));
    // Inside the repository tree, so the bundle finds node_modules/webgpu as the kit's does.
    const kit = join(root, 'node_modules', '.cache', `kit-${process.pid}`);
    const out = join(kit, 'kernel-path.test.mjs');
    await bundle(join(kernels, 'kernel-path.test.ts'), out);
    const r = spawnSync(process.execPath, [out], { encoding: 'utf8', cwd: dir });
    rmSync(kit, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ file: 'kernel-path.test.mjs', failed: 0 });
    expect(report.passed).toBe((readFileSync(join(kernels, 'kernel-path.test.ts'), 'utf8').match(/\bit\(/g) ?? []).length);
  });

  it('the shim reports failing tests and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-'));
    const src = join(dir, 'failing.test.ts');
    writeFileSync(
      src,
      `import { afterEach, describe, expect, it } from 'vitest';
      let after = 0;
      describe('d', () => {
        afterEach(() => { after++; });
        it('passes', () => {
          expect([1, { a: 2, b: undefined }]).toEqual([1, { a: 2 }]);
          expect(() => { throw new Error('boom 7'); }).toThrow(/boom \\d/);
          expect({ a: 1, b: { c: 2, d: 3 } }).toMatchObject({ b: { c: 2 } });
          expect(0.1 + 0.2).toBeCloseTo(0.3, 10);
        });
        it('typed array is not an array', () => expect(Float32Array.of(1, 2)).toEqual([1, 2]));
        it('does not throw', () => expect(() => 1).toThrow());
        it('resolves', async () => { await expect(Promise.resolve(1)).rejects.toThrow(); });
        it('negated', () => expect(3).not.toBeLessThan(4));
        it('fail', () => expect.fail('told to'));
        it('hooks ran', () => expect(after).toBe(6));
      });
      describe.each([['x', 1]] as const)('%s', (n, v) => { it('each', () => expect(v, n).toBe(2)); });`,
    );
    const out = join(dir, 'failing.test.mjs');
    await bundle(src, out);
    const r = spawnSync(process.execPath, [out], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(report.passed).toBe(2);
    expect(report.failures.map((f: { name: string }) => f.name)).toEqual([
      'd > typed array is not an array', 'd > does not throw', 'd > resolves', 'd > negated', 'd > fail', 'x > each',
    ]);
    expect(report.failures.at(-1).error).toBe('x: expected 1 to be 2');
  });
});

