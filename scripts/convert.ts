/**
 * npm run convert — models in and out of other tools' formats (no GPU needed):
 *
 *   npm run convert -- --from keras MODEL.h5 --out DIR [--rescale R] [--classes a,b] [--resize M]
 *       a Keras 2 .h5 Sequential model → a model folder (model.json + model.safetensors) that
 *       predict, evaluate and the web page take
 *   npm run convert -- --to keras --model DIR --out MODEL.h5     → Keras 2 HDF5 (load_model reads it)
 *   npm run convert -- --to onnx  --model DIR --out MODEL.onnx   → ONNX opset 13 inference graph
 *   npm run convert -- --to half  --model DIR --out DIR          → the same model with float16 weights
 *       (half the size; predict, evaluate and the page widen them back to float32 on load)
 *
 * Existing output files are never replaced without --force.
 */
import { Command, Option } from 'commander';
import { existsSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { runMain, UserError } from '../src/platform/node-gpu.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { CheckpointError, readManifest } from '../src/io/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from '../src/io/safetensors.js';
import { float32Values, fromHalf, toHalf } from '../src/io/half.js';
import { Hdf5Error } from '../src/io/hdf5.js';
import { importKerasH5, importedWeightsBytes, KerasImportError } from '../src/io/keras-h5.js';
import { exportKerasH5, KerasExportError, KERAS_VERSION } from '../src/io/keras-export.js';
import { exportOnnx, OnnxExportError, ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from '../src/io/onnx-export.js';
import type { ModelManifest } from '../src/nn/manifest.js';

interface Opts {
  from?: string;
  to?: string;
  model?: string;
  out?: string;
  rescale?: number;
  classes?: string[];
  resize?: 'nearest' | 'bilinear';
  force: boolean;
}

function fraction(v: string): number {
  const n = v.includes('/') ? Number(v.split('/')[0]) / Number(v.split('/')[1]) : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--rescale: '${v}' is not a positive number (e.g. 1/255)`);
  return n;
}

function classList(v: string): string[] {
  const names = v.split(',').map((s) => s.trim());
  if (names.length < 2 || names.some((n) => n === '')) throw new UserError(`--classes: '${v}' is not a comma-separated list of two or more names`);
  return names;
}

const isUserError = (e: unknown) =>
  e instanceof KerasImportError || e instanceof KerasExportError || e instanceof OnnxExportError || e instanceof Hdf5Error || e instanceof CheckpointError;

async function guarded<T>(job: () => Promise<T> | T): Promise<T> {
  try {
    return await job();
  } catch (e) {
    if (isUserError(e)) throw new UserError((e as Error).message);
    throw e;
  }
}

const sizeText = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);

/** Refuses to replace a file unless --force; a folder in the way is always refused. */
function checkWritable(path: string, force: boolean): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new UserError(`--out ${path} is a folder; give the file to write`);
  if (!force) throw new UserError(`${path} already exists (pass --force to replace it)`);
}

/** A model folder to write: not a file, and its model files replaced only with --force. */
function checkModelFolderOut(dir: string, force: boolean): string {
  const out = resolve(dir);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--out ${dir} is a file; give a folder for model.json and model.safetensors`);
  for (const f of ['model.json', 'model.safetensors']) {
    if (existsSync(join(out, f)) && !force) throw new UserError(`${join(dir, f)} already exists (pass --force to replace the model in ${dir})`);
  }
  return out;
}

async function fromKeras(file: string, o: Opts): Promise<void> {
  if (!o.out) throw new UserError('--out DIR is required: the model folder to write');
  if (!existsSync(file)) throw new UserError(`file not found: ${file}`);
  if (statSync(file).isDirectory()) throw new UserError(`${file} is a folder; give the Keras .h5 file`);
  const out = checkModelFolderOut(o.out, o.force);
  const bytes = readFileSync(file);
  const m = await guarded(() => importKerasH5(bytes, { classNames: o.classes, rescale: o.rescale, resize: o.resize, source: basename(file) }));
  for (const w of m.warnings) console.error(`warning: ${w}`);
  mkdirSync(out, { recursive: true });
  await writeFileAtomic(join(out, 'model.safetensors'), importedWeightsBytes(m));
  await writeFileAtomic(join(out, 'model.json'), JSON.stringify(m.manifest, null, 2) + '\n');
  const p = m.manifest.preprocessing;
  const params = Object.values(m.tensors).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  console.log(`Imported ${file} (Keras ${m.kerasVersion ?? '?'}, ${m.backend ?? '?'} backend): ${m.manifest.model.layers.length} layers, ${params.toLocaleString('en-US')} parameters.`);
  console.log(`Input ${p.imageSize}×${p.imageSize} ${p.channels === 1 ? 'greyscale' : 'RGB'}, pixels × ${p.rescale} (${p.resize} resize); output ${m.manifest.model.outputActivation} over classes ${m.manifest.classNames.join(', ')}.`);
  if (!o.classes) console.log('Class names are placeholders: pass --classes a,b (in the order of the model\'s outputs) to name them.');
  console.log(`Wrote ${join(o.out, 'model.json')} and ${join(o.out, 'model.safetensors')}. Predict with: npm run predict -- --model ${o.out} IMAGE...`);
}

function readModelFolder(dir: string): { manifest: ModelManifest; tensors: Record<string, { shape: number[]; data: Float32Array }>; metadata: Record<string, string> } {
  if (!existsSync(dir)) throw new UserError(`model folder not found: ${dir}`);
  let manifest: ModelManifest;
  try {
    manifest = readManifest(dir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path)) throw new UserError(`weights not found: ${path}`);
  let file;
  try {
    file = decodeSafetensors(readFileSync(path));
  } catch (e) {
    throw new UserError(`${path}: ${(e as Error).message}`);
  }
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(file.tensors)) {
    if (t.dtype !== 'F32' && t.dtype !== 'F16') throw new UserError(`${path}: tensor '${name}' is ${t.dtype}, expected F32 (or F16)`);
    tensors[name] = { shape: t.shape, data: float32Values(t) };
  }
  return { manifest, tensors, metadata: file.metadata };
}

