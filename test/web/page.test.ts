/**
 * The web page in a real browser (headless Chromium, WebGPU on its SwiftShader adapter):
 * a tiny model trained here in Node and saved with saveModel is loaded by the page (by URL
 * and through the file picker), classifies known photos from the cats-and-dogs test set
 * (JPEG through the input and by drag-and-drop, and a PNG), and fine-tunes.
 *
 * Tolerances: the page's probabilities must equal `npm run predict -- --json`'s within 1e-4
 * absolute. The pixels are identical (same decoders and resize code), so the only difference
 * is float32 arithmetic order between Dawn-on-lavapipe (Node) and SwiftShader (Chromium):
 * ~1e-6 relative on logits of magnitude ≲ 10 here; logits are checked at 1e-4·(1 + |z|).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import { saveModel } from '../../src/io/checkpoint.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { probabilities } from '../../src/nn/sequential.js';
import { Trainer } from '../../src/nn/trainer.js';
import { inputsFor, loadRgb } from '../../scripts/lib/images.js';
import { buildPage } from '../../web/server/build.js';
import { startServer, type RunningServer } from '../../web/server/serve.js';
import { gpu } from '../helpers.js';
import { CHROMIUM_FLAGS, launchChromium, type Browser } from './chromium.js';
import { makePng, PNG_CASES } from './png-fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DATA = resolve(process.env.CATS_AND_DOGS_DIR ?? join(ROOT, '../shared/datasets/cats_and_dogs/test'));
const CLASSES = ['cats', 'dogs'];
const PREPROCESSING = { imageSize: 67, rescale: 1 / 255, resize: 'bilinear' as const };
const MODEL_OPTIONS: ModelOptions = { variant: 'tutorial', imageSize: 67, width: 0.125, classes: 2 };

interface PredictLine {
  file: string;
  class: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** The first `n` photos of each class folder (sorted), as `npm run train` would list them. */
function knownPhotos(n: number): { path: string; label: number }[] {
  return CLASSES.flatMap((c, label) => {
    let names: string[];
    try {
      names = readdirSync(join(DATA, c)).filter((f) => /\.jpe?g$/i.test(f)).sort();
    } catch {
      throw new Error(`cats-and-dogs test photos not found in ${DATA}/${c} (set CATS_AND_DOGS_DIR to the test folder)`);
    }
    return names.slice(0, n).map((f) => ({ path: join(DATA, c, f), label }));
  });
}

let tmp: string;
let modelDir: string;
let photos: { path: string; label: number }[];
let pngPath: string;
let predicted: Map<string, PredictLine>;
/** Probabilities of each photo from the trained model object itself, before it was saved. */
let inProcess: Map<string, number[]>;
let server: RunningServer;
let browser: Browser;

/** Trains the tiny model two steps in Node and saves it as npm run train does. */
async function trainAndSave(dir: string): Promise<void> {
  const ctx = await gpu();
  const model = buildModel(MODEL_OPTIONS).build(ctx, 11);
  const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-3 }));
  const views = photos.map((p) => inputsFor(loadRgb(p.path), PREPROCESSING, false)[0]!);
  const x = new Float32Array(views.length * views[0]!.length);
  views.forEach((v, i) => x.set(v, i * v.length));
  const y = Float32Array.from(photos, (p) => p.label);
  for (let s = 0; s < 2; s++) await trainer.trainStep(x, y, photos.length, 100 + s);
  inProcess = new Map();
  for (let i = 0; i < photos.length; i++) {
    const logits = await trainer.logits(views[i]!, 1);
    inProcess.set(photos[i]!.path, Array.from(probabilities(logits, 1, model.outputActivation)[0]!));
  }
  await saveModel(dir, model, { modelOptions: MODEL_OPTIONS, classNames: CLASSES, preprocessing: PREPROCESSING, step: 2 });
  trainer.optimizer?.dispose();
  trainer.dispose();
  model.dispose();
}

