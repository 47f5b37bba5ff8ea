/**
 * Keras 2 .h5 interop. Files are made here in Keras 2's exact layout (test/io/keras-fixtures.ts,
 * h5wasm directly), imported with src/io/keras-h5.ts, loaded with the engine on the GPU as
 * predict does, and their predictions checked against a float64 forward pass of the Keras
 * model written in the test (test/io/keras-reference.ts) within 1e-4. Export → import gives
 * back the same weights bit for bit, and the exported file has Keras 2's layout.
 *
 * Tolerance: the engine computes in float32 (sums of at most a few thousand products of O(1)
 * values, ~1e-6 relative); probabilities are in [0, 1], so 1e-4 absolute has ample margin,
 * while wrong layouts, paddings or activations move them by 1e-2 or more (the random weights
 * are scaled so the outputs spread well away from 0.5).
 */
import h5wasm, { type Dataset as H5Dataset, type Group as H5Group } from 'h5wasm';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/io/checkpoint.js';
import { exportKerasH5, KerasExportError } from '../../src/io/keras-export.js';
import { importKerasH5, importedWeightsBytes, KerasImportError } from '../../src/io/keras-h5.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { probabilities, type Sequential } from '../../src/nn/sequential.js';
import type { GpuContext } from '../../src/kernels/context.js';
import type { LayerConfig } from '../../src/nn/layers/layer.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu, randomArray } from '../helpers.js';
import {
  activation, batchNorm, conv2d, dense, dropout, flatten, inputLayer, kerasTutorial, maxPool, rescaling,
  withRandomWeights, writeKeras2H5, type FixtureLayer, type KerasWeight,
} from './keras-fixtures.js';
import { kerasForward } from './keras-reference.js';

const tmp = mkdtempSync(join(tmpdir(), 'keras-h5-'));
const f16 = (n: number) => Math.max(1, Math.round(n / 16));

/** Imports the bytes, writes the model folder as convert does, and loads it as predict does. */
async function importAndLoad(bytes: Uint8Array, name: string, classNames?: string[]) {
  const imp = await importKerasH5(bytes, { classNames, source: `${name}.h5` });
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), importedWeightsBytes(imp));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(imp.manifest));
  const ctx = await gpu();
  const { model, manifest } = loadModel(dir, ctx);
  return { imp, model, manifest, dir, ctx };
}

async function engineProbabilities(model: Sequential, ctx: GpuContext, x: Float32Array, n: number): Promise<Float64Array[]> {
  const trainer = new Trainer(ctx, model, null);
  const p = probabilities(await trainer.logits(x, n), n, model.outputActivation);
  trainer.dispose();
  return p;
}

function expectSpread(values: number[]): void {
  // The check only means something if the outputs differ between images and from 0.5.
  expect(Math.max(...values) - Math.min(...values), `outputs ${values.join(', ')}`).toBeGreaterThan(0.02);
}

/** The small non-tutorial model: greyscale, Rescaling, odd kernels/strides, sigmoid in the middle, groups, BN without centre/scale, BN on a vector, softmax. */
function greyscaleModel(): FixtureLayer[] {
  const conv1 = conv2d('conv2d', { filters: 4, kernel: [3, 2], strides: [2, 1], padding: 'same', activation: 'sigmoid' });
  conv1.config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } };
  return withRandomWeights(
    [
      rescaling('rescaling', 1 / 255, [13, 13, 1]),
      conv1,
      maxPool('max_pooling2d', [3, 3], [2, 2], 'same'),
      conv2d('conv2d_1', { filters: 6, kernel: [3, 3], groups: 2, useBias: false }),
      batchNorm('batch_normalization', 3, { center: false, scale: false }),
      activation('activation', 'relu'),
      flatten('flatten'),
      dense('dense', 5, 'relu', { l2: 0.01 }),
      batchNorm('batch_normalization_1', 1),
      dropout('dropout', 0.3),
      dense('dense_1', 3),
      activation('activation_1', 'softmax'),
    ],
    1,
  );
}

