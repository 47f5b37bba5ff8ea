/**
 * ONNX export, run in ONNX Runtime (onnxruntime-web's WebAssembly CPU build, in Node): the
 * exported graph's probabilities equal the engine's own (its Sequential forward on the GPU
 * context, as predict runs it) within 1e-4, for the tutorial variant (batch norm, sigmoid),
 * a 3-class tutorial (softmax), the paper variant (LRN, grouped convolutions, softmax), at
 * small widths and 67×67 inputs, and a small model of the options the variants leave out, with random weights and batch-norm statistics scaled so
 * that the outputs spread well away from uniform.
 *
 * Tolerance: both sides compute in float32 with different summation orders (~1e-6 relative
 * on logits of magnitude ≲ 10); probabilities lie in [0, 1], so 1e-4 absolute leaves margin,
 * while a wrong layout, padding or LRN constant moves them by far more.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { exportOnnx, hwioToOihw, ONNX_INPUT, ONNX_OUTPUT } from '../../src/io/onnx-export.js';
import { FORMAT, type ImportedModelOptions, type ModelManifest } from '../../src/nn/manifest.js';
import { sequentialFromConfig } from '../../src/nn/from-config.js';
import type { LayerConfig } from '../../src/nn/layers/layer.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { probabilities, type Sequential } from '../../src/nn/sequential.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu, randomArray } from '../helpers.js';

ort.env.wasm.numThreads = 1;

const SIZE = 67;

/** A model the variants do not cover: greyscale input, asymmetric 'same' paddings (even kernel, odd sizes), non-square kernel and stride, strong LRN, groups without bias, batch norm on a vector, a Sigmoid layer. */
function customModel(): { model: Sequential; options: ImportedModelOptions } {
  const options: ImportedModelOptions = { variant: 'imported', from: 'test', imageSize: 13, classes: 3 };
  const layers: LayerConfig[] = [
    { type: 'Conv2D', name: 'conv_a', filters: 4, kernelSize: [4, 3], strides: [2, 1], padding: 'same', activation: 'relu' },
    { type: 'LRN', name: 'lrn', size: 3, k: 0.5, alpha: 2, beta: 0.75 },
    { type: 'MaxPool', name: 'pool', size: 2, stride: 2, padding: 'same' },
    { type: 'Conv2D', name: 'conv_b', filters: 6, kernelSize: 3, groups: 2, useBias: false },
    { type: 'BatchNorm', name: 'bn_a', epsilon: 0.01 },
    { type: 'Sigmoid', name: 'sig' },
    { type: 'Flatten', name: 'flat' },
    { type: 'Dense', name: 'fc_a', units: 5, activation: 'relu' },
    { type: 'BatchNorm', name: 'bn_b' },
    { type: 'Dropout', name: 'drop', rate: 0.3 },
    { type: 'Dense', name: 'fc_b', units: 3 },
  ];
  const model = sequentialFromConfig({ name: 'custom', inputShape: [13, 13, 1], outputActivation: 'softmax', layers, variant: { ...options } });
  return { model, options };
}

async function checkVariant(options: ModelOptions, classNames: string[], kernelScale: number, seed: number) {
  await checkModel(buildModel(options), options, classNames, kernelScale, seed);
}

async function checkModel(described: Sequential, options: ModelOptions | ImportedModelOptions, classNames: string[], kernelScale: number, seed: number) {
  const ctx = await gpu();
  const model = described.build(ctx, seed);
  const [size, , channels] = model.inputShape as [number, number, number];
  for (const p of model.params()) {
    const n = p.tensor.size;
    if (/moving_variance|gamma/.test(p.name)) p.tensor.write(randomArray(n, seed + n, 0.5, 1.5));
    else if (/beta|moving_mean|bias/.test(p.name)) p.tensor.write(randomArray(n, seed + n + 1, -0.3, 0.3));
    else p.tensor.write((await p.tensor.toArray()).map((v) => v * kernelScale));
  }
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of model.params()) tensors[p.name] = { shape: p.tensor.shape, data: await p.tensor.toArray() };
  const manifest: ModelManifest = {
    format: FORMAT, model: model.config(), modelOptions: options, classNames,
    preprocessing: { imageSize: size, rescale: 1 / 255, resize: 'nearest', ...(channels === 1 ? { channels: 1 as const } : {}) }, step: 0, savedAt: '',
  };
  const onnx = exportOnnx(manifest, tensors);

  const n = 4;
  const x = randomArray(n * size * size * channels, seed + 7, 0, 1);
  const trainer = new Trainer(ctx, model, null);
  const engine = probabilities(await trainer.logits(x, n), n, model.outputActivation);
  trainer.dispose();
  model.dispose();

  const session = await ort.InferenceSession.create(onnx);
  expect(session.inputNames).toEqual([ONNX_INPUT]);
  expect(session.outputNames).toEqual([ONNX_OUTPUT]);
  const out = (await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [n, size, size, channels]) }))[ONNX_OUTPUT]!;
  const units = model.outputActivation === 'sigmoid' ? 1 : classNames.length;
  expect(out.dims).toEqual([n, units]);
  const got = out.data as Float32Array;
  const firstClass: number[] = [];
  for (let i = 0; i < n; i++) {
    // Sigmoid: the graph outputs the second class's probability; softmax: all of them.
    const want = units === 1 ? [engine[i]![1]!] : Array.from(engine[i]!);
    for (let c = 0; c < units; c++) expect(Math.abs(got[i * units + c]! - want[c]!), `image ${i} unit ${c}: ${got[i * units + c]} vs ${want[c]}`).toBeLessThan(1e-4);
    firstClass.push(want[0]!);
  }
  // Meaningful only if the outputs differ between images and from uniform.
  expect(Math.max(...firstClass) - Math.min(...firstClass), `outputs ${firstClass.join(', ')}`).toBeGreaterThan(0.01);
  await session.release();
}

describe('ONNX export in ONNX Runtime', () => {
  it('tutorial variant (conv, batch norm, max pool, dense, sigmoid)', async () => {
    await checkVariant({ variant: 'tutorial', imageSize: SIZE, width: 0.125, classes: 2 }, ['cats', 'dogs'], 1.5, 3);
  });

  it('tutorial variant with 3 classes (softmax)', async () => {
    await checkVariant({ variant: 'tutorial-regularized', imageSize: SIZE, width: 0.125, classes: 3 }, ['a', 'b', 'c'], 1.5, 4);
  });

  it('paper variant (LRN, grouped convolutions, softmax)', async () => {
    await checkVariant({ variant: 'paper', imageSize: SIZE, width: 0.0625, classes: 2 }, ['cats', 'dogs'], 2, 5);
  });

  it('other layers and options: greyscale, asymmetric same padding, strong LRN, groups, sigmoid, batch norm on vectors', async () => {
    const { model, options } = customModel();
    await checkModel(model, options, ['a', 'b', 'c'], 1.5, 6);
  });

  it('kernels go from HWIO to OIHW', () => {
    const [kh, kw, ci, co] = [2, 3, 4, 5];
    const k = Float32Array.from({ length: kh * kw * ci * co }, (_, i) => i);
    const o = hwioToOihw(k, [kh, kw, ci, co]);
    // Element (h, w, i, o) of HWIO is element (o, i, h, w) of OIHW.
    for (let h = 0; h < kh; h++) for (let w = 0; w < kw; w++) for (let i = 0; i < ci; i++) for (let c = 0; c < co; c++) {
      expect(o[((c * ci + i) * kh + h) * kw + w]).toBe(((h * kw + w) * ci + i) * co + c);
    }
  });
});
