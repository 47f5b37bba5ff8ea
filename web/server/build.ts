/**
 * Builds the page into a folder: web/main.ts bundled for the browser by esbuild (the engine's
 * src/ and jpeg-js bundled in; h5wasm in a chunk of its own, loaded on demand), plus
 * index.html and style.css copied beside it.
 *
 * One Node-only module is imported by code the page reuses but never calls into, so it is
 * replaced by a stub that throws if used (web/stubs/): `pngjs` (src/data/decode.ts; the page
 * decodes PNGs with the browser's decoder). Any other Node import fails the build, naming the
 * file.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(WEB_DIR, 'dist');

const STUBS: Record<string, string> = {
  pngjs: join(WEB_DIR, 'stubs', 'pngjs.ts'),
};

const nodeOnlyStubs: Plugin = {
  name: 'node-only-stubs',
  setup(b) {
    b.onResolve({ filter: /^pngjs$/ }, (args) => ({ path: STUBS[args.path]! }));
  },
};

export interface BuildResult {
  outDir: string;
  files: string[];
  bytes: number;
  ms: number;
}

export async function buildPage(outDir: string = DEFAULT_OUT, opts: { minify?: boolean } = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const r = await build({
    entryPoints: [join(WEB_DIR, 'main.ts')],
    outdir: out,
    entryNames: '[name]',
    // h5wasm (HDF5 in WebAssembly, 4 MB) is imported dynamically by src/io/hdf5.ts: its own
    // chunk, fetched only when a Keras .h5 model is opened.
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // WebGPU browsers (Chrome 113+, Safari 26, Firefox 141) all run ES2022.
    target: 'es2022',
    sourcemap: true,
    minify: opts.minify ?? false,
    metafile: true,
    logLevel: 'silent',
    plugins: [nodeOnlyStubs],
    // jpeg-js reads Buffer only when asked for Node buffers (decode.ts asks for typed arrays).
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(WEB_DIR, f), join(out, f));
  const files = ['index.html', 'style.css', ...Object.keys(r.metafile.outputs).map((p) => p.slice(p.lastIndexOf('/') + 1))];
  const bytes = Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  return { outDir: out, files, bytes, ms: performance.now() - t0 };
}
