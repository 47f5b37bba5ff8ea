/**
 * The page takes a Keras 2 .h5 model dropped on it (headless Chromium, WebGPU on SwiftShader):
 * it imports it with the same src/io/keras-h5.ts the convert CLI uses (h5wasm in the browser),
 * names its classes from the text field, and classifies a PNG to the probabilities of a
 * float64 forward pass of the Keras model (within 1e-4: float32 arithmetic on the page, and
 * the PNG's pixels are exact there, see web/README.md). An unsupported model is one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPage } from '../../web/server/build.js';
import { startServer, type RunningServer } from '../../web/server/serve.js';
import { rng } from '../helpers.js';
import { dense, flatten, inputLayer, kerasTutorial, withRandomWeights, writeKeras2H5, type FixtureLayer } from '../io/keras-fixtures.js';
import { kerasForward } from '../io/keras-reference.js';
import { launchChromium, type Browser } from './chromium.js';

let tmp: string;
let server: RunningServer;
let browser: Browser;
let model: FixtureLayer[];
let h5: Uint8Array;
let pngPath: string;
let rgb: Uint8Array;

/** Made by the first test that asks (not a beforeAll: a missing browser must fail every test, not skip it). */
let ready: Promise<void> | null = null;
function setup(): Promise<void> {
  ready ??= (async () => {
    tmp = mkdtempSync(join(tmpdir(), 'keras-page-'));
    model = withRandomWeights(kerasTutorial(67, (n) => Math.max(1, Math.round(n / 16))), 31);
    h5 = await writeKeras2H5(model);
    const r = rng(3);
    const png = new PNG({ width: 67, height: 67 });
    rgb = new Uint8Array(67 * 67 * 3);
    for (let i = 0; i < 67 * 67; i++) {
      for (let c = 0; c < 3; c++) png.data[i * 4 + c] = rgb[i * 3 + c] = Math.floor(r() * 256);
      png.data[i * 4 + 3] = 255;
    }
    pngPath = join(tmp, 'photo.png');
    writeFileSync(pngPath, PNG.sync.write(png));
    const [built, b] = await Promise.all([buildPage(join(tmp, 'dist')), launchChromium()]);
    browser = b;
    server = await startServer({ root: built.outDir, port: 0 });
  })();
  return ready;
}

afterAll(async () => {
  await ready?.catch(() => undefined);
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  await setup();
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.gpu !== 'starting', null, { timeout: 60_000 });
  expect(await page.evaluate(() => document.body.dataset.gpu), await page.textContent('#gpu-status') ?? '').toBe('ready');
  return page;
}

/** Drops a file on the page with a real drop event, as a drag from the desktop delivers it. */
async function drop(page: Page, bytes: Uint8Array, name: string): Promise<void> {
  await page.evaluate(
    ({ b64, name }) => {
      const u8 = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([u8], name));
      const zone = document.getElementById('drop-zone')!;
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { b64: Buffer.from(bytes).toString('base64'), name },
  );
}

async function modelState(page: Page): Promise<string> {
  await page.waitForFunction(() => ['loaded', 'error'].includes(document.getElementById('model-status')!.dataset.state!), null, { timeout: 60_000 });
  return (await page.getAttribute('#model-status', 'data-state'))!;
}

describe('web page: a dropped Keras .h5', () => {
  it('imports it and classifies a photo as the Keras model does', async () => {
    const page = await openPage();
    await page.fill('#keras-classes', 'cats,dogs');
    await drop(page, h5, 'tutorial.h5');
    expect(await modelState(page), (await page.textContent('#model-status')) ?? '').toBe('loaded');
    expect(await page.textContent('#model-status')).toContain('classes cats, dogs');
    await page.setInputFiles('#photo-input', pngPath);
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector<HTMLElement>('tr[data-photo]')?.dataset.state ?? ''), null, { timeout: 90_000 });
    const probs = JSON.parse((await page.getAttribute('tr[data-photo]', 'data-probs'))!) as number[];
    const want = kerasForward(model, Float64Array.from(rgb, (v) => v / 255), [67, 67, 3])[0]!;
    expect(Math.abs(probs[1]! - want), `page ${probs[1]} vs reference ${want}`).toBeLessThan(1e-4);
    expect(Math.abs(want - 0.5)).toBeGreaterThan(0.01);
    await page.close();
  });

  it('says in one line why it cannot import an unsupported model', async () => {
    const page = await openPage();
    const bad = await writeKeras2H5(withRandomWeights([inputLayer('i', [8, 8, 3]), { class_name: 'AveragePooling2D', config: { name: 'average_pooling2d', pool_size: [2, 2] } }, flatten('flatten'), dense('dense', 1, 'sigmoid')], 1));
    await drop(page, bad, 'avg.h5');
    expect(await modelState(page)).toBe('error');
    const text = (await page.textContent('#model-status'))!;
    expect(text).toMatch(/^Could not load the model from avg\.h5: layer 'average_pooling2d' \(AveragePooling2D\): not supported/);
    expect(text).not.toContain('\n');
    await page.close();
  });
});
