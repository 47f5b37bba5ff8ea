/**
 * The page server against what a page in the user's browser (or a stray link) could make it
 * do, with real files, real symbolic links and raw HTTP requests: links out of the served
 * folders are not followed (links inside them are), a Host header that is not one of this
 * server's names is refused (DNS rebinding), and the bundle carries no path of the build
 * machine. Also `npm run web` itself: --model prints the URL that loads the model, the build
 * folder is --build-dir (--out still works), Ctrl-C stops it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedHostNames, hostName, startServer, type RunningServer } from '../../web/server/serve.js';

const root = resolve(__dirname, '../..');
let tmp: string;
let srv: RunningServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'alexnet-web-sec-'));
  mkdirSync(join(tmp, 'page'));
  mkdirSync(join(tmp, 'model-v1'));
  writeFileSync(join(tmp, 'page', 'index.html'), '<!doctype html><p>page</p>');
  writeFileSync(join(tmp, 'page', 'main.js'), 'export {};');
  writeFileSync(join(tmp, 'secret.txt'), 'outside');
  writeFileSync(join(tmp, 'model-v1', 'model.json'), '{"format":"alexnet-webgpu/1"}');
  writeFileSync(join(tmp, 'model-v1', 'model.safetensors'), new Uint8Array([1, 2, 3, 4]));
  symlinkSync('/etc/passwd', join(tmp, 'model-v1', 'passwd'));
  symlinkSync('../secret.txt', join(tmp, 'model-v1', 'secret.txt'));
  symlinkSync(tmp, join(tmp, 'page', 'up'));
  symlinkSync('main.js', join(tmp, 'page', 'alias.js')); // inside: fine
  symlinkSync('model-v1', join(tmp, 'latest')); // the served model folder is itself a link
  srv = await startServer({ root: join(tmp, 'page'), modelDir: join(tmp, 'latest'), port: 0, allowedHosts: ['page.example.org'] });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A raw request to 127.0.0.1 with the Host header given (or none). */
function get(path: string, host: string | null = `localhost:${srv.port}`, port = srv.port): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, setHost: false, headers: host === null ? {} : { host } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('symbolic links', () => {
  it('a link in the model folder to /etc/passwd or to a file beside it is refused, not served', async () => {
    for (const p of ['/model/passwd', '/model/secret.txt', '/up/secret.txt']) {
      const r = await get(p);
      expect(r.status, p).toBe(403);
      expect(r.body).toMatch(/^forbidden: a link out of the served folder/);
      expect(r.body).not.toContain('root:');
      expect(r.body).not.toContain('outside');
    }
  });

  it('links that stay inside work, and so does a served folder that is itself a link', async () => {
    const alias = await get('/alias.js');
    expect(alias.status).toBe(200);
    expect(alias.body).toBe('export {};');
    const w = await get('/model/model.safetensors');
    expect(w.status).toBe(200);
    expect([...w.body].map((c) => c.charCodeAt(0))).toEqual([1, 2, 3, 4]);
    expect((await get('/model/nope.json')).status).toBe(404);
  });
});

describe('Host header (DNS rebinding)', () => {
  it("answers to localhost, 127.0.0.1, [::1] and allowedHosts, with or without port, any case", async () => {
    for (const h of ['localhost', `localhost:${srv.port}`, `127.0.0.1:${srv.port}`, `[::1]:${srv.port}`, 'LocalHost.', 'page.example.org:443']) {
      const r = await get('/', h);
      expect(r.status, h).toBe(200);
      expect(r.body).toContain('page');
    }
  });

  it('refuses any other name, a missing Host, and names that merely contain localhost', async () => {
    for (const h of [`evil.example:${srv.port}`, 'localhost.evil.example', '127.0.0.1.nip.io', `[::2]:${srv.port}`, null]) {
      for (const p of ['/', '/model/model.json']) {
        const r = await get(p, h);
        expect(r.body).not.toContain('alexnet-webgpu/1');
        expect(r.body).not.toContain('<p>page</p>');
        // No Host at all is already refused by node:http (400, HTTP/1.1 requires one).
        if (h === null) {
          expect(r.status).toBe(400);
          continue;
        }
        expect(r.status, `${h} ${p}`).toBe(403);
        expect(r.body).toMatch(/^forbidden: this server answers only to localhost, 127\.0\.0\.1, \[::1\]/);
      }
    }
  });

  it('host names are compared without port or trailing dot; listening on all addresses adds the machine’s own', () => {
    expect(hostName('LOCALHOST:8080')).toBe('localhost');
    expect(hostName('[::1]:8080')).toBe('[::1]');
    expect(hostName('example.org.')).toBe('example.org');
    expect([...allowedHostNames('127.0.0.1')].sort()).toEqual(['127.0.0.1', '[::1]', 'localhost']);
    expect(allowedHostNames('192.168.7.7').has('192.168.7.7')).toBe(true);
    const all = allowedHostNames('0.0.0.0');
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) expect(all.has(a.family === 'IPv6' ? `[${a.address}]` : a.address), a.address).toBe(true);
    }
  });
});

