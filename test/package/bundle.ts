/**
 * Bundles an entry for a browser with esbuild and reports every Node built-in its import graph
 * reaches (`node:fs`, `path`, ...: each marked external and listed with its importer instead of
 * failing on the first), plus uses of Node globals left in the code.
 */
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const BUILTINS = new Set(builtinModules);

export interface BrowserBundle {
  /** "specifier (imported by file)" for each Node built-in reached. */
  nodeImports: string[];
  /** Uses of Node-only globals in the bundled code (require(), process.*, Buffer.*). */
  nodeGlobals: string[];
  /** Files in the bundle. */
  inputs: string[];
  bytes: number;
}

/** `entry`: a file path, or a package specifier resolved from `cwd` (through its "exports"). */
export async function bundleForBrowser(entry: string, cwd: string): Promise<BrowserBundle> {
  const nodeImports: string[] = [];
  const findNode: Plugin = {
    name: 'find-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '').split('/')[0]!;
        if (args.path.startsWith('node:') || BUILTINS.has(args.path) || BUILTINS.has(bare)) {
          nodeImports.push(`${args.path} (imported by ${args.importer})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
  const isFile = entry.startsWith('/') || entry.startsWith('.');
  const r = await build({
    ...(isFile ? { entryPoints: [entry] } : { stdin: { contents: `export * from '${entry}';`, resolveDir: cwd, loader: 'js' } }),
    absWorkingDir: cwd,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [findNode],
  });
  const text = r.outputFiles[0]!.text;
  const nodeGlobals = [...text.matchAll(/\brequire\(|\bprocess\.(?:env|argv|exit|platform|cwd|versions)\b|\bBuffer\.(?:from|alloc|concat)\b|\b__dirname\b/g)].map((m) => m[0]);
  return { nodeImports, nodeGlobals, inputs: Object.keys(r.metafile.inputs), bytes: text.length };
}
