/**
 * npm run web — builds the browser page (web/ → web/dist by default) and serves it on
 * localhost, where a WebGPU browser classifies and fine-tunes with a model saved by
 * `npm run train`.
 *
 *   npm run web                                  build, serve on http://localhost:8080/
 *   npm run web -- --model runs/latest/best      also serve that folder at /model/; the URL
 *                                                printed opens the page with it loaded
 *                                                (http://localhost:8080/?model=/model/)
 *   npm run web -- --port 9000 --build-dir /tmp/page   another port / build folder
 *   npm run web -- --build-only                  build and exit
 *
 * The build folder is --build-dir (--out, its old name, still works): train's --out is a run
 * folder, and a model folder is what this command's --model takes.
 */
import { packageVersion } from './lib/version.js';
import { Command, InvalidArgumentError } from 'commander';
import { relative } from 'node:path';
import { defaultModelDir } from '../src/data/paths.js';
import { buildPage, DEFAULT_OUT } from '../web/server/build.js';
import { isModelFolder, startServer } from '../web/server/serve.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number 0–65535 (0 = any free port)');
  return n;
}

async function main(): Promise<number> {
  const cmd = new Command('web')
    .version(packageVersion())
    .description('Build the WebGPU page (classify and fine-tune in the browser) and serve it on localhost.')
    .option('--port <n>', 'port to serve on (0 = any free port)', port, 8080)
    .option('--host <addr>', 'address to listen on (WebGPU needs https or localhost, so keep the default unless behind https)', '127.0.0.1')
    .option('--build-dir <dir>', 'folder the page is built into', relative(process.cwd(), DEFAULT_OUT) || DEFAULT_OUT)
    .option('--out <dir>', 'old name of --build-dir (deprecated)')
    .option('--model <dir>', 'a model folder saved by npm run train, served at /model/ and loaded by the printed URL')
    .option('--allow-host <name...>', 'more Host names to answer to (e.g. the public name of an https proxy; localhost always works)', [])
    .option('--build-only', 'build the page and exit', false)
    .parse(process.argv);
  const o = cmd.opts<{ port: number; host: string; buildDir: string; out?: string; model?: string; allowHost: string[]; buildOnly: boolean }>();
  if (o.out !== undefined && cmd.getOptionValueSource('buildDir') === 'cli' && o.out !== o.buildDir) {
    console.error(`error: --out is the old name of --build-dir; give one of them, not both (got --build-dir ${o.buildDir} and --out ${o.out})`);
    return 1;
  }
  const buildDir = o.out ?? o.buildDir;
  // No --model: serve the project's shipped model when it is there, so the page opens with it.
  if (!o.model && isModelFolder(defaultModelDir())) o.model = relative(process.cwd(), defaultModelDir()) || defaultModelDir();
  if (o.model && !isModelFolder(o.model)) {
    console.error(`error: ${o.model} is not a model folder (it needs model.json and model.safetensors; try runs/latest/best)`);
    return 1;
  }
  let built;
  try {
    built = await buildPage(buildDir);
  } catch (e) {
    console.error(`error: building the page failed:\n${(e as Error).message}`);
    return 1;
  }
  console.log(`built ${built.outDir} (${built.files.join(', ')}; ${(built.bytes / 1024).toFixed(0)} KiB) in ${built.ms.toFixed(0)} ms`);
  if (o.buildOnly) return 0;
  let srv;
  try {
    srv = await startServer({ root: built.outDir, modelDir: o.model, port: o.port, host: o.host, allowedHosts: o.allowHost });
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
  const host = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1' ? 'localhost' : o.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${srv.port}/`;
  // With --model, the URL to open is the one that loads it (the bare page says "No model loaded").
  console.log(`serving the page at ${o.model ? `${base}?model=/model/` : base}`);
  if (o.model) console.log(`(model ${o.model} served at ${base}model/; ${base} is the page without it)`);
  console.log('(a WebGPU browser is needed: Chrome/Edge 113+; Ctrl+C to stop)');
  await new Promise<void>((done) => {
    const stop = () => void srv.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
