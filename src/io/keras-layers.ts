/**
 * Keras 2 Sequential layer configs (the `model_config` JSON of an .h5 file) → this engine's
 * layer configs, with where each engine parameter's values come from. Platform-neutral, no
 * HDF5 here: src/io/keras-h5.ts reads the file and fills in the weights.
 *
 * Supported: InputLayer, Conv2D (any kernel, stride, 'valid'/'same', groups, channels_last,
 * no dilation), MaxPooling2D, Dense, Dropout, Flatten, BatchNormalization (last axis),
 * Activation, and leading Rescaling layers (folded into the preprocessing rescale). Activations:
 * relu and linear fuse into Conv2D/Dense; sigmoid becomes a separate Sigmoid layer; the last
 * layer's sigmoid or softmax becomes the model's output activation (the engine's models return
 * logits). Anything else is an error naming the layer and the option. Options that only matter
 * for training and that the engine lacks (constraints, activity or bias regularizers, L1) are
 * dropped with a warning.
 */
import type { LayerConfig } from '../nn/layers/layer.js';
import { layerFromConfig } from '../nn/from-config.js';
import type { OutputActivation } from '../nn/sequential.js';

export class KerasImportError extends Error {}

export interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** Where an engine parameter's values come from in the file: a Keras layer's weight, or a constant. */
export interface WeightSource {
  /** The Keras layer (its group in model_weights). */
  layer: string;
  /** The weight's role: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  role: string;
  /** The value when the Keras layer has no such weight (BatchNormalization center/scale off). */
  fill?: number;
}

export interface TranslatedModel {
  inputShape: [number, number, number];
  outputActivation: OutputActivation;
  /** Units of the output layer. */
  units: number;
  layers: LayerConfig[];
  /** Engine parameter name (e.g. "conv2d.kernel") → its source, in the engine's order. */
  weights: Map<string, WeightSource>;
  /** Product of the leading Rescaling layers' scales (1 without any). */
  rescale: number;
  warnings: string[];
}

const fail = (layer: KerasLayer, msg: string): never => {
  throw new KerasImportError(`layer '${String(layer.config.name)}' (${layer.class_name}): ${msg}`);
};

/** A Keras int-or-pair option (kernel_size, strides, pool_size): lists, or h5's __tuple__ form. */
function pair(layer: KerasLayer, key: string, fallback?: [number, number]): [number, number] {
  let v = layer.config[key] as unknown;
  if (v && typeof v === 'object' && !Array.isArray(v) && 'items' in v) v = (v as { items: unknown }).items;
  if (v === null || v === undefined) {
    if (fallback) return fallback;
    return fail(layer, `missing ${key}`);
  }
  const [a, b] = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : [NaN, NaN];
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) fail(layer, `${key} ${JSON.stringify(v)} is not one or two positive integers`);
  return [a as number, b as number];
}

const compact = (p: [number, number]): number | [number, number] => (p[0] === p[1] ? p[0] : p);

function activationName(layer: KerasLayer): string {
  const a = layer.config.activation as unknown;
  if (a === null || a === undefined) return 'linear';
  if (typeof a === 'string') return a;
  // Keras 3 may serialize it as {class_name: 'function', config: 'relu'}.
  if (typeof a === 'object' && typeof (a as { config?: unknown }).config === 'string') return (a as { config: string }).config;
  return fail(layer, `activation ${JSON.stringify(a)} is not supported`);
}

function channelsLast(layer: KerasLayer): void {
  const f = layer.config.data_format;
  if (f !== undefined && f !== null && f !== 'channels_last') fail(layer, `data_format '${String(f)}' is not supported (only channels_last)`);
}

/** kernel_regularizer → the engine's l2, and warnings for the training-only options it drops. */
function trainingOptions(layer: KerasLayer, warnings: string[]): number | undefined {
  const name = `layer '${String(layer.config.name)}' (${layer.class_name})`;
  for (const k of ['bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint']) {
    if (layer.config[k]) warnings.push(`${name}: ${k} ignored (training only; the engine has none)`);
  }
  const r = layer.config.kernel_regularizer as { class_name?: string; config?: { l1?: number; l2?: number } } | null | undefined;
  if (!r) return undefined;
  const cls = String(r.class_name ?? '').toLowerCase();
  if (!['l2', 'l1l2', 'l1'].includes(cls)) {
    warnings.push(`${name}: kernel_regularizer ${r.class_name} ignored (the engine has L2 only)`);
    return undefined;
  }
  if (r.config?.l1) warnings.push(`${name}: kernel_regularizer's l1 ${r.config.l1} ignored (the engine has L2 only)`);
  const l2 = Number(r.config?.l2 ?? 0);
  return l2 > 0 ? l2 : undefined;
}