describe('npm run web', () => {
  // tsx by path, so that the command also runs from a folder outside the project.
  const webArgs = (...a: string[]) => [process.execPath, join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/web.ts'), ...a];

  it('the bundle and its source map hold no path of the build machine (built from another folder)', () => {
    const out = join(tmp, 'dist');
    const [node, ...args] = webArgs('--build-only', '--build-dir', out);
    const r = spawnSync(node!, args, { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const js = readFileSync(join(out, 'main.js'), 'utf8');
    const mapText = readFileSync(join(out, 'main.js.map'), 'utf8');
    for (const text of [js, mapText]) {
      expect(text).not.toContain(root);
      // Nor as a relative climb (../../work/…); the bare name alone may be a word of the embedded source text.
      expect(text).not.toContain('../' + root.slice(1));
      expect(text).not.toContain('../' + tmp.slice(1));
    }
    const map = JSON.parse(mapText) as { sources: string[]; sourcesContent: string[]; sourceRoot: string };
    expect(map.sourceRoot).toBe('alexnet-webgpu:///');
    expect(map.sources).toEqual(expect.arrayContaining(['src/data/decode.ts', 'web/main.ts', 'node_modules/jpeg-js/lib/decoder.js']));
    for (const s of map.sources) expect(s, s).toMatch(/^(src|web|node_modules)\/[\w./-]+$/);
    expect(map.sourcesContent).toHaveLength(map.sources.length);
    expect(map.sourcesContent[map.sources.indexOf('src/data/decode.ts')]).toBe(readFileSync(join(root, 'src/data/decode.ts'), 'utf8'));
    expect(js).toContain('// src/data/decode.ts');
  }, 120_000);

  it('--out still names the build folder; with --build-dir too it is one clear error', () => {
    const [node, ...args] = webArgs('--build-only', '--out', join(tmp, 'dist-old'));
    const r = spawnSync(node!, args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'dist-old', 'index.html'), 'utf8')).toContain('main.js');
    const [n2, ...a2] = webArgs('--build-only', '--out', join(tmp, 'a'), '--build-dir', join(tmp, 'b'));
    const both = spawnSync(n2!, a2, { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(both.status).toBe(1);
    expect(both.stderr.trim()).toMatch(/^error: --out is the old name of --build-dir; give one of them, not both/);
  }, 180_000);

  it('--model prints the URL that loads the model; that URL and /model/ answer; Ctrl-C stops it', async () => {
    const [node, ...args] = webArgs('--model', join(tmp, 'latest'), '--port', '0', '--build-dir', join(tmp, 'dist-serve'));
    const child = spawn(node!, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`no URL printed:\n${out}`)), 110_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving the page at (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          ok(m[1]!);
        }
      });
    });
    const exited = new Promise<number | null>((ok) => child.on('close', ok));
    try {
      expect(url).toMatch(/^http:\/\/localhost:\d+\/\?model=\/model\/$/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('main.js');
      // The page fetches the folder named by ?model= relative to itself, as web/main.ts does.
      const folder = new URL(new URL(url).searchParams.get('model')!, url);
      const json = await fetch(new URL('model.json', folder));
      expect(json.status).toBe(200);
      expect(await json.text()).toContain('alexnet-webgpu/1');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