/** `npm run predict -- --json --model DIR FILES…`, run as the user would. */
async function runPredict(files: string[]): Promise<Map<string, PredictLine>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/predict.ts'), '--json', '--model', modelDir, ...files],
    { cwd: ROOT, maxBuffer: 1 << 20, timeout: 90_000 },
  );
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as PredictLine & { error?: string });
  for (const l of lines) if (l.error) throw new Error(`predict failed on ${l.file}: ${l.error}`);
  return new Map(lines.map((l) => [l.file, l]));
}

function failWithLog(what: string): never {
  throw new Error(`${what}\nbrowser log:\n  ${browser.log.slice(-30).join('\n  ') || '(empty)'}`);
}

async function openPage(query = ''): Promise<Page> {
  await setup();
  const page = await browser.newPage();
  await page.goto(server.url + query);
  await page.waitForFunction(() => document.body.dataset.gpu !== 'starting', null, { timeout: 60_000 });
  const state = await page.evaluate(() => document.body.dataset.gpu);
  if (state !== 'ready') {
    const msg = await page.textContent('#gpu-status');
    failWithLog(`headless Chromium gave the page no WebGPU (${state}: ${msg}); flags: ${CHROMIUM_FLAGS.join(' ')}`);
  }
  return page;
}

async function waitModel(page: Page): Promise<void> {
  await page.waitForFunction(() => ['loaded', 'error'].includes(document.getElementById('model-status')!.dataset.state!), null, {
    timeout: 60_000,
  });
  const state = await page.getAttribute('#model-status', 'data-state');
  if (state !== 'loaded') failWithLog(`the page did not load the model: ${await page.textContent('#model-status')}`);
}

interface Row {
  name: string;
  state: string;
  probs: number[];
  cls: string;
  ms: number;
  adapter: string;
  label: string;
}

/** Waits until `count` photo rows are classified (or failed) and returns them. */
async function rows(page: Page, count: number): Promise<Row[]> {
  await page.waitForFunction(
    (n) => {
      const rs = Array.from(document.querySelectorAll<HTMLElement>('tr[data-photo]'));
      return rs.length >= n && rs.every((r) => r.dataset.state === 'done' || r.dataset.state === 'error');
    },
    count,
    { timeout: 90_000 },
  );
  const out = await page.$$eval('tr[data-photo]', (rs) =>
    (rs as HTMLElement[]).map((r) => ({
      name: r.dataset.name!,
      state: r.dataset.state!,
      probs: JSON.parse(r.dataset.probs ?? '[]') as number[],
      cls: r.dataset.class ?? '',
      ms: Number(r.dataset.ms),
      adapter: r.querySelector('.adapter')?.textContent ?? '',
      label: r.dataset.label ?? '',
      text: r.textContent ?? '',
    })),
  );
  const bad = out.filter((r) => r.state !== 'done');
  if (bad.length > 0) failWithLog(`photos not classified: ${bad.map((r) => `${r.name}: ${r.text}`).join('; ')}`);
  return out;
}

function expectSameAsNode(row: Row, file: string, photoOf = file): void {
  // First against the engine in this process (the trained model before saving), then against
  // the predict CLI (which loads the saved folder): if only the second fails, the Node loading
  // path (loadModel / safetensors) disagrees with the page's.
  const engine = inProcess.get(photoOf);
  if (!engine) throw new Error(`no in-process reference for ${photoOf}`);
  const want = predicted.get(file);
  if (!want) throw new Error(`no predict output for ${file}`);
  const wantProbs = CLASSES.map((c) => want.probabilities[c]!);
  for (let c = 0; c < CLASSES.length; c++) {
    const d = Math.abs(row.probs[c]! - engine[c]!);
    expect(d, `${row.name} p(${CLASSES[c]}): page ${row.probs[c]} vs the engine in Node ${engine[c]}`).toBeLessThanOrEqual(1e-4);
  }
  for (let c = 0; c < CLASSES.length; c++) {
    const d = Math.abs(row.probs[c]! - wantProbs[c]!);
    expect(
      d,
      `${row.name} p(${CLASSES[c]}): page ${row.probs[c]} vs npm run predict ${wantProbs[c]} (the engine in Node before saving: ${engine[c]})`,
    ).toBeLessThanOrEqual(1e-4);
  }
  expect(row.cls).toBe(want.class);
}

