/**
 * The page: WebGPU status, model loading (folder / two files / ?model=URL), photos dropped or
 * chosen → class, probability, forward-pass time and adapter per photo, and fine-tuning on the
 * labelled photos with a loss plot. The engine work lives in web/lib/session.ts; this file is
 * DOM glue. GPU work is serialised through one queue, so a drop during fine-tuning waits.
 *
 * For the tests (test/web/) every result is also left in data-* attributes at full precision:
 * body[data-gpu], #model-status[data-state], tr[data-photo][data-state|data-probs|data-logits],
 * #finetune[data-state|data-losses].
 */
import type { RgbImage } from '../src/data/image.js';
import { WebGpuUnavailableError, acquireBrowserContext } from './lib/gpu.js';
import { decodePhoto } from './lib/images.js';
import { modelFilesFromKeras, pickKerasFile, pickModelFiles } from './lib/model.js';
import type { Prediction } from './lib/session.js';
import { Session } from './lib/session.js';
import { $, download, errorText, setStatus, td } from './lib/dom.js';
import { classFromName } from './lib/labels.js';
import { drawLossPlot } from './lib/loss-plot.js';

interface Photo {
  id: number;
  name: string;
  url: string;
  img: RgbImage | null;
  error: string | null;
  prediction: Prediction | null;
  /** Class index, -1 to leave it out of fine-tuning, null until a default is known. */
  label: number | null;
  labelFromUser: boolean;
  row: HTMLTableRowElement;
}

let session: Session | null = null;
const photos: Photo[] = [];
let nextPhotoId = 1;
const lossHistory: number[] = [];

// One GPU job at a time: the engine's context records into a single command encoder.
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job);
  queue = run.catch(() => undefined);
  return run;
}

// ---------------------------------------------------------------------------------- WebGPU

async function startGpu(): Promise<void> {
  try {
    const ctx = await acquireBrowserContext();
    session = new Session(ctx);
    const feats = ctx.info.features.length > 0 ? ` — features: ${ctx.info.features.join(', ')}` : '';
    setStatus($('gpu-status'), `WebGPU adapter: ${ctx.info.adapter}${feats}`);
    document.body.dataset.gpu = 'ready';
  } catch (e) {
    document.body.dataset.gpu = e instanceof WebGpuUnavailableError ? 'unavailable' : 'error';
    const reason = e instanceof WebGpuUnavailableError ? e.reason : `WebGPU could not start: ${errorText(e)}`;
    setStatus($('gpu-status'), reason, undefined, true);
    $('no-webgpu-reason').textContent = reason;
    const list = $('no-webgpu-help');
    list.replaceChildren();
    const help = e instanceof WebGpuUnavailableError ? e.help : [];
    for (const line of help) {
      const li = document.createElement('li');
      li.textContent = line;
      list.append(li);
    }
    $('no-webgpu').hidden = false;
  }
}

// ------------------------------------------------------------------------------------ model

async function loadModelBytes(json: string, weights: Uint8Array, where: string): Promise<void> {
  const s = session;
  if (!s) throw new Error('WebGPU is not available');
  const status = $('model-status');
  setStatus(status, `Loading ${where}…`, 'loading');
  try {
    const m = s.loadModel(json, weights, where);
    const p = m.preprocessing;
    setStatus(
      status,
      `Loaded ${m.model.name} from ${where}: ${p.imageSize}×${p.imageSize} input (${p.resize} resize), classes ${m.classNames.join(', ')}, ` +
        `trained ${m.step} steps.`,
      'loaded',
    );
    // A model meant for ten-crop evaluation (model.json's `evaluation`) classifies that way by default.
    $<HTMLInputElement>('ten-crop').checked = m.evaluation?.tenCrop ?? false;
    lossHistory.length = 0;
    drawLoss();
    $('loss-list').replaceChildren();
    $<HTMLButtonElement>('ft-download').disabled = true;
    for (const ph of photos) {
      if (!ph.labelFromUser) ph.label = null;
    }
    await classifyAll();
  } catch (e) {
    setStatus(status, `Could not load the model from ${where}: ${errorText(e)}`, 'error', true);
  }
  updateButtons();
}

