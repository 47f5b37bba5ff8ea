/**
 * Builds the page into a folder: web/main.ts bundled for the browser by esbuild (the engine's
 * src/ and jpeg-js bundled in; h5wasm in a chunk of its own, loaded on demand), plus
 * index.html and style.css copied beside it.
 *
 * One Node-only module is imported by code the page reuses but never calls into, so it is
 * replaced by a stub that throws if used (web/stubs/): `pngjs` (src/data/decode.ts; the page
 * decodes PNGs with the browser's decoder). Any other Node import fails the build, naming the
 * file.
 *
 * No path of the build machine goes into the bundle: esbuild's module comments are relative to
 * the project root (absWorkingDir), and the source map's `sources` are rewritten from
 * "relative to the output folder" (which climbs through the machine's folders when building
 * to /tmp/…) to project-relative names (`src/data/decode.ts`, `node_modules/jpeg-js/…`) under
 * the sourceRoot `alexnet-webgpu:///`; the sources' text is embedded, so devtools shows them.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(WEB_DIR, 'dist');
const PROJECT_ROOT = resolve(WEB_DIR, '..');
export const SOURCE_ROOT = 'alexnet-webgpu:///';

/** A bundled file's name for the source map: from node_modules/ on, else relative to the project. */
function portableSource(abs: string): string {
  const i = abs.lastIndexOf(`${sep}node_modules${sep}`);
  if (i >= 0) return abs.slice(i + 1).split(sep).join('/');
  const rel = relative(PROJECT_ROOT, abs);
  return (rel.startsWith('..') ? basename(abs) : rel).split(sep).join('/');
}

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
    absWorkingDir: PROJECT_ROOT,
    write: false,
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
  for (const f of r.outputFiles) {
    if (!f.path.endsWith('.map')) {
      writeFileSync(f.path, f.contents);
      continue;
    }
    const map = JSON.parse(f.text) as { sources: string[]; sourceRoot?: string };
    map.sources = map.sources.map((s) => portableSource(resolve(dirname(f.path), s)));
    map.sourceRoot = SOURCE_ROOT;
    writeFileSync(f.path, JSON.stringify(map));
  }
  for (const f of ['index.html', 'style.css']) copyFileSync(join(WEB_DIR, f), join(out, f));
  const files = ['index.html', 'style.css', ...Object.keys(r.metafile.outputs).map((p) => p.slice(p.lastIndexOf('/') + 1))];
  const bytes = Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  return { outDir: out, files, bytes, ms: performance.now() - t0 };
}