/**
 * Everything the tests share, made once by the first test that asks. Not a beforeAll: vitest
 * reports a failing beforeAll as skipped tests, and here a missing browser or adapter must
 * make every test fail with the reason.
 */
let ready: Promise<void> | null = null;
function setup(): Promise<void> {
  ready ??= (async () => {
    tmp = mkdtempSync(join(tmpdir(), 'alexnet-web-'));
    modelDir = join(tmp, 'model');
    photos = knownPhotos(2);
    // The PNG path: a test photo re-encoded losslessly as an opaque 8-bit RGBA PNG.
    const img = decodeImage(readFileSync(photos[0]!.path));
    const png = new PNG({ width: img.width, height: img.height });
    for (let i = 0; i < img.width * img.height; i++) {
      png.data[i * 4] = img.data[i * 3]!;
      png.data[i * 4 + 1] = img.data[i * 3 + 1]!;
      png.data[i * 4 + 2] = img.data[i * 3 + 2]!;
      png.data[i * 4 + 3] = 255;
    }
    pngPath = join(tmp, 'cat-as-png.png');
    writeFileSync(pngPath, PNG.sync.write(png));
    // Build, browser start, and training + predict (its own process, as the user runs it) overlap.
    // allSettled: nothing is left running (and writing into tmp) when one part fails.
    const parts = await Promise.allSettled([
      buildPage(join(tmp, 'dist')),
      launchChromium().then((b) => (browser = b)),
      trainAndSave(modelDir).then(async () => (predicted = await runPredict([...photos.map((p) => p.path), pngPath]))),
    ]);
    for (const p of parts) if (p.status === 'rejected') throw p.reason;
    server = await startServer({ root: join(tmp, 'dist'), modelDir, port: 0 });
  })();
  return ready;
}