/** The input shape [H, W, C] from the InputLayer or the first layer (Keras 2: batch_input_shape; 3: batch_shape). */
function inputShapeOf(layers: KerasLayer[]): [number, number, number] {
  for (const l of layers.slice(0, 2)) {
    const s = (l.config.batch_input_shape ?? l.config.batch_shape) as unknown;
    if (!Array.isArray(s)) continue;
    const dims = s.slice(1);
    if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
      throw new KerasImportError(`input shape [${s.map(String).join(', ')}] is not supported: the engine takes images [height, width, channels] of a fixed size`);
    }
    const [h, w, c] = dims as [number, number, number];
    if (h !== w) throw new KerasImportError(`input ${h}×${w} is not square: the engine's preprocessing resizes images to squares`);
    if (c !== 1 && c !== 3) throw new KerasImportError(`input with ${c} channels is not supported (1 = greyscale or 3 = RGB)`);
    return [h, w, c];
  }
  throw new KerasImportError('the model has no input shape (no InputLayer with batch_input_shape): build the model with an input_shape before saving');
}

/** Translates a Sequential's layer list. `layers` is model_config.config.layers. */
export function translateSequential(layers: KerasLayer[]): TranslatedModel {
  const warnings: string[] = [];
  const inputShape = inputShapeOf(layers);
  const out: LayerConfig[] = [];
  const weights = new Map<string, WeightSource>();
  let shape: number[] = inputShape;
  let rescale = 1;
  let computed = false; // a layer that computes something has been seen (Rescaling must come first)
  const body = layers.filter((l) => l.class_name !== 'InputLayer');
  if (body.length === 0) throw new KerasImportError('the model has no layers');

  // The output activation: the last layer's sigmoid/softmax (an Activation layer, or the option).
  const last = body[body.length - 1]!;
  const lastAct = activationName(last.class_name === 'Activation' || 'activation' in last.config ? last : { ...last, config: {} });
  if (lastAct !== 'sigmoid' && lastAct !== 'softmax') {
    fail(last, `the model must end in a sigmoid or softmax (this last layer's activation is '${lastAct}')`);
  }
  const outputActivation = lastAct as OutputActivation;

  const push = (c: LayerConfig) => {
    if (out.some((o) => o.name === c.name)) throw new KerasImportError(`two layers are named '${c.name}'`);
    try {
      shape = layerFromConfig(c).outputShape(shape);
    } catch (e) {
      throw new KerasImportError(`layer '${c.name}': ${(e as Error).message.replace(/^[^:]*: /, '')}`);
    }
    out.push(c);
  };
  /** relu/linear fuse; sigmoid is a layer of its own; the output's sigmoid/softmax is dropped. */
  const fusedActivation = (l: KerasLayer, isLast: boolean): { fused: 'relu' | 'linear'; after: LayerConfig | null } => {
    const a = activationName(l);
    if (isLast && (a === 'sigmoid' || a === 'softmax')) return { fused: 'linear', after: null };
    if (a === 'relu' || a === 'linear') return { fused: a, after: null };
    if (a === 'sigmoid') return { fused: 'linear', after: { type: 'Sigmoid', name: `${String(l.config.name)}_sigmoid` } };
    if (a === 'softmax') return fail(l, "activation 'softmax' is only supported as the model's output (the last layer)");
    return fail(l, `activation '${a}' is not supported (the engine has relu, sigmoid and linear; sigmoid/softmax at the output)`);
  };

  body.forEach((l, i) => {
    const name = String(l.config.name ?? `${l.class_name.toLowerCase()}_${i}`);
    const isLast = i === body.length - 1;
    switch (l.class_name) {
      case 'Rescaling': {
        if (computed) fail(l, 'a Rescaling layer is only supported at the start of the model (it is folded into the preprocessing)');
        const offset = Number(l.config.offset ?? 0);
        if (offset !== 0) fail(l, `offset ${offset} is not supported (only a scale, folded into the preprocessing rescale)`);
        const scale = Number(l.config.scale);
        if (!Number.isFinite(scale) || scale <= 0) fail(l, `scale ${String(l.config.scale)} is not a positive number`);
        rescale *= scale;
        return;
      }
      case 'Conv2D': {
        channelsLast(l);
        const dil = pair(l, 'dilation_rate', [1, 1]);
        if (dil[0] !== 1 || dil[1] !== 1) fail(l, `dilation_rate ${JSON.stringify(l.config.dilation_rate)} is not supported (only 1)`);
        const padding = l.config.padding ?? 'valid';
        if (padding !== 'valid' && padding !== 'same') fail(l, `padding '${String(padding)}' is not supported (valid or same)`);
        const groups = Number(l.config.groups ?? 1);
        const useBias = l.config.use_bias !== false;
        const l2 = trainingOptions(l, warnings);
        const { fused, after } = fusedActivation(l, isLast);
        push({
          type: 'Conv2D',
          name,
          filters: Number(l.config.filters),
          kernelSize: compact(pair(l, 'kernel_size')),
          strides: compact(pair(l, 'strides', [1, 1])),
          padding,
          activation: fused,
          ...(groups !== 1 ? { groups } : {}),
          ...(useBias ? {} : { useBias: false }),
          ...(l2 !== undefined ? { l2 } : {}),
        });
        weights.set(`${name}.kernel`, { layer: name, role: 'kernel' });
        if (useBias) weights.set(`${name}.bias`, { layer: name, role: 'bias' });
        if (after) push(after);
        break;
      }
      case 'Dense': {
        const useBias = l.config.use_bias !== false;
        const l2 = trainingOptions(l, warnings);
        const { fused, after } = fusedActivation(l, isLast);
        push({ type: 'Dense', name, units: Number(l.config.units), activation: fused, ...(useBias ? {} : { useBias: false }), ...(l2 !== undefined ? { l2 } : {}) });
        weights.set(`${name}.kernel`, { layer: name, role: 'kernel' });
        if (useBias) weights.set(`${name}.bias`, { layer: name, role: 'bias' });
        if (after) push(after);
        break;
      }
      case 'MaxPooling2D': {
        channelsLast(l);
        const size = pair(l, 'pool_size', [2, 2]);
        const padding = l.config.padding ?? 'valid';
        if (padding !== 'valid' && padding !== 'same') fail(l, `padding '${String(padding)}' is not supported (valid or same)`);
        push({ type: 'MaxPool', name, size: compact(size), stride: compact(pair(l, 'strides', size)), padding });
        break;
      }
      case 'BatchNormalization': {
        const axis = l.config.axis ?? -1;
        const ax = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
        if (ax !== -1 && ax !== shape.length) fail(l, `axis ${JSON.stringify(axis)} is not supported (only the last axis, channels)`);
        if (l.config.renorm) fail(l, 'renorm is not supported');
        if (l.config.virtual_batch_size) fail(l, 'virtual_batch_size is not supported');
        trainingOptions(l, warnings);
        push({ type: 'BatchNorm', name, momentum: Number(l.config.momentum ?? 0.99), epsilon: Number(l.config.epsilon ?? 1e-3) });
        weights.set(`${name}.gamma`, { layer: name, role: 'gamma', ...(l.config.scale === false ? { fill: 1 } : {}) });
        weights.set(`${name}.beta`, { layer: name, role: 'beta', ...(l.config.center === false ? { fill: 0 } : {}) });
        weights.set(`${name}.moving_mean`, { layer: name, role: 'moving_mean' });
        weights.set(`${name}.moving_variance`, { layer: name, role: 'moving_variance' });
        break;
      }
      case 'Dropout': {
        if (l.config.noise_shape) warnings.push(`layer '${name}' (Dropout): noise_shape ignored (the engine drops single values)`);
        push({ type: 'Dropout', name, rate: Number(l.config.rate) });
        break;
      }
      case 'Flatten':
        channelsLast(l);
        push({ type: 'Flatten', name });
        break;
      case 'Activation': {
        const { fused, after } = fusedActivation(l, isLast);
        if (fused === 'relu') push({ type: 'ReLU', name });
        else if (after) push({ ...after, name });
        break;
      }
      default:
        fail(l, `not supported (supported: InputLayer, Rescaling, Conv2D, MaxPooling2D, BatchNormalization, Activation, Dropout, Flatten, Dense)`);
    }
    computed = true;
  });

  if (shape.length !== 1) fail(last, `the model's output has shape [${shape.join(', ')}]; it must end in a Dense layer (one value per class)`);
  const units = shape[0]!;
  if (outputActivation === 'sigmoid' && units !== 1) {
    fail(last, `a sigmoid output of ${units} units (multi-label) is not supported: the engine's sigmoid output is one unit (two classes)`);
  }
  if (outputActivation === 'softmax' && units < 2) fail(last, 'a softmax over one unit is constant; use sigmoid for two classes');
  return { inputShape, outputActivation, units, layers: out, weights, rescale, warnings };
}