/** Class names typed for a Keras model (comma-separated), or undefined for its placeholders. */
function kerasClassNames(): string[] | undefined {
  const v = $<HTMLInputElement>('keras-classes').value.trim();
  return v ? v.split(',').map((s) => s.trim()) : undefined;
}

function loadModelFromFiles(files: File[]): Promise<void> {
  return serial(async () => {
    let picked: ReturnType<typeof pickModelFiles> | undefined;
    let h5: File | null;
    try {
      h5 = pickKerasFile(files);
      if (!h5) picked = pickModelFiles(files);
    } catch (e) {
      setStatus($('model-status'), errorText(e), 'error', true);
      return;
    }
    if (h5) {
      // A Keras .h5: imported in the page by the importer npm run convert uses.
      setStatus($('model-status'), `Reading ${h5.name}…`, 'loading');
      let m;
      try {
        m = await modelFilesFromKeras(new Uint8Array(await h5.arrayBuffer()), h5.name, kerasClassNames());
      } catch (e) {
        setStatus($('model-status'), `Could not load the model from ${h5.name}: ${errorText(e)}`, 'error', true);
        return;
      }
      for (const w of m.warnings) console.warn(w);
      await loadModelBytes(m.json, m.weights, h5.name);
      return;
    }
    if (!picked) return;
    const rel = (picked.json as File & { webkitRelativePath?: string }).webkitRelativePath;
    const where = rel ? rel.replace(/\/?[^/]*$/, '') || picked.json.name : `${picked.json.name} + ${picked.weights.name}`;
    const [json, weights] = await Promise.all([picked.json.text(), picked.weights.arrayBuffer()]);
    await loadModelBytes(json, new Uint8Array(weights), where);
  });
}

