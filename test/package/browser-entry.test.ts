/**
 * The platform-neutral entry (src/browser.ts, the package's "./browser") bundles for a browser:
 * no Node built-in anywhere in its import graph and no Node global in its code — so a page can
 * use it as it is. (test/package/pack.test.ts repeats this on the packed, installed package.)
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from './bundle.js';

const root = resolve(__dirname, '../..');

describe('the browser entry', () => {
  it('reaches no Node built-in and uses no Node global', async () => {
    const r = await bundleForBrowser(join(root, 'src/browser.ts'), root);
    expect(r.nodeImports).toEqual([]);
    expect(r.nodeGlobals).toEqual([]);
    // It is the engine, not an empty shell: kernels, autograd, layers, fit loop, metrics.
    for (const f of ['src/kernels/context.ts', 'src/autograd/tape.ts', 'src/nn/sequential.ts', 'src/nn/fit.ts', 'src/nn/metrics.ts', 'src/data/augment.ts']) {
      expect(r.inputs, f).toContain(f);
    }
  });

  it('the check works: the Node entry does reach Node built-ins', async () => {
    const r = await bundleForBrowser(join(root, 'src/index.ts'), root);
    expect(r.nodeImports.some((s) => s.startsWith('node:fs'))).toBe(true);
  });
});
