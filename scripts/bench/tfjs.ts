/**
 * TensorFlow.js peer for the whole-step benchmark (project issue 6): the same `tutorial`
 * AlexNet built with tf.layers, timed on one training step (trainOnBatch, loss read back)
 * and one inference pass (predict, output read back), median over reps after warmup.
 *
 * TensorFlow.js is a devDependency used only here; nothing under src/ imports it. It is
 * loaded lazily (dynamic import) so that importing this module costs nothing until called.
 *
 * Runnable alone: npx tsx scripts/bench/tfjs.ts [--backend webgpu] [--image-size 224] [--batch-size 8] [--reps 3]
 */
import { median, randomBatch } from './report.js';
import { createRequire } from 'node:module';
import { BATCH_SIZE, IMAGE_SIZE, flagValue } from '../lib/args.js';

export type TfjsBackend = 'webgpu' | 'wasm' | 'cpu';
export const TFJS_BACKENDS: TfjsBackend[] = ['webgpu', 'wasm', 'cpu'];

export interface TfjsStepResult {
  backend: string;
  trainMs: number[];
  inferMs: number[];
  adapter?: string;
}

// The tfjs packages are CommonJS bundles ("main": dist/*.node.js); load them with require so
// tfjs, its layers and every backend share one tfjs-core instance (one engine, one registry).
const require = createRequire(import.meta.url);
type Tf = typeof import('@tensorflow/tfjs');

let tfMod: Tf | null = null;
// Dawn's GPU object for the webgpu backend. Kept referenced for the process lifetime: if the
// garbage collector takes it, Dawn later crashes at random (same rule as src/platform/node-gpu.ts).
let dawnGpu: GPU | null = null;
let wasmPatched = false;

function tf(): Tf {
  if (!tfMod) tfMod = require('@tensorflow/tfjs') as Tf;
  return tfMod;
}

/**
 * Gives Node 20 the browser globals tfjs-backend-webgpu looks for (navigator.gpu and the
 * GPUBufferUsage-style enums) from Dawn's Node bindings, then loads the backend, which
 * registers 'webgpu' only if navigator.gpu exists at load time.
 */
async function loadWebgpu(gpu?: GPU): Promise<void> {
  if (!dawnGpu) {
    const mod = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    Object.assign(globalThis, mod.globals);
    dawnGpu = gpu ?? mod.create([]);
  }
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator?.gpu) {
    // Node 20 has no global navigator; Node 21+ has a read-only one (a getter), hence defineProperty.
    const nav = Object.assign(Object.create(g.navigator ?? null) as object, { gpu: dawnGpu });
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  }
  tf();
  require('@tensorflow/tfjs-backend-webgpu');
}

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so conv training fails there
 * ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"). Supply one built from
 * kernels wasm has. dW[kh,kw,ci,co] = Σ_{n,oh,ow} xp[n, oh·s+kh, ow·s+kw, ci] · dy[n,oh,ow,co]
 * (xp = padded input) is itself a valid convolution of xp with batch and channels swapped
 * ([ci, H, W, n]) by dy used as an oh×ow filter ([oh, ow, n, co]) dilated by the stride, so
 * XNNPACK's Conv2D does the work. (An im2col + matMul version measured ~10× slower: wasm's
 * transposed matMul is slow.) Checked against the cpu backend's kernel to ≤ 6e-6 on random
 * inputs (stride 1/2/3/4, valid and same, odd sizes). Registered for 'wasm' only.
 */