async function fetchBytes(url: URL): Promise<Response> {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status} ${r.statusText}`);
  return r;
}

function loadModelFromUrl(param: string): Promise<void> {
  return serial(async () => {
    // Accept the folder (with or without a trailing slash) or its model.json.
    const dir = param.endsWith('.json') ? param.replace(/[^/]*$/, '') : param.endsWith('/') ? param : `${param}/`;
    const base = new URL(dir, location.href);
    setStatus($('model-status'), `Fetching ${base.pathname}…`, 'loading');
    let json: string;
    let weights: Uint8Array;
    try {
      const [j, w] = await Promise.all([fetchBytes(new URL('model.json', base)), fetchBytes(new URL('model.safetensors', base))]);
      json = await j.text();
      weights = new Uint8Array(await w.arrayBuffer());
    } catch (e) {
      setStatus($('model-status'), `Could not fetch the model at ${base.pathname}: ${errorText(e)}`, 'error', true);
      return;
    }
    await loadModelBytes(json, weights, base.pathname);
  });
}

// ----------------------------------------------------------------------------------- photos

function addPhotos(files: File[]): void {
  for (const file of files) {
    const row = document.createElement('tr');
    const ph: Photo = {
      id: nextPhotoId++,
      name: file.name,
      url: URL.createObjectURL(file),
      img: null,
      error: null,
      prediction: null,
      label: null,
      labelFromUser: false,
      row,
    };
    row.dataset.photo = String(ph.id);
    row.dataset.name = file.name;
    row.dataset.state = 'decoding';
    photos.push(ph);
    $('results').querySelector('tbody')!.append(row);
    renderRow(ph);
    void serial(async () => {
      try {
        ph.img = await decodePhoto(new Uint8Array(await file.arrayBuffer()), session?.ctx.device);
      } catch (e) {
        ph.error = `cannot read this image: ${errorText(e)}`;
      }
      await classify(ph);
    });
  }
  updateButtons();
}

async function classify(ph: Photo): Promise<void> {
  const s = session;
  if (ph.error || !ph.img) {
    ph.row.dataset.state = 'error';
    renderRow(ph);
    return;
  }
  if (!s || !s.manifest) {
    ph.row.dataset.state = 'waiting';
    renderRow(ph);
    return;
  }
  ph.row.dataset.state = 'running';
  renderRow(ph);
  try {
    ph.prediction = await s.classify(ph.img, $<HTMLInputElement>('ten-crop').checked);
    if (ph.label === null) ph.label = classFromName(ph.name, s.classNames) ?? ph.prediction.classIndex;
    ph.row.dataset.state = 'done';
  } catch (e) {
    ph.prediction = null;
    ph.error = `classification failed: ${errorText(e)}`;
    ph.row.dataset.state = 'error';
  }
  renderRow(ph);
  updateButtons();
}

async function classifyAll(): Promise<void> {
  for (const ph of photos) await classify(ph);
}

function renderRow(ph: Photo): void {
  const img = document.createElement('img');
  img.src = ph.url;
  img.alt = ph.name;
  const cells: HTMLTableCellElement[] = [td(), td(ph.name)];
  cells[0]!.append(img);
  const p = ph.prediction;
  const state = ph.row.dataset.state;
  if (ph.error) {
    const c = td(ph.error, 'error');
    c.colSpan = 6;
    cells.push(c);
  } else if (!p || state !== 'done') {
    const msg = state === 'waiting' ? 'load a model to classify' : state === 'decoding' ? 'decoding…' : 'classifying…';
    const c = td(msg, 'status');
    c.colSpan = 5;
    cells.push(c, td());
  } else {
    const names = session?.classNames ?? [];
    cells.push(
      td(p.className, 'class'),
      td(`${(p.probability * 100).toFixed(1)}%`, 'num prob'),
      td(names.map((n, i) => `${n} ${(p.probabilities[i]! * 100).toFixed(2)}%`).join(' · '), 'all'),
      td(`${p.ms.toFixed(1)} ms`, 'num ms'),
      td(session?.adapter ?? '', 'adapter'),
    );
    ph.row.dataset.class = p.className;
    ph.row.dataset.probs = JSON.stringify(p.probabilities);
    ph.row.dataset.logits = JSON.stringify(p.logits);
    ph.row.dataset.ms = String(p.ms);
    const sel = document.createElement('select');
    sel.className = 'label';
    sel.setAttribute('aria-label', `label of ${ph.name}`);
    names.forEach((n, i) => sel.append(new Option(n, String(i), false, ph.label === i)));
    sel.append(new Option('(leave out)', '-1', false, ph.label === -1));
    sel.addEventListener('change', () => {
      ph.label = Number(sel.value);
      ph.labelFromUser = true;
      ph.row.dataset.label = sel.value;
      updateButtons();
    });
    ph.row.dataset.label = String(ph.label);
    const c = td();
    c.append(sel);
    cells.push(c);
  }
  ph.row.replaceChildren(...cells);
}

function clearPhotos(): void {
  for (const ph of photos) URL.revokeObjectURL(ph.url);
  photos.length = 0;
  $('results').querySelector('tbody')!.replaceChildren();
  updateButtons();
}

/** Dropped or chosen files: model files load the model, the rest are photos. */
function takeFiles(files: File[]): void {
  const isModel = (f: File) => /\.(json|safetensors|h5|hdf5)$/i.test(f.name);
  const model = files.filter(isModel);
  const rest = files.filter((f) => !isModel(f));
  if (model.length > 0) void loadModelFromFiles(model);
  if (rest.length > 0) addPhotos(rest);
}

// ------------------------------------------------------------------------------ fine-tuning

function labelled(): Photo[] {
  return photos.filter((ph) => ph.img && !ph.error && ph.label !== null && ph.label >= 0);
}

function updateButtons(): void {
  const ready = !!session?.manifest;
  $<HTMLButtonElement>('ft-run').disabled = !ready || labelled().length === 0 || $('finetune').dataset.state === 'running';
}

function drawLoss(): void {
  drawLossPlot($<HTMLCanvasElement>('loss-plot'), lossHistory);
}

function fineTune(): Promise<void> {
  const box = $('finetune');
  const status = $('ft-status');
  const steps = Number($<HTMLInputElement>('ft-steps').value);
  const lr = Number($<HTMLInputElement>('ft-lr').value.trim());
  const batchSize = Number($<HTMLInputElement>('ft-batch').value);
  const chosen = labelled();
  box.dataset.state = 'running';
  updateButtons();
  return serial(async () => {
    const s = session;
    try {
      if (!s?.manifest) throw new Error('load a model first');
      const names = s.classNames;
      const counts = names.map((n, i) => `${chosen.filter((p) => p.label === i).length} ${n}`).join(', ');
      setStatus(status, `Fine-tuning on ${chosen.length} photos (${counts}), ${steps} steps at learning rate ${lr}…`);
      const t0 = performance.now();
      const losses = await s.fineTune(
        chosen.map((p) => p.img!),
        chosen.map((p) => p.label!),
        {
          steps,
          lr,
          batchSize,
          onStep: (_i, loss) => {
            lossHistory.push(loss);
            const li = document.createElement('li');
            li.textContent = `step ${lossHistory.length}: loss ${loss.toFixed(4)}`;
            li.dataset.loss = String(loss);
            $('loss-list').append(li);
            drawLoss();
          },
        },
      );
      const secs = (performance.now() - t0) / 1000;
      box.dataset.losses = JSON.stringify(lossHistory);
      setStatus(
        status,
        `Done: ${losses.length} steps in ${secs.toFixed(1)} s, loss ${losses[0]!.toFixed(4)} → ${losses.at(-1)!.toFixed(4)} ` +
          `(${s.steps} steps in this page so far). Classifying the photos again…`,
      );
      await classifyAll();
      setStatus(status, `${status.textContent!.replace(/ Classifying the photos again…$/, '')} Photos re-classified with the new weights.`);
      $<HTMLButtonElement>('ft-download').disabled = false;
      box.dataset.state = 'done';
    } catch (e) {
      setStatus(status, `Fine-tuning failed: ${errorText(e)}`, undefined, true);
      box.dataset.state = 'error';
    }
    updateButtons();
  });
}

function downloadModel(): Promise<void> {
  return serial(async () => {
    const s = session;
    if (!s?.manifest) return;
    const { json, weights } = await s.export();
    // Same two files as saveModel writes; put them in one folder to use with npm run predict.
    download('model.safetensors', weights as BlobPart, 'application/octet-stream');
    download('model.json', json, 'application/json');
  });
}

// ------------------------------------------------------------------------------------ wiring

function wire(): void {
  const filesOf = (input: HTMLInputElement) => Array.from(input.files ?? []);
  for (const id of ['model-folder', 'model-files']) {
    const input = $<HTMLInputElement>(id);
    input.addEventListener('change', () => {
      void loadModelFromFiles(filesOf(input));
      input.value = '';
    });
  }
  const photoInput = $<HTMLInputElement>('photo-input');
  photoInput.addEventListener('change', () => {
    takeFiles(filesOf(photoInput));
    photoInput.value = '';
  });
  // Dropping anywhere on the page works; without preventDefault the browser would open the file.
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      document.body.classList.remove('dragging');
    }
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    document.body.classList.remove('dragging');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0 && session) takeFiles(files);
  });
  $('ten-crop').addEventListener('change', () => void serial(classifyAll));
  $('clear-photos').addEventListener('click', clearPhotos);
  $('ft-run').addEventListener('click', () => void fineTune());
  $('ft-download').addEventListener('click', () => void downloadModel());
  drawLoss();
}

/** For the browser console and the tests: the engine session and the page's photo decoder. */
declare global {
  interface Window {
    alexnet?: { session: Session | null; decodePhoto(bytes: Uint8Array): Promise<RgbImage> };
  }
}

async function main(): Promise<void> {
  wire();
  await startGpu();
  window.alexnet = { session, decodePhoto: (bytes) => decodePhoto(bytes, session?.ctx.device) };
  // ?model=URL loads that model; without it, the model the server serves at /model/ (the one
  // `npm run web` was given, or the project's shipped model) loads by default.
  const asked = new URLSearchParams(location.search).get('model');
  const model = asked ?? ((await servedModelExists()) ? '/model/' : null);
  if (session && model) await loadModelFromUrl(model);
}

async function servedModelExists(): Promise<boolean> {
  try {
    const r = await fetch('/model/model.json', { method: 'HEAD' });
    return r.ok;
  } catch {
    return false;
  }
}

void main();
