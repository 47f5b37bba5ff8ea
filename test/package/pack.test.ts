/**
 * The package as a consumer gets it: `npm pack` (which builds dist/ with tsc), the tarball
 * installed into an empty project, then, from that project, plain `node` (no tsx) importing
 * both entries, TypeScript checking a consumer against the shipped declarations, esbuild
 * bundling the "./browser" entry for a browser, and every examples/*.mjs run with no arguments
 * from an unrelated folder, its output checked.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from './bundle.js';

const exec = promisify(execFile);
const root = resolve(__dirname, '../..');
const EXAMPLES = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.mjs')).sort();

let work: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };

/** Runs a command, returning its output; a failure shows everything it printed. */
async function sh(cmd: string, args: string[], cwd: string, timeout = 240_000): Promise<{ stdout: string; stderr: string }> {
  // TMPDIR inside the test's folder: what the examples write to their temporary folders goes with it.
  const env = { ...process.env, FORCE_COLOR: '0', npm_config_update_notifier: 'false', TMPDIR: join(work, 'tmp') };
  try {
    return await exec(cmd, args, { cwd, timeout, maxBuffer: 64 << 20, env });
  } catch (e) {
    const x = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${x.message}\n${x.stdout ?? ''}\n${x.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pack-'));
  mkdirSync(join(work, 'tmp'));
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work], root);
  packed = JSON.parse(stdout)[0];
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The dependencies come from the registry; the npm cache makes a repeated run offline.
  await sh('npm', ['install', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], project);
  for (const f of EXAMPLES) copyFileSync(join(root, 'examples', f), join(project, f));
}, 300_000);

// The installed project is large (Dawn's binaries for every platform): do not leave it behind.
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships compiled JavaScript, declarations, the examples and the API guide, not the sources', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/browser.js', 'dist/browser.d.ts', 'dist/data/worker-entry.mjs', 'dist/data/worker.js', 'docs/API.md', ...EXAMPLES.map((e) => `examples/${e}`)]) {
      expect(paths, p).toContain(p);
    }
    expect(paths.filter((p) => /^(src|test|scripts|web)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);
  });

  it('imports with plain node: the Node entry has everything, "./browser" the platform-neutral part', async () => {
    const script = `
      const node = await import('alexnet-webgpu');
      const browser = await import('alexnet-webgpu/browser');
      console.log(JSON.stringify({ node: Object.keys(node), browser: Object.keys(browser) }));`;
    const { stdout } = await sh(process.execPath, ['--input-type=module', '-e', script], project);
    const { node, browser } = JSON.parse(stdout);
    for (const name of ['createNodeContext', 'loadModel', 'saveModel', 'flowFromDirectory', 'readImageFile', 'CsvLogFile', 'renderConfusionMatrix']) {
      expect(node, name).toContain(name);
      expect(browser, name).not.toContain(name);
    }
    for (const name of ['createBrowserContext', 'Tensor', 'matmul', 'Sequential', 'Conv2D', 'buildModel', 'Trainer', 'fit', 'ReduceLROnPlateau', 'CsvLogger', 'classificationReport', 'rocAuc', 'renderImage', 'inputsFor', 'encodeState', 'decodeStateInto']) {
      expect(browser, name).toContain(name);
      expect(node, name).toContain(name);
    }
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { buildModel, classificationReport, createNodeContext, loadModel, type FitOptions, type ModelManifest } from 'alexnet-webgpu';
import { createBrowserContext, Tensor, type GpuContext } from 'alexnet-webgpu/browser';
export async function main(): Promise<number> {
  const ctx: GpuContext = await createNodeContext();
  const model = buildModel({ variant: 'tutorial', imageSize: 67, width: 0.125 }).build(ctx, 1);
  const t: Tensor = Tensor.fromArray(ctx, new Float32Array(4), [2, 2]);
  const o: Partial<FitOptions> = { epochs: 1 };
  const { manifest }: { manifest: ModelManifest } = loadModel('model', ctx);
  // @ts-expect-error the types are real, not any: a context is not a number
  const wrong: number = ctx;
  void createBrowserContext; void t; void o; void manifest; void wrong;
  return model.layers.length + classificationReport([[1, 0], [0, 1]], ['a', 'b']).accuracy;
}
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
          // @webgpu/types (a dependency, for the GPU types in the declarations) needs the DOM lib.
          lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    await sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], project);
  });

  it('the "./browser" entry bundles for a browser with no Node built-in in its import graph', async () => {
    const r = await bundleForBrowser('alexnet-webgpu/browser', project);
    expect(r.nodeImports).toEqual([]);
    expect(r.nodeGlobals).toEqual([]);
    expect(r.inputs.some((f) => f.includes('node_modules/alexnet-webgpu/dist/'))).toBe(true);
  });
});

describe('examples, run with no arguments from another folder', () => {
  const elsewhere = () => mkdtempSync(join(work, 'anywhere-'));

  it('train-image-folder.mjs trains on an image folder, logs each epoch and saves the model', async () => {
    expect(EXAMPLES).toContain('train-image-folder.mjs');
    const { stdout } = await sh(process.execPath, [join(project, 'train-image-folder.mjs')], elsewhere());
    expect(stdout).toMatch(/classes: circles, squares; 256 training and 32 validation images/);
    expect(stdout).toMatch(/Total params: [\d,]+/);
    expect(stdout.match(/^Epoch \d\/3 - .* - val_accuracy: [\d.]+ - lr: [\d.e-]+$/gm)).toHaveLength(3);
    const acc = Number(/final val_accuracy: ([\d.]+)/.exec(stdout)![1]);
    expect(acc).toBeGreaterThan(0.6); // striped circles vs squares: well above chance in 3 epochs
    expect(stdout).toMatch(/saved the model to .*model; epoch log: .*log\.csv/);
  });

  it('classify-photo.mjs saves a model, loads it and names the class of each photo', async () => {
    expect(EXAMPLES).toContain('classify-photo.mjs');
    const { stdout } = await sh(process.execPath, [join(project, 'classify-photo.mjs')], elsewhere());
    expect(stdout).toMatch(/trained and saved a model to /);
    const lines = stdout.split('\n').filter((l) => /\.jpg: /.test(l));
    expect(lines).toHaveLength(8);
    let right = 0;
    for (const l of lines) {
      const m = /\/test\/(circles|squares)\/[^/]+\.jpg: (circles|squares) \((\d+\.\d)%\)$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(Number(m![3])).toBeGreaterThanOrEqual(50);
      if (m![1] === m![2]) right++;
    }
    expect(right).toBeGreaterThanOrEqual(6);
  });

  it('covers every example', () => {
    expect(EXAMPLES).toEqual(['classify-photo.mjs', 'train-image-folder.mjs']);
  });
});