function patchWasm(): void {
  if (wasmPatched) return;
  wasmPatched = true;
  const t = tf();
  if (t.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  t.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: import('@tensorflow/tfjs').Tensor4D; dy: import('@tensorflow/tfjs').Tensor4D };
      const a = attrs as unknown as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number;
        dataFormat: string;
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm patch): only NHWC, got ${a.dataFormat}`);
      const info = t.backend_util.computeConv2DInfo(
        x.shape,
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      const { batchSize: n, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
      const { top, bottom, left, right } = info.padInfo;
      // Ops called inside a kernel are not taped (kernelDepth > 0); tidy frees the temporaries
      // and the engine takes the returned tensor as this kernel's output.
      return t.tidy(() => {
        const xp = top || bottom || left || right ? t.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
        // 'same' padding pads exactly to (oh−1)·s+k; 'valid' may leave rows the conv never read.
        const hp = (oh - 1) * sh + kh;
        const wp = (ow - 1) * sw + kw;
        const xs = xp.shape[1] === hp && xp.shape[2] === wp ? xp : t.slice(xp, [0, 0, 0, 0], [n, hp, wp, ci]);
        const xt = t.transpose(xs, [3, 1, 2, 0]) as import('@tensorflow/tfjs').Tensor4D; // [ci, hp, wp, n]
        const f = t.transpose(dy, [1, 2, 0, 3]) as import('@tensorflow/tfjs').Tensor4D; // [oh, ow, n, co]
        const g = t.conv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]); // [ci, kh, kw, co]
        return t.transpose(g, [1, 2, 0, 3]);
      }) as unknown as import('@tensorflow/tfjs').TensorInfo;
    },
  });
}

/** Selects (and if needed loads) a tfjs backend; returns a short adapter description. */
export async function useTfjsBackend(backend: TfjsBackend, opts: { gpu?: GPU } = {}): Promise<string | undefined> {
  const t = tf();
  if (backend === 'webgpu') await loadWebgpu(opts.gpu);
  else if (backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
    patchWasm();
  }
  if (t.getBackend() !== backend) {
    const ok = await t.setBackend(backend);
    if (!ok) throw new Error(`tfjs: backend '${backend}' failed to initialise (see the warning printed above)`);
  }
  await t.ready();
  if (backend === 'webgpu') {
    const b = t.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string; device?: string; description?: string } };
    const info = b.adapterInfo;
    const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ');
    return name || 'unknown adapter';
  }
  return backend === 'wasm' ? 'wasm (CPU, XNNPACK)' : 'cpu (plain JavaScript)';
}

/** The `tutorial` AlexNet of src/nn/models.ts, layer for layer, in tf.layers. */
export function buildTfjsTutorial(size: number): import('@tensorflow/tfjs').Sequential {
  const t = tf();
  const L = t.layers;
  const m = t.sequential();
  const conv = (filters: number, kernelSize: number, strides: number, padding: 'valid' | 'same', first = false) =>
    L.conv2d({ filters, kernelSize, strides, padding, activation: 'relu', ...(first ? { inputShape: [size, size, 3] } : {}) });
  const pool = () => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid' });
  m.add(conv(48, 11, 4, 'valid', true));
  m.add(L.batchNormalization());
  m.add(pool());
  m.add(conv(128, 5, 1, 'same'));
  m.add(L.batchNormalization());
  m.add(pool());
  m.add(conv(192, 3, 1, 'same'));
  m.add(conv(192, 3, 1, 'same'));
  m.add(conv(128, 3, 1, 'same'));
  m.add(pool());
  m.add(L.flatten());
  m.add(L.dense({ units: 1024, activation: 'relu' }));
  m.add(L.dropout({ rate: 0.25 }));
  m.add(L.dense({ units: 1024, activation: 'relu' }));
  m.add(L.dropout({ rate: 0.25 }));
  m.add(L.dense({ units: 1, activation: 'sigmoid' }));
  // Loss and accuracy, like the tutorial's compile() and like our Trainer's metrics readback.
  m.compile({ optimizer: t.train.adam(1e-4), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

/**
 * Times one tfjs training step and one inference pass. Like benchStep, every step starts
 * from host Float32Arrays (the upload is inside the timing, as in our Trainer.trainStep),
 * and every step ends with a readback (trainOnBatch awaits its loss and accuracy; inference
 * awaits predict's output), so queued GPU work is finished when the clock stops.
 */
export async function benchTfjsStep(o: {
  backend: TfjsBackend;
  batch: number;
  size: number;
  reps: number;
  warmup?: number;
  gpu?: GPU;
}): Promise<TfjsStepResult> {
  const adapter = await useTfjsBackend(o.backend, { gpu: o.gpu });
  const t = tf();
  const warmup = o.warmup ?? 2;
  const { batch, size } = o;
  const xHost = randomBatch(batch * size * size * 3, 1);
  const yHost = new Float32Array(batch).map((_, i) => i % 2);
  const model = buildTfjsTutorial(size);
  const trainMs: number[] = [];
  const inferMs: number[] = [];
  try {
    const train = async () => {
      const x = t.tensor4d(xHost, [batch, size, size, 3]);
      const y = t.tensor2d(yHost, [batch, 1]);
      try {
        await model.trainOnBatch(x, y); // awaits loss.data(): the step's GPU work is done
      } finally {
        x.dispose();
        y.dispose();
      }
    };
    const infer = async () => {
      const x = t.tensor4d(xHost, [batch, size, size, 3]);
      const out = model.predict(x) as import('@tensorflow/tfjs').Tensor;
      // data(), not dataSync(): the webgpu backend's readSync needs OffscreenCanvas, which Node lacks.
      await out.data();
      x.dispose();
      out.dispose();
    };
    for (const [run, ms] of [
      [train, trainMs],
      [infer, inferMs],
    ] as const) {
      for (let i = 0; i < warmup; i++) await run();
      for (let i = 0; i < o.reps; i++) {
        const t0 = performance.now();
        await run();
        ms.push(performance.now() - t0);
      }
    }
  } finally {
    model.dispose();
    // Optimizer slots (Adam moments) are not owned by the model; drop them too.
    (model.optimizer as unknown as { dispose?: () => void } | undefined)?.dispose?.();
  }
  return { backend: o.backend, trainMs, inferMs, adapter };
}

/** Live tensors in tfjs's engine (leak check for the standalone run). */
export function tfjsNumTensors(): number {
  return tf().memory().numTensors;
}

async function standalone(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (names: readonly string[], d: string) => flagValue(args, names) ?? d;
  const size = Number(get(IMAGE_SIZE, '224'));
  const batch = Number(get(BATCH_SIZE, '8'));
  const reps = Number(get(['reps'], '3'));
  let code = 0;
  try {
    for (const backend of get(['backend'], 'webgpu').split(',') as TfjsBackend[]) {
      if (!TFJS_BACKENDS.includes(backend)) throw new Error(`unknown tfjs backend '${backend}' (choose from ${TFJS_BACKENDS.join(', ')})`);
      const r = await benchTfjsStep({ backend, batch, size, reps });
      console.log(
        `tfjs ${backend} (${r.adapter}) ${size}x${size} b${batch}: train median ${median(r.trainMs).toFixed(1)} ms ` +
          `[${r.trainMs.map((v) => v.toFixed(0)).join(', ')}], inference median ${median(r.inferMs).toFixed(1)} ms ` +
          `[${r.inferMs.map((v) => v.toFixed(0)).join(', ')}], live tensors ${tfjsNumTensors()}`,
      );
    }
  } catch (e) {
    console.error(e);
    code = 1;
  }
  // Dawn keeps the process alive while its instance is referenced: exit explicitly.
  process.exit(code);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) void standalone();
