/**
 * Importing a Keras 2 model saved as HDF5 (`model.save('model.h5')`): bytes in, this engine's
 * model description (model.json) and weights (safetensors tensors) out. Platform-neutral — no
 * file system: the convert CLI and the web page both call it with the file's bytes.
 *
 * The file, as Keras 2 writes it (keras/saving/legacy/hdf5_format.py):
 *   /                  attrs model_config (JSON {class_name, config}), keras_version, backend
 *   /model_weights     attrs layer_names [per layer, in model order], keras_version, backend
 *   /model_weights/<layer>                 attr weight_names, e.g. ["conv2d/kernel:0", "conv2d/bias:0"]
 *   /model_weights/<layer>/<weight name>   float32 datasets (the name's '/' nests a group)
 * Keras's layouts are the engine's (conv kernels [KH, KW, Cin/groups, Cout], dense [in, out],
 * NHWC flatten order), so values are copied as they are.
 */
import { FORMAT, type ImportedModelOptions, type ModelManifest, type Preprocessing } from '../nn/manifest.js';
import { parameterShapes, sequentialFromConfig } from '../nn/from-config.js';
import { encodeSafetensors, type SafetensorsInputTensor } from './safetensors.js';
import { readHdf5, stringAttr, stringListAttr, type H5Dataset, type H5File, type H5Group } from './hdf5.js';
import { KerasImportError, translateSequential, type KerasLayer } from './keras-layers.js';

export { KerasImportError } from './keras-layers.js';

export interface KerasImportOptions {
  /** Class names in output order (default class_0, class_1, …). */
  classNames?: string[];
  /** Pixel rescale (default 1/255, or 1 when the model starts with Rescaling layers, whose scale multiplies it). */
  rescale?: number;
  resize?: Preprocessing['resize'];
  /** The file's name, for messages and the manifest. */
  source?: string;
}

export interface ImportedModel {
  manifest: ModelManifest;
  /** Engine parameter name → F32 tensor, in the engine's parameter order. */
  tensors: Record<string, SafetensorsInputTensor>;
  warnings: string[];
  kerasVersion?: string;
  backend?: string;
}

interface RawWeights {
  get(layer: string, role: string): { shape: number[]; data: Float32Array } | undefined;
}

/** A weight's role from its name: "conv2d/kernel:0" → kernel (Keras 3 writes "…/kernel"). */
const roleOf = (weightName: string) => weightName.split('/').pop()!.replace(/:\d+$/, '');

function readModelConfig(f: H5File, what: string): { className: string; layers: KerasLayer[]; name: string } {
  const text = stringAttr(f, 'model_config');
  if (text === undefined) {
    if (f.attrs.layer_names) {
      throw new KerasImportError(`${what} holds weights only (model.save_weights): save the whole model with model.save('model.h5')`);
    }
    throw new KerasImportError(`${what} is not a Keras model file (no model_config attribute)`);
  }
  let cfg: { class_name?: string; config?: unknown };
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new KerasImportError(`${what}: model_config is not valid JSON (${(e as Error).message})`);
  }
  const className = String(cfg.class_name);
  if (className !== 'Sequential') {
    throw new KerasImportError(`${what} holds a ${className} model: only Sequential models can be imported (a chain of layers)`);
  }
  // Keras ≤ 2.2 stored the layer list itself; later versions {name, layers}.
  const c = cfg.config as { name?: string; layers?: KerasLayer[] } | KerasLayer[];
  const layers = Array.isArray(c) ? c : c?.layers;
  if (!Array.isArray(layers)) throw new KerasImportError(`${what}: model_config has no layer list`);
  for (const l of layers) {
    if (!l || typeof l.class_name !== 'string' || !l.config || typeof l.config !== 'object') {
      throw new KerasImportError(`${what}: model_config has a layer that is not {class_name, config}`);
    }
  }
  return { className, layers, name: (!Array.isArray(c) && c?.name) || 'sequential' };
}