/** The model folder again with float16 weights (model.json unchanged but for savedAt). */
async function toHalfFolder(o: Opts): Promise<void> {
  if (!o.model) throw new UserError('--model DIR is required: the model folder to convert');
  if (!o.out) throw new UserError('--out DIR is required: the folder for the float16 model');
  if (resolve(o.out) === resolve(o.model)) throw new UserError('--out is the --model folder; give a new folder (the float32 model is kept as it is)');
  const out = checkModelFolderOut(o.out, o.force);
  const { manifest, tensors, metadata } = readModelFolder(o.model);
  const half: Record<string, SafetensorsInputTensor> = {};
  let worst = 0;
  let overflow = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const h = toHalf(t.data);
    const back = fromHalf(h);
    t.data.forEach((v, i) => {
      if (!Number.isFinite(back[i]!)) overflow++;
      else worst = Math.max(worst, Math.abs(back[i]! - v) / Math.max(Math.abs(v), 2 ** -14));
    });
    half[name] = { dtype: 'F16', shape: t.shape, data: h };
  }
  if (overflow > 0) throw new UserError(`${overflow} weight(s) of ${o.model} exceed float16's range (±65504): keep this model in float32`);
  const bytes = encodeSafetensors(half, metadata);
  mkdirSync(out, { recursive: true });
  await writeFileAtomic(join(out, 'model.safetensors'), bytes);
  await writeFileAtomic(join(out, 'model.json'), JSON.stringify({ ...manifest, savedAt: new Date().toISOString() }, null, 2) + '\n');
  const before = statSync(join(o.model, 'model.safetensors')).size;
  console.log(`Wrote ${o.out}: float16 weights, ${sizeText(bytes.length)} (was ${sizeText(before)}); largest relative change of a weight ${worst.toExponential(2)}.`);
  console.log(`Check its predictions against the float32 model's, e.g. npm run predict -- --model ${o.out} --json PHOTOS and the same with --model ${o.model}.`);
}