describe('Keras 2 .h5 import', () => {
  it('the tutorial network predicts as a float64 forward pass of the Keras model', async () => {
    const size = 67;
    const layers = withRandomWeights(kerasTutorial(size, f16), 1);
    const { imp, model, manifest, ctx } = await importAndLoad(await writeKeras2H5(layers), 'tutorial', ['cats', 'dogs']);
    expect(imp.warnings).toEqual([]);
    expect(imp.kerasVersion).toBe('2.12.0');
    expect(manifest.preprocessing).toEqual({ imageSize: size, rescale: 1 / 255, resize: 'nearest' });
    expect(manifest.classNames).toEqual(['cats', 'dogs']);
    expect(model.outputActivation).toBe('sigmoid');
    expect(model.layers.map((l) => l.name)).toEqual(layers.slice(1).map((l) => l.config.name));
    const n = 4;
    const per = size * size * 3;
    const x = randomArray(n * per, 2, 0, 1);
    const got = await engineProbabilities(model, ctx, x, n);
    const want = Array.from({ length: n }, (_, i) => kerasForward(layers, x.subarray(i * per, (i + 1) * per), [size, size, 3])[0]!);
    for (let i = 0; i < n; i++) expect(Math.abs(got[i]![1]! - want[i]!), `image ${i}: ${got[i]![1]} vs ${want[i]}`).toBeLessThan(1e-4);
    expectSpread(want);
    model.dispose();
  });

  it('a greyscale model with other options (Rescaling folded in, sigmoid split out, groups, BN variants, softmax)', async () => {
    const layers = greyscaleModel();
    const { imp, model, manifest, ctx } = await importAndLoad(await writeKeras2H5(layers), 'grey', ['a', 'b', 'c']);
    expect(imp.warnings).toEqual(["layer 'conv2d' (Conv2D): kernel_constraint ignored (training only; the engine has none)"]);
    expect(manifest.preprocessing).toEqual({ imageSize: 13, rescale: 1 / 255, resize: 'nearest', channels: 1 });
    expect(model.inputShape).toEqual([13, 13, 1]);
    expect(model.outputActivation).toBe('softmax');
    expect(model.layers.map((l) => l.config().type)).toEqual(['Conv2D', 'Sigmoid', 'MaxPool', 'Conv2D', 'BatchNorm', 'ReLU', 'Flatten', 'Dense', 'BatchNorm', 'Dropout', 'Dense']);
    expect(model.params().find((p) => p.name === 'dense.kernel')!.l2).toBe(0.01);
    const n = 3;
    const per = 13 * 13;
    const pixels = Float32Array.from(randomArray(n * per, 3, 0, 256), Math.floor);
    // The engine gets pixels × rescale (the folded Rescaling); the reference applies the Rescaling layer itself.
    const got = await engineProbabilities(model, ctx, pixels.map((v) => v * manifest.preprocessing.rescale), n);
    const outs: number[] = [];
    for (let i = 0; i < n; i++) {
      const want = kerasForward(layers, pixels.subarray(i * per, (i + 1) * per), [13, 13, 1]);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[i]![c]! - want[c]!), `image ${i} class ${c}`).toBeLessThan(1e-4);
      outs.push(want[0]!);
    }
    expectSpread(outs);
    model.dispose();
  });

  it('an imported model fine-tunes: training steps lower the loss on a fixed batch', async () => {
    const layers = withRandomWeights(kerasTutorial(67, f16), 4);
    const { model, ctx } = await importAndLoad(await writeKeras2H5(layers), 'finetune', ['cats', 'dogs']);
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-3 }));
    const x = randomArray(4 * 67 * 67 * 3, 5, 0, 1);
    const y = Float32Array.from([0, 1, 0, 1]);
    const losses: number[] = [];
    for (let s = 0; s < 6; s++) losses.push((await trainer.trainStep(x, y, 4, 10 + s)).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    trainer.dispose();
    model.dispose();
  });

  it('reads weights by their role, whatever order weight_names lists them in', async () => {
    const layers = withRandomWeights(kerasTutorial(67, f16), 6);
    const bn = layers.find((l) => l.config.name === 'batch_normalization')!;
    bn.weights = [...bn.weights!].reverse();
    const imp = await importKerasH5(await writeKeras2H5(layers));
    const byName = (n: string) => bn.weights!.find((w) => w.name === `batch_normalization/${n}:0`)!.data;
    for (const role of ['gamma', 'beta', 'moving_mean', 'moving_variance']) {
      expect(Array.from(imp.tensors[`batch_normalization.${role}`]!.data as Float32Array)).toEqual(Array.from(byName(role)));
    }
    expect(imp.manifest.classNames).toEqual(['class_0', 'class_1']);
  });
});

