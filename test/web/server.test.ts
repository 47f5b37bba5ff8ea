/**
 * The page's Node side without a browser: the static server (page, /model/, refusals), the
 * model-file picking and manifest checks the page applies, and the bundle (no Node module
 * may leak into it).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, parseManifest, pickModelFiles } from '../../web/lib/model.js';
import { rgbaToRgb } from '../../web/lib/images.js';
import { resolveInside, startServer, type RunningServer } from '../../web/server/serve.js';

let tmp: string;
let srv: RunningServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'alexnet-web-srv-'));
  mkdirSync(join(tmp, 'page'));
  mkdirSync(join(tmp, 'model'));
  writeFileSync(join(tmp, 'page', 'index.html'), '<!doctype html><p>page</p>');
  writeFileSync(join(tmp, 'page', 'main.js'), 'export {};');
  writeFileSync(join(tmp, 'secret.txt'), 'outside');
  writeFileSync(join(tmp, 'model', 'model.json'), '{"format":"alexnet-webgpu/1"}');
  writeFileSync(join(tmp, 'model', 'model.safetensors'), new Uint8Array([1, 2, 3, 4]));
  srv = await startServer({ root: join(tmp, 'page'), modelDir: join(tmp, 'model'), port: 0 });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function get(path: string, method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  // fetch would normalise "/../"; a raw path needs node:http.
  const { request } = await import('node:http');
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, type: res.headers['content-type'] ?? null, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('static server', () => {
  it('serves the page, its files and the model folder at /model/ with the right types', async () => {
    expect(srv.url).toBe(`http://localhost:${srv.port}/`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.type).toMatch(/^text\/html/);
    expect(index.body).toContain('page');
    expect((await get('/main.js')).type).toMatch(/^text\/javascript/);
    const json = await get('/model/model.json');
    expect(json.status).toBe(200);
    expect(json.type).toMatch(/^application\/json/);
    const w = await get('/model/model.safetensors?x=1');
    expect(w.status).toBe(200);
    expect(w.type).toBe('application/octet-stream');
    expect([...w.body].map((c) => c.charCodeAt(0))).toEqual([1, 2, 3, 4]);
    expect((await get('/model/model.json', 'HEAD')).body).toBe('');
  });

  it('refuses paths outside its folders, folders, other methods and missing files', async () => {
    // Dot segments, plain or %-encoded, are removed by URL parsing (so these stay inside)…
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/model/%2e%2e/secret.txt']) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside');
    }
    // …and an encoded slash that would climb out after decoding is refused.
    expect((await get('/..%2fsecret.txt')).status).toBe(403);
    expect((await get('/model/..%2f..%2fsecret.txt')).status).toBe(403);
    expect((await get('/model/')).status).toBe(404);
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
    expect(resolveInside('/a/b', '/../c')).toBeNull();
    expect(resolveInside('/a/b', '/c/../d.txt')).toBe('/a/b/d.txt');
  });

  it('says so when /model/ is asked of a server without --model, and when the port is taken', async () => {
    const bare = await startServer({ root: join(tmp, 'page'), port: 0 });
    try {
      const r = await new Promise<number>((ok) => {
        void import('node:http').then(({ get: g }) => g(`http://127.0.0.1:${bare.port}/model/model.json`, (res) => ok(res.statusCode!)));
      });
      expect(r).toBe(404);
      await expect(startServer({ root: join(tmp, 'page'), port: bare.port })).rejects.toThrow(/already in use.*--port/);
    } finally {
      await bare.close();
    }
  });
});

describe('model files in the page', () => {
  const file = (name: string, text = '{}') => new File([text], name);

  it('picks model.json and model.safetensors from two files or a whole checkpoint folder', () => {
    const two = pickModelFiles([file('model.safetensors'), file('model.json')]);
    expect([two.json.name, two.weights.name]).toEqual(['model.json', 'model.safetensors']);
    const folder = pickModelFiles(['training-state.json', 'optimizer.safetensors', 'model.json', 'model.safetensors'].map((n) => file(n)));
    expect([folder.json.name, folder.weights.name]).toEqual(['model.json', 'model.safetensors']);
    // Renamed copies are fine as long as there is one of each.
    const renamed = pickModelFiles([file('cats.json'), file('cats.safetensors')]);
    expect(renamed.weights.name).toBe('cats.safetensors');
    expect(() => pickModelFiles([file('model.json')])).toThrow(/model\.json and model\.safetensors.*got: model\.json/);
  });

  it('refuses a model.json of another format or missing its fields, naming the problem', () => {
    expect(() => parseManifest('{', 'x/model.json')).toThrow(ModelLoadError);
    expect(() => parseManifest('{"format":"other/9"}')).toThrow(/unknown format 'other\/9'/);
    expect(() => parseManifest('{"format":"alexnet-webgpu/1"}')).toThrow(/missing modelOptions, classNames or preprocessing/);
    const ok = parseManifest(
      JSON.stringify({ format: 'alexnet-webgpu/1', modelOptions: { variant: 'tutorial' }, classNames: ['a', 'b'], preprocessing: { imageSize: 67 } }),
    );
    expect(ok.classNames).toEqual(['a', 'b']);
  });

  it('drops alpha from canvas RGBA like Node drops it from PNG RGBA (not composited)', () => {
    const rgba = new Uint8ClampedArray([10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255]);
    const img = rgbaToRgb(rgba, 3, 1);
    expect([...img.data]).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });
});

describe('bundle', () => {
  it('builds for the browser with no Node module left in it', async () => {
    const { buildPage } = await import('../../web/server/build.js');
    const out = join(tmp, 'dist');
    const r = await buildPage(out);
    expect(r.files).toEqual(expect.arrayContaining(['index.html', 'style.css', 'main.js']));
    const js = readFileSync(join(out, 'main.js'), 'utf8');
    expect(js).not.toMatch(/from ["']node:|require\(["'](node:)?(fs|zlib|stream|path|url)["']\)/);
    expect(js).toContain('alexnet-webgpu/1');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('src="main.js"');
  }, 60_000);
});