afterAll(async () => {
  await ready?.catch(() => undefined);
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('web page (headless Chromium, WebGPU)', () => {
  it('loads a model by ?model= URL and classifies JPEG and PNG photos exactly as npm run predict does', async () => {
    const page = await openPage('?model=/model/');
    await waitModel(page);
    await page.setInputFiles('#photo-input', [...photos.map((p) => p.path), pngPath]);
    const rs = await rows(page, photos.length + 1);
    expect(rs.map((r) => r.name)).toEqual([...photos.map((p) => p.path.split('/').pop()), 'cat-as-png.png']);
    rs.forEach((r, i) => {
      // The PNG holds the first JPEG's pixels, so the engine's answer for that JPEG is its reference.
      if (i < photos.length) expectSameAsNode(r, photos[i]!.path);
      else expectSameAsNode(r, pngPath, photos[0]!.path);
    });
    // The PNG is the first JPEG's pixels: same input, so the same probabilities.
    expect(Math.abs(rs.at(-1)!.probs[1]! - rs[0]!.probs[1]!)).toBeLessThanOrEqual(1e-6);
    for (const r of rs) {
      expect(r.ms).toBeGreaterThan(0);
      expect(r.adapter).toMatch(/\S/);
    }
    // Labels default to the class in the file name (cat.4001.jpg → cats).
    expect(rs.slice(0, photos.length).map((r) => Number(r.label))).toEqual(photos.map((p) => p.label));
    await page.close();
  });

  it('opened bare (no ?model=), loads the model the server serves at /model/, as npm run web serves the shipped one', async () => {
    const page = await openPage('');
    await waitModel(page);
    expect(await page.textContent('#model-status')).toContain('/model/');
    await page.close();
  });

  it('loads a model from the file picker (its two files) and classifies a dropped photo', async () => {
    const page = await openPage();
    await page.setInputFiles('#model-files', [join(modelDir, 'model.json'), join(modelDir, 'model.safetensors')]);
    await waitModel(page);
    const photo = photos.at(-1)!.path;
    const bytes = readFileSync(photo).toString('base64');
    const name = photo.split('/').pop()!;
    // A real drop event carrying a File, as a drag from the desktop delivers it.
    await page.evaluate(
      ({ b64, name }) => {
        const bin = atob(b64);
        const u8 = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([u8], name, { type: 'image/jpeg' }));
        const zone = document.getElementById('drop-zone')!;
        for (const type of ['dragenter', 'dragover', 'drop']) {
          zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
        }
      },
      { b64: bytes, name },
    );
    const [r] = await rows(page, 1);
    expect(r!.name).toBe(name);
    expectSameAsNode(r!, photo);
    await page.close();
  });

  it('fine-tunes on the labelled photos: the loss falls', async () => {
    const page = await openPage('?model=/model/');
    await waitModel(page);
    await page.setInputFiles('#photo-input', photos.map((p) => p.path));
    const before = await rows(page, photos.length);
    await page.fill('#ft-steps', '10');
    await page.fill('#ft-lr', '3e-3');
    await page.click('#ft-run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('finetune')!.dataset.state!), null, {
      timeout: 90_000,
    });
    if ((await page.getAttribute('#finetune', 'data-state')) !== 'done') failWithLog(`fine-tuning failed: ${await page.textContent('#ft-status')}`);
    const losses = JSON.parse((await page.getAttribute('#finetune', 'data-losses'))!) as number[];
    expect(losses).toHaveLength(10);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    // Adam on four photos memorises them (in Node the same steps go 0.62 → 0.25); dropout makes
    // single steps noisy (the first five wander within ±0.15), so compare the first step with
    // the mean of the last two.
    expect((losses[8]! + losses[9]!) / 2, `losses ${losses.join(', ')}`).toBeLessThan(losses[0]! * 0.75);
    expect(await page.locator('#loss-list li').count()).toBe(10);
    // The photos are classified again with the new weights, and the right class gains.
    const after = await rows(page, photos.length);
    const pRight = (rs: Row[]) => rs.reduce((s, r, i) => s + r.probs[photos[i]!.label]!, 0);
    expect(pRight(after)).toBeGreaterThan(pRight(before));
    await page.close();
  });

  it('decodes PNGs of every colour type to the same pixels as Node (16-bit: within one level)', async () => {
    const page = await openPage();
    for (const spec of PNG_CASES) {
      const bytes = makePng(spec, 7);
      const want = decodeImage(bytes);
      const got = await page.evaluate(async (b64) => {
        const u8 = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
        const img = await window.alexnet!.decodePhoto(u8);
        return { width: img.width, height: img.height, data: Array.from(img.data) };
      }, Buffer.from(bytes).toString('base64'));
      expect([got.width, got.height], spec.name).toEqual([want.width, want.height]);
      let maxDiff = 0;
      for (let i = 0; i < want.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - want.data[i]!));
      // Chromium reduces 16-bit samples to 8 bits itself (truncating; pngjs rounds).
      expect(maxDiff, `${spec.name}: largest pixel difference`).toBeLessThanOrEqual(spec.bitDepth === 16 ? 1 : 0);
    }
    await page.close();
  });

  it('says plainly when the browser has no WebGPU, and how to enable it', async () => {
    await setup();
    for (const [init, reason] of [
      [() => delete (Navigator.prototype as { gpu?: unknown }).gpu, /navigator\.gpu is missing/],
      [
        () => {
          const gpu = (navigator as unknown as { gpu: { requestAdapter: () => Promise<null> } }).gpu;
          gpu.requestAdapter = async () => null;
        },
        /gave no adapter/,
      ],
    ] as const) {
      const page = await browser.newPage();
      await page.addInitScript(init);
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.gpu !== 'starting', null, { timeout: 30_000 });
      expect(await page.evaluate(() => document.body.dataset.gpu)).toBe('unavailable');
      expect(await page.isVisible('#no-webgpu')).toBe(true);
      const text = (await page.textContent('#no-webgpu'))!;
      expect(text).toMatch(reason);
      expect(text).toContain('chrome://flags/#enable-unsafe-webgpu');
      expect(text).toMatch(/Chrome or Edge 113/);
      expect(text).toMatch(/Safari Technology Preview/);
      expect(text).toMatch(/dom\.webgpu\.enabled/);
      await page.close();
    }
  });
});