async function toFormat(format: 'keras' | 'onnx', o: Opts): Promise<void> {
  if (!o.model) throw new UserError('--model DIR is required: the model folder to convert');
  if (!o.out) throw new UserError(`--out FILE is required: the ${format === 'keras' ? '.h5' : '.onnx'} file to write`);
  const out = resolve(o.out);
  checkWritable(out, o.force);
  const { manifest, tensors } = readModelFolder(o.model);
  const p = manifest.preprocessing;
  const channels = p.channels ?? 3;
  const bytes = await guarded(() => (format === 'keras' ? exportKerasH5(manifest, tensors) : exportOnnx(manifest, tensors)));
  mkdirSync(dirname(out), { recursive: true });
  await writeFileAtomic(out, bytes);
  const input = `[N, ${p.imageSize}, ${p.imageSize}, ${channels}] NHWC float32, ${channels === 1 ? 'greyscale ' : 'RGB '}pixels (0-255) × ${p.rescale}`;
  if (format === 'keras') {
    console.log(`Wrote ${o.out} (Keras ${KERAS_VERSION} HDF5, Sequential, ${sizeText(bytes.length)}): tf.keras.models.load_model reads it.`);
    console.log(`The Keras model takes ${input} (the rescale is not part of it); classes ${manifest.classNames.join(', ')}.`);
  } else {
    console.log(`Wrote ${o.out} (ONNX opset ${ONNX_OPSET}, ${sizeText(bytes.length)}).`);
    console.log(`Input '${ONNX_INPUT}': ${input}. Output '${ONNX_OUTPUT}': ${manifest.model.outputActivation === 'sigmoid' ? `[N, 1], the probability of '${manifest.classNames[1]}'` : `[N, ${manifest.classNames.length}], one probability per class`} (${manifest.classNames.join(', ')}).`);
  }
}

async function main(): Promise<number> {
  const cmd = new Command('convert')
    .description('Convert models: import a Keras 2 .h5 model, export a model folder to Keras .h5 or ONNX, or store it in float16.')
    .addOption(new Option('--from <format>', 'import a model of this format (FILE argument)').choices(['keras']))
    .addOption(new Option('--to <format>', 'export the --model folder to this format (half: a model folder with float16 weights)').choices(['keras', 'onnx', 'half']))
    .option('--model <dir>', 'model folder to export (model.json + model.safetensors)')
    .option('--out <path>', 'with --from: the model folder to write; with --to: the file to write')
    .option('--rescale <r>', 'with --from: pixel rescale, e.g. 1/255 (default 1/255; 1 when the model starts with a Rescaling layer)', fraction)
    .option('--classes <names>', 'with --from: class names in output order, comma-separated (e.g. cats,dogs)', classList)
    .addOption(new Option('--resize <method>', 'with --from: resize interpolation for predict/evaluate').choices(['nearest', 'bilinear']))
    .option('--force', 'replace existing output files', false)
    .argument('[file]', 'with --from: the file to import (e.g. model.h5)')
    .parse(process.argv);
  const o = cmd.opts<Opts>();
  const files = cmd.args;
  if (!!o.from === !!o.to) throw new UserError('give either --from keras FILE --out DIR, or --to keras|onnx|half --model DIR --out FILE|DIR');
  if (o.from) {
    if (files.length !== 1) throw new UserError(`--from keras takes one .h5 file (got ${files.length})`);
    if (o.model) throw new UserError('--model is for --to; with --from give the .h5 file as the argument');
    await fromKeras(files[0]!, o);
  } else {
    if (files.length > 0) throw new UserError(`--to takes no file argument (got ${files.join(' ')}); the model folder is --model`);
    for (const [k, v] of [['--rescale', o.rescale], ['--classes', o.classes], ['--resize', o.resize]] as const) {
      if (v !== undefined) throw new UserError(`${k} is for --from (the model folder says how to preprocess)`);
    }
    if (o.to === 'half') await toHalfFolder(o);
    else await toFormat(o.to as 'keras' | 'onnx', o);
  }
  return 0;
}

runMain(main);
