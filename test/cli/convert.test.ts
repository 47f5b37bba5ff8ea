/**
 * npm run convert as a user runs it: a Keras 2 .h5 file (made here in Keras's layout) becomes
 * a model folder that `npm run predict` and `npm run evaluate` use — their probabilities match
 * a float64 forward pass of the Keras model within 1e-4 — and a model folder becomes a Keras
 * .h5 (which imports back to the same weights) or an ONNX file (which ONNX Runtime runs to the
 * same probabilities). Existing files are never replaced without --force; bad input is one line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { rng } from '../helpers.js';
import {
  activation, batchNorm, conv2d, dense, flatten, kerasTutorial, maxPool, rescaling, withRandomWeights, writeKeras2H5, type FixtureLayer,
} from '../io/keras-fixtures.js';
import { kerasForward } from '../io/keras-reference.js';

const root = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'convert-'));

function run(cmd: 'convert' | 'predict' | 'evaluate', args: string[], viaNpm = false): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((res) => {
    const child = viaNpm
      ? spawn('npm', ['run', '-s', cmd, '--', ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } })
      : spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', `${cmd}.ts`), ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => res({ code, out, stdout }));
  });
}

/** Lines other than Dawn's adapter warnings. */
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: maxDynamic'));

function writePng(path: string, w: number, h: number, seed: number): Uint8Array {
  const r = rng(seed);
  const png = new PNG({ width: w, height: h });
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) png.data[i * 4 + c] = rgb[i * 3 + c] = Math.floor(r() * 256);
    png.data[i * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
  return rgb;
}

/** PIL's convert('L'), written out here: (19595 R + 38470 G + 7471 B + 32768) >> 16. */
const luma = (rgb: Uint8Array) => Float64Array.from({ length: rgb.length / 3 }, (_, i) => Math.floor((rgb[i * 3]! * 19595 + rgb[i * 3 + 1]! * 38470 + rgb[i * 3 + 2]! * 7471 + 32768) / 65536));

let tutorial: FixtureLayer[];
let grey: FixtureLayer[];
const images: { path: string; rgb: Uint8Array; label: number }[] = [];

beforeAll(async () => {
  tutorial = withRandomWeights(kerasTutorial(67, (n) => Math.max(1, Math.round(n / 16))), 21);
  writeFileSync(join(tmp, 'tutorial.h5'), await writeKeras2H5(tutorial));
  grey = withRandomWeights(
    [
      rescaling('rescaling', 1 / 255, [13, 13, 1]),
      conv2d('conv2d', { filters: 4, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu' }),
      maxPool('max_pooling2d', [2, 2], [2, 2]),
      batchNorm('batch_normalization', 3),
      flatten('flatten'),
      dense('dense', 3),
      activation('activation', 'softmax'),
    ],
    1,
  );
  const g0 = grey.find((l) => l.config.name === 'conv2d')!;
  g0.config.bias_regularizer = { class_name: 'L2', config: { l2: 0.1 } };
  writeFileSync(join(tmp, 'grey.h5'), await writeKeras2H5(grey));
  for (const [c, label] of [['cats', 0], ['dogs', 1]] as const) {
    mkdirSync(join(tmp, 'data', c), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const path = join(tmp, 'data', c, `${c}.${i}.png`);
      images.push({ path, rgb: writePng(path, 67, 67, 100 + label * 10 + i), label });
    }
  }
});

describe('npm run convert -- --from keras', () => {
  const dir = join(tmp, 'tutorial-model');

  it('imports the tutorial network; predict and evaluate give the Keras model\'s probabilities', async () => {
    const r = await run('convert', ['--from', 'keras', join(tmp, 'tutorial.h5'), '--out', dir, '--classes', 'cats,dogs'], true);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Imported .*tutorial\.h5 \(Keras 2\.12\.0, tensorflow backend\): 16 layers/);
    expect(existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'model.safetensors'))).toBe(true);

    const p = await run('predict', ['--model', dir, '--json', ...images.map((i) => i.path)]);
    expect(p.code, p.out).toBe(0);
    const results = lines(p.stdout).map((l) => JSON.parse(l));
    const want = images.map((im) => kerasForward(tutorial, Float64Array.from(im.rgb, (v) => v / 255), [67, 67, 3])[0]!);
    results.forEach((res, i) => expect(Math.abs(res.probabilities.dogs - want[i]!), res.file).toBeLessThan(1e-4));
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.01);

    const e = await run('evaluate', ['--model', dir, '--data', join(tmp, 'data'), '--json']);
    expect(e.code, e.out).toBe(0);
    const ev = JSON.parse(e.stdout.slice(e.stdout.indexOf('{')));
    expect(ev.images).toBe(4);
    const correct = images.filter((im, i) => (want[i]! > 0.5 ? 1 : 0) === im.label).length;
    expect(ev.accuracy).toBeCloseTo(correct / 4, 10);
  });

  it('a greyscale model reads photos as greyscale (PIL luma), with a warning for what it drops', async () => {
    const gdir = join(tmp, 'grey-model');
    const r = await run('convert', ['--from', 'keras', join(tmp, 'grey.h5'), '--out', gdir, '--classes', 'a,b,c']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("warning: layer 'conv2d' (Conv2D): bias_regularizer ignored (training only; the engine has none)");
    expect(r.out).toContain('Input 13×13 greyscale, pixels × 0.00392156862745098');
    const photo = join(tmp, 'colour.png');
    const rgb = writePng(photo, 13, 13, 7);
    const p = await run('predict', ['--model', gdir, '--json', photo]);
    expect(p.code, p.out).toBe(0);
    const res = JSON.parse(lines(p.stdout)[0]!);
    const want = kerasForward(grey, luma(rgb), [13, 13, 1]);
    ['a', 'b', 'c'].forEach((c, i) => expect(Math.abs(res.probabilities[c] - want[i]!), c).toBeLessThan(1e-4));
  });

  it('never replaces a model folder without --force', async () => {
    const before = readFileSync(join(dir, 'model.json'));
    const r = await run('convert', ['--from', 'keras', join(tmp, 'tutorial.h5'), '--out', dir]);
    expect(r.code).toBe(1);
    expect(lines(r.out)).toEqual([`error: ${join(dir, 'model.json')} already exists (pass --force to replace the model in ${dir})`]);
    expect(readFileSync(join(dir, 'model.json')).equals(before)).toBe(true);
    const f = await run('convert', ['--from', 'keras', join(tmp, 'tutorial.h5'), '--out', dir, '--classes', 'cats,dogs', '--force']);
    expect(f.code, f.out).toBe(0);
  });
});