describe('Keras 2 .h5 export', () => {
  it('export → import gives identical weights and the same predictions; the file has Keras 2 layout', async () => {
    const ctx = await gpu();
    const model = buildModel({ variant: 'tutorial-regularized', imageSize: 67, width: 0.125 }).build(ctx, 9);
    for (const p of model.params()) {
      if (/moving_variance|gamma/.test(p.name)) p.tensor.write(randomArray(p.tensor.size, p.tensor.size, 0.5, 1.5));
      else if (/beta|moving_mean|bias/.test(p.name)) p.tensor.write(randomArray(p.tensor.size, p.tensor.size + 1, -0.3, 0.3));
      // Larger kernels than Glorot's, so the outputs spread (see expectSpread).
      else p.tensor.write((await p.tensor.toArray()).map((v) => v * 1.5));
    }
    const dir = join(tmp, 'engine');
    const manifestIn = { modelOptions: model.variant as never, classNames: ['cats', 'dogs'], preprocessing: { imageSize: 67, rescale: 1 / 255, resize: 'nearest' as const }, step: 12 };
    await saveModel(dir, model, manifestIn);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const st = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const tensors = Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
    const h5 = await exportKerasH5(manifest, tensors);

    // Import: same values, parameter by parameter in model order.
    const back = await importKerasH5(h5, { classNames: ['cats', 'dogs'] });
    const orig = model.params();
    const got = Object.entries(back.tensors);
    expect(got.map(([, t]) => t.shape)).toEqual(orig.map((p) => p.tensor.shape));
    for (let i = 0; i < orig.length; i++) {
      expect(Buffer.from((got[i]![1].data as Float32Array).buffer).equals(Buffer.from((await orig[i]!.tensor.toArray()).buffer)), orig[i]!.name).toBe(true);
    }
    // The same layers with the same options (defaults spelled out; names are Keras's now).
    const semantic = ({ name: _n, ...c }: LayerConfig) =>
      c.type === 'BatchNorm' ? { momentum: 0.99, epsilon: 1e-3, ...c } : c.type === 'Dense' || c.type === 'Conv2D' ? { activation: 'linear', ...c } : c;
    expect(back.manifest.model.layers.map(semantic)).toEqual(model.config().layers.map(semantic));
    expect(back.manifest.model.layers.find((l) => l.type === 'Conv2D')!.l2).toBe(0.001);

    // The file, read with h5wasm directly: Keras 2's attributes, groups and datasets.
    const mod = await h5wasm.ready;
    mod.FS!.writeFile('/exported.h5', h5);
    const f = new h5wasm.File('/exported.h5', 'r');
    const config = JSON.parse(f.attrs.model_config!.value as string);
    expect(f.attrs.keras_version!.value).toMatch(/^2\.\d+\.\d+$/);
    expect(f.attrs.backend!.value).toBe('tensorflow');
    expect(config.class_name).toBe('Sequential');
    const kl: FixtureLayer[] = config.config.layers;
    expect(kl[0]).toEqual(inputLayer('conv2d_input', [67, 67, 3]));
    // Every layer config has exactly the keys Keras 2's get_config() writes (as in the fixtures).
    const fixture = kerasTutorial(67, f16, true);
    expect(kl.map((l) => l.class_name)).toEqual(fixture.map((l) => l.class_name));
    kl.forEach((l, i) => expect(Object.keys(l.config).sort(), `${l.config.name}`).toEqual(Object.keys(fixture[i]!.config).sort()));
    expect(kl.map((l) => l.config.name)).toEqual(fixture.map((l) => l.config.name));
    expect(kl.at(-1)!.config.activation).toBe('sigmoid');
    const mw = f.get('model_weights') as H5Group;
    const names = kl.slice(1).map((l) => l.config.name as string);
    expect(mw.attrs.layer_names!.value).toEqual(names);
    expect(mw.keys()).toEqual([...names, 'top_level_model_weights'].sort());
    expect((mw.get('conv2d') as H5Group).attrs.weight_names!.value).toEqual(['conv2d/kernel:0', 'conv2d/bias:0']);
    expect((mw.get('batch_normalization') as H5Group).attrs.weight_names!.value).toEqual(
      ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => `batch_normalization/${w}:0`),
    );
    expect(Array.from((mw.get('flatten') as H5Group).attrs.weight_names!.value as Float64Array)).toEqual([]);
    const kernel = mw.get('conv2d/conv2d/kernel:0') as H5Dataset;
    expect(kernel.shape).toEqual([11, 11, 3, 6]);
    expect(kernel.dtype).toBe('<f');
    // The Keras model the file describes, run by the float64 reference, predicts as the engine did.
    const withWeights: FixtureLayer[] = kl.map((l) => {
      const g = mw.get(String(l.config.name)) as H5Group | null;
      const wn = g && l.class_name !== 'InputLayer' ? (g.attrs.weight_names!.value as string[] | Float64Array) : [];
      const weights: KerasWeight[] = Array.from(wn as string[], (w) => {
        const d = g!.get(w) as H5Dataset;
        return { name: w, shape: d.shape!, data: d.value as Float32Array };
      });
      return { ...l, weights };
    });
    f.close();
    const n = 3;
    const per = 67 * 67 * 3;
    const x = randomArray(n * per, 8, 0, 1);
    const engine = await engineProbabilities(model, ctx, x, n);
    const ref = Array.from({ length: n }, (_, i) => kerasForward(withWeights, x.subarray(i * per, (i + 1) * per), [67, 67, 3])[0]!);
    for (let i = 0; i < n; i++) expect(Math.abs(engine[i]![1]! - ref[i]!)).toBeLessThan(1e-4);
    expectSpread(ref);
    model.dispose();
  });

  it('refuses a model with LRN (the paper variant), naming the layer', async () => {
    const m = buildModel({ variant: 'paper', imageSize: 67, width: 0.0625 });
    const manifest = { format: 'alexnet-webgpu/1', model: m.config(), modelOptions: m.variant as never, classNames: ['a', 'b'], preprocessing: { imageSize: 67, rescale: 1, resize: 'nearest' as const }, step: 0, savedAt: '' };
    await expect(exportKerasH5(manifest, {})).rejects.toThrow(KerasExportError);
    await expect(exportKerasH5(manifest, {})).rejects.toThrow(/^layer 'lrn1' \(LRN\): Keras has no local response normalization layer/);
  });
});