function readWeights(f: H5File, what: string): RawWeights {
  const root = f.get('model_weights');
  if (!root || !(root instanceof Object) || !('keys' in root)) throw new KerasImportError(`${what} has no model_weights group`);
  const group = root as H5Group;
  return {
    get(layer, role) {
      const g = group.get(layer) as H5Group | null;
      if (!g || !('keys' in g)) return undefined;
      const names = stringListAttr(g, 'weight_names');
      const name = names.find((n) => roleOf(n) === role);
      if (!name) return undefined;
      const ds = g.get(name) as H5Dataset | null;
      if (!ds || !('shape' in ds)) throw new KerasImportError(`${what}: weight ${layer}/${name} is listed but missing`);
      const v = ds.value;
      const shape = ds.shape ?? [];
      if (v instanceof Float32Array) return { shape, data: v };
      if (v instanceof Float64Array) return { shape, data: Float32Array.from(v) };
      throw new KerasImportError(`${what}: weight ${layer}/${name} has dtype ${JSON.stringify(ds.dtype)} (expected float32)`);
    },
  };
}

function pick(model: { tensors: Record<string, SafetensorsInputTensor> }, name: string, shape: number[], src: { layer: string; role: string; fill?: number }, raw: RawWeights, what: string): void {
  const found = raw.get(src.layer, src.role);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!found) {
    if (src.fill === undefined) throw new KerasImportError(`${what}: layer '${src.layer}' has no '${src.role}' weight in model_weights`);
    model.tensors[name] = { dtype: 'F32', shape, data: new Float32Array(n).fill(src.fill) };
    return;
  }
  if (found.shape.length !== shape.length || found.shape.some((d, i) => d !== shape[i])) {
    throw new KerasImportError(`${what}: weight ${src.layer}/${src.role} has shape [${found.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
  }
  model.tensors[name] = { dtype: 'F32', shape, data: found.data };
}

/** Reads a Keras 2 .h5 model (its bytes) into a model description and weights for this engine. */
export async function importKerasH5(bytes: Uint8Array, opts: KerasImportOptions = {}): Promise<ImportedModel> {
  const what = opts.source ?? 'the file';
  return readHdf5(bytes, what, (f) => {
    const cfg = readModelConfig(f, what);
    const t = translateSequential(cfg.layers);
    const [size, , channels] = t.inputShape;
    const classes = t.outputActivation === 'sigmoid' ? 2 : t.units;
    const classNames = opts.classNames ?? Array.from({ length: classes }, (_, i) => `class_${i}`);
    if (classNames.length !== classes) {
      throw new KerasImportError(`${classNames.length} class names given (${classNames.join(', ')}) but the model has ${classes} classes`);
    }
    if (new Set(classNames).size !== classNames.length) throw new KerasImportError(`class names must differ (${classNames.join(', ')})`);
    const modelOptions: ImportedModelOptions = { variant: 'imported', from: 'keras', imageSize: size, classes };
    const seq = sequentialFromConfig({ name: cfg.name, inputShape: t.inputShape, outputActivation: t.outputActivation, layers: t.layers, variant: { ...modelOptions } });
    const raw = readWeights(f, what);
    const out: ImportedModel = { manifest: null as unknown as ModelManifest, tensors: {}, warnings: t.warnings };
    for (const [name, shape] of parameterShapes(seq)) {
      const src = t.weights.get(name);
      if (!src) throw new Error(`internal: no source for parameter ${name}`);
      pick(out, name, shape, src, raw, what);
    }
    const userRescale = opts.rescale ?? (t.rescale !== 1 ? 1 : 1 / 255);
    const preprocessing: Preprocessing = {
      imageSize: size,
      rescale: userRescale * t.rescale,
      resize: opts.resize ?? 'nearest',
      ...(channels === 1 ? { channels: 1 as const } : {}),
    };
    out.kerasVersion = stringAttr(f, 'keras_version');
    out.backend = stringAttr(f, 'backend');
    out.manifest = {
      format: FORMAT,
      model: seq.config(),
      modelOptions,
      classNames,
      preprocessing,
      training: { importedFrom: { format: 'keras-h5', file: opts.source ?? null, kerasVersion: out.kerasVersion ?? null, backend: out.backend ?? null } },
      step: 0,
      savedAt: new Date().toISOString(),
    };
    return out;
  });
}

/** The model.safetensors bytes of an imported model (what saveModel writes for step 0). */
export function importedWeightsBytes(m: ImportedModel): Uint8Array {
  return encodeSafetensors(m.tensors, { format: FORMAT, step: String(m.manifest.step) });
}