describe('npm run convert -- --to keras / onnx', () => {
  const dir = join(tmp, 'tutorial-model');

  it('--to keras writes a .h5 that imports back to the same weights', async () => {
    const out = join(tmp, 'exported.h5');
    const r = await run('convert', ['--to', 'keras', '--model', dir, '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('tf.keras.models.load_model reads it');
    const back = join(tmp, 'back-model');
    const b = await run('convert', ['--from', 'keras', out, '--out', back, '--classes', 'cats,dogs']);
    expect(b.code, b.out).toBe(0);
    const w1 = Object.values(decodeSafetensors(readFileSync(join(dir, 'model.safetensors'))).tensors);
    const w2 = Object.values(decodeSafetensors(readFileSync(join(back, 'model.safetensors'))).tensors);
    expect(w2.length).toBe(w1.length);
    w1.forEach((t, i) => {
      expect(w2[i]!.shape).toEqual(t.shape);
      expect(Buffer.from((w2[i]!.data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer))).toBe(true);
    });

    // An existing file is refused, and stays as it was.
    const size = statSync(out).size;
    const again = await run('convert', ['--to', 'keras', '--model', dir, '--out', out]);
    expect(again.code).toBe(1);
    expect(lines(again.out)).toEqual([`error: ${out} already exists (pass --force to replace it)`]);
    expect(statSync(out).size).toBe(size);
  });

  it('--to half writes float16 weights (half the size) whose predictions stay within 1e-3, and refuses to overwrite', async () => {
    const out = join(tmp, 'half-model');
    const r = await run('convert', ['--to', 'half', '--model', dir, '--out', out], true);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/float16 weights, .* \(was .*\); largest relative change of a weight/);
    const full = decodeSafetensors(readFileSync(join(dir, 'model.safetensors')));
    const half = decodeSafetensors(readFileSync(join(out, 'model.safetensors')));
    expect(Object.values(half.tensors).every((t) => t.dtype === 'F16')).toBe(true);
    expect(half.metadata).toEqual(full.metadata);
    expect(statSync(join(out, 'model.safetensors')).size).toBeLessThan(statSync(join(dir, 'model.safetensors')).size * 0.55);
    const probs = async (m: string) => {
      const p = await run('predict', ['--model', m, '--json', ...images.map((i) => i.path)]);
      expect(p.code, p.out).toBe(0);
      return lines(p.stdout).map((l) => JSON.parse(l).probabilities.dogs as number);
    };
    const [a, b] = [await probs(dir), await probs(out)];
    a.forEach((v, i) => expect(Math.abs(b[i]! - v)).toBeLessThan(1e-3));
    expect(a.some((v, i) => v !== b[i])).toBe(true); // the weights did change
    // Exports read float16 folders too.
    const h5 = await run('convert', ['--to', 'keras', '--model', out, '--out', join(tmp, 'from-half.h5')]);
    expect(h5.code, h5.out).toBe(0);
    const again = await run('convert', ['--to', 'half', '--model', dir, '--out', out]);
    expect(again.code).toBe(1);
    expect(lines(again.out)).toEqual([`error: ${join(out, 'model.json')} already exists (pass --force to replace the model in ${out})`]);
  });

  it('--to onnx writes a graph ONNX Runtime runs to the Keras model\'s probabilities', async () => {
    const out = join(tmp, 'model.onnx');
    const r = await run('convert', ['--to', 'onnx', '--model', dir, '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("Input 'input': [N, 67, 67, 3] NHWC float32, RGB pixels (0-255) × 0.00392156862745098");
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(out));
    const x = new Float32Array(images.length * 67 * 67 * 3);
    images.forEach((im, i) => x.set(Float32Array.from(im.rgb, (v) => v * (1 / 255)), i * 67 * 67 * 3));
    const y = (await session.run({ input: new ort.Tensor('float32', x, [images.length, 67, 67, 3]) })).probabilities!.data as Float32Array;
    images.forEach((im, i) => expect(Math.abs(y[i]! - kerasForward(tutorial, Float64Array.from(im.rgb, (v) => v / 255), [67, 67, 3])[0]!)).toBeLessThan(1e-4));
  });
});

describe('npm run convert: bad input is one line', () => {
  const dir = join(tmp, 'tutorial-model');
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown format', () => ['--to', 'tflite', '--model', dir, '--out', join(tmp, 'm.tflite')], /^error: option '--to <format>' argument 'tflite' is invalid\. Allowed choices are keras, onnx, half\.$/],
    ['no direction', () => ['--model', dir], /^error: give either --from keras FILE --out DIR, or --to keras\|onnx\|half --model DIR --out FILE\|DIR$/],
    ['a missing file', () => ['--from', 'keras', join(tmp, 'nope.h5'), '--out', join(tmp, 'x')], /^error: file not found: .*nope\.h5$/],
    ['not an HDF5 file', () => ['--from', 'keras', images[0]!.path, '--out', join(tmp, 'x')], /^error: cats\.0\.png is not an HDF5 file \(no HDF5 signature\)$/],
    ['an unsupported layer', () => ['--from', 'keras', join(tmp, 'avgpool.h5'), '--out', join(tmp, 'x')], /^error: layer 'average_pooling2d' \(AveragePooling2D\): not supported/],
    ['a file argument with --to', () => ['--to', 'onnx', '--model', dir, '--out', join(tmp, 'y.onnx'), 'extra.h5'], /^error: --to takes no file argument/],
    ['--out is a folder', () => ['--to', 'onnx', '--model', dir, '--out', tmp], /^error: --out .* is a folder; give the file to write$/],
    ['a bad --rescale', () => ['--from', 'keras', join(tmp, 'tutorial.h5'), '--out', join(tmp, 'x'), '--rescale', 'abc'], /^error: --rescale: 'abc' is not a positive number/],
    ['one class name', () => ['--from', 'keras', join(tmp, 'tutorial.h5'), '--out', join(tmp, 'x'), '--classes', 'cats'], /^error: --classes: 'cats' is not a comma-separated list/],
    ['a model folder that is not one', () => ['--to', 'keras', '--model', join(tmp, 'data'), '--out', join(tmp, 'z.h5')], /^error: model description not found: /],
    ['a model with LRN to Keras', () => ['--to', 'keras', '--model', join(tmp, 'paper'), '--out', join(tmp, 'p.h5')], /^error: layer 'lrn1' \(LRN\): Keras has no local response normalization layer/],
  ];
  beforeAll(async () => {
    writeFileSync(join(tmp, 'avgpool.h5'), await writeKeras2H5(withRandomWeights([
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 3], name: 'i' } },
      { class_name: 'AveragePooling2D', config: { name: 'average_pooling2d', pool_size: [2, 2] } },
      flatten('flatten'), dense('dense', 1, 'sigmoid'),
    ], 1)));
    mkdirSync(join(tmp, 'paper'), { recursive: true });
    const { buildModel } = await import('../../src/nn/models.js');
    const m = buildModel({ variant: 'paper', imageSize: 67, width: 0.0625 });
    writeFileSync(join(tmp, 'paper', 'model.json'), JSON.stringify({ format: 'alexnet-webgpu/1', model: m.config(), modelOptions: m.variant, classNames: ['a', 'b'], preprocessing: { imageSize: 67, rescale: 1, resize: 'nearest' }, step: 0, savedAt: '' }));
    writeFileSync(join(tmp, 'paper', 'model.safetensors'), readFileSync(join(dir, 'model.safetensors')));
  });
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await run('convert', args());
      expect(r.code).toBe(1);
      const out = lines(r.out);
      expect(out, r.out).toHaveLength(1);
      expect(out[0]).toMatch(message);
      expect(existsSync(join(tmp, 'x'))).toBe(false);
    });
  }
});