describe('Keras .h5 import errors: one line naming the layer and option', () => {
  const cases: [string, () => FixtureLayer[] | Promise<Uint8Array>, RegExp][] = [
    ['an unsupported layer', () => [inputLayer('i', [8, 8, 3]), { class_name: 'AveragePooling2D', config: { name: 'average_pooling2d', pool_size: [2, 2] } }, flatten('flatten'), dense('dense', 1, 'sigmoid')], /^layer 'average_pooling2d' \(AveragePooling2D\): not supported \(supported: .*\)$/],
    ['an activation the engine lacks', () => [inputLayer('i', [8, 8, 3]), conv2d('conv2d', { filters: 2, kernel: [3, 3], activation: 'tanh' }), flatten('flatten'), dense('dense', 1, 'sigmoid')], /^layer 'conv2d' \(Conv2D\): activation 'tanh' is not supported/],
    ['dilation', () => [inputLayer('i', [8, 8, 3]), { ...conv2d('conv2d', { filters: 2, kernel: [3, 3] }), config: { ...conv2d('conv2d', { filters: 2, kernel: [3, 3] }).config, dilation_rate: [2, 2] } }, flatten('flatten'), dense('dense', 1, 'sigmoid')], /^layer 'conv2d' \(Conv2D\): dilation_rate \[2,2\] is not supported/],
    ['channels_first', () => [inputLayer('i', [8, 8, 3]), { ...flatten('flatten'), config: { name: 'flatten', data_format: 'channels_first' } }, dense('dense', 1, 'sigmoid')], /^layer 'flatten' \(Flatten\): data_format 'channels_first' is not supported/],
    ['softmax in the middle', () => [inputLayer('i', [8, 8, 3]), flatten('flatten'), dense('dense', 4, 'softmax'), dense('dense_1', 1, 'sigmoid')], /^layer 'dense' \(Dense\): activation 'softmax' is only supported as the model's output/],
    ['no output activation', () => [inputLayer('i', [8, 8, 3]), flatten('flatten'), dense('dense', 2)], /^layer 'dense' \(Dense\): the model must end in a sigmoid or softmax/],
    ['a multi-label sigmoid', () => [inputLayer('i', [8, 8, 3]), flatten('flatten'), dense('dense', 3, 'sigmoid')], /sigmoid output of 3 units \(multi-label\) is not supported/],
    ['Dense on an image', () => [inputLayer('i', [8, 8, 3]), dense('dense', 1, 'sigmoid')], /^layer 'dense': .*add a Flatten layer before Dense/],
    ['a non-square input', () => [inputLayer('i', [8, 6, 3]), flatten('flatten'), dense('dense', 1, 'sigmoid')], /^input 8×6 is not square/],
    ['4 channels', () => [inputLayer('i', [8, 8, 4]), flatten('flatten'), dense('dense', 1, 'sigmoid')], /^input with 4 channels is not supported/],
    ['a Functional model', () => writeKeras2H5(withRandomWeights([inputLayer('i', [8, 8, 3]), flatten('flatten'), dense('dense', 1, 'sigmoid')], 1), { className: 'Functional' }), /holds a Functional model: only Sequential models/],
    ['a weights-only file', () => writeKeras2H5(withRandomWeights([inputLayer('i', [8, 8, 3]), flatten('flatten'), dense('dense', 1, 'sigmoid')], 1), { weightsOnly: true }), /holds weights only \(model\.save_weights\)/],
    ['not HDF5', async () => new TextEncoder().encode('{"class_name": "Sequential"}'), /is not an HDF5 file/],
    ['a truncated file', async () => (await writeKeras2H5(withRandomWeights(kerasTutorial(67, f16), 1))).slice(0, 3000), /is damaged or truncated/],
  ];
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const made = await make();
      const bytes = made instanceof Uint8Array ? made : await writeKeras2H5(withRandomWeights(made, 1));
      const err = await importKerasH5(bytes, { source: 'm.h5' }).then(() => null, (e: Error) => e);
      expect(err, 'import should fail').not.toBeNull();
      expect(err!.constructor.name === 'KerasImportError' || err!.constructor.name === 'Hdf5Error', String(err)).toBe(true);
      expect(err!.message).toMatch(message);
      expect(err!.message).not.toContain('\n');
    });
  }

  it('wrong number of class names', async () => {
    const bytes = await writeKeras2H5(withRandomWeights(kerasTutorial(67, f16), 1));
    await expect(importKerasH5(bytes, { classNames: ['a', 'b', 'c'] })).rejects.toThrow(KerasImportError);
    await expect(importKerasH5(bytes, { classNames: ['a', 'b', 'c'] })).rejects.toThrow('3 class names given (a, b, c) but the model has 2 classes');
  });
});
