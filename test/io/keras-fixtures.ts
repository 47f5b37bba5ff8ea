/**
 * Keras 2 .h5 files made in the tests, with h5wasm directly (not src/io/hdf5.ts), laid out as
 * Keras 2.x's `model.save('m.h5')` writes them through h5py (keras/saving/legacy/hdf5_format.py
 * save_model_to_hdf5 + save_weights_to_hdf5_group):
 *   - root attrs: model_config = json.dumps({class_name, config}).encode('utf8') → fixed-length
 *     bytes of exactly the JSON's length; keras_version and backend are Python str → variable-
 *     length UTF-8 strings;
 *   - model_weights attrs: layer_names (np.asarray of bytes → fixed-length, the longest name's
 *     length), backend and keras_version as bytes;
 *   - one group per layer, created in sorted name order, with weight_names (bytes, or
 *     `attrs[...] = []` → an empty float64 array for layers without weights) and datasets at
 *     "<layer>/<layer>/kernel:0" (the '/' in the weight name makes h5py nest a group);
 *   - top_level_model_weights with no weights (Keras ≥ 2.13).
 * Layer configs are written out in full as Keras 2's get_config() gives them.
 */
import h5wasm, { type Dataset as H5Dataset, type Group as H5Group } from 'h5wasm';
import { rng } from '../helpers.js';

export interface KerasWeight {
  /** Keras variable name, e.g. "conv2d/kernel:0". */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface FixtureLayer {
  class_name: string;
  config: Record<string, unknown>;
  weights?: KerasWeight[];
}

const glorot = { class_name: 'GlorotUniform', config: { seed: null } };
const zeros = { class_name: 'Zeros', config: {} };
const ones = { class_name: 'Ones', config: {} };

export function inputLayer(name: string, shape: number[]): FixtureLayer {
  return { class_name: 'InputLayer', config: { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name } };
}

export function conv2d(name: string, o: { filters: number; kernel: [number, number]; strides?: [number, number]; padding?: string; activation?: string; groups?: number; useBias?: boolean; l2?: number; inputShape?: number[] }): FixtureLayer {
  return {
    class_name: 'Conv2D',
    config: {
      name,
      trainable: true,
      ...(o.inputShape ? { batch_input_shape: [null, ...o.inputShape] } : {}),
      dtype: 'float32',
      filters: o.filters,
      kernel_size: o.kernel,
      strides: o.strides ?? [1, 1],
      padding: o.padding ?? 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: o.groups ?? 1,
      activation: o.activation ?? 'linear',
      use_bias: o.useBias ?? true,
      kernel_initializer: glorot,
      bias_initializer: zeros,
      kernel_regularizer: o.l2 ? { class_name: 'L2', config: { l2: o.l2 } } : null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
  };
}

export function maxPool(name: string, pool: [number, number], strides: [number, number], padding = 'valid'): FixtureLayer {
  return { class_name: 'MaxPooling2D', config: { name, trainable: true, dtype: 'float32', pool_size: pool, padding, strides, data_format: 'channels_last' } };
}

export function batchNorm(name: string, axis: number, o: { center?: boolean; scale?: boolean; epsilon?: number } = {}): FixtureLayer {
  return {
    class_name: 'BatchNormalization',
    config: {
      name, trainable: true, dtype: 'float32', axis: [axis], momentum: 0.99, epsilon: o.epsilon ?? 0.001,
      center: o.center ?? true, scale: o.scale ?? true,
      beta_initializer: zeros, gamma_initializer: ones, moving_mean_initializer: zeros, moving_variance_initializer: ones,
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    },
  };
}

export function dense(name: string, units: number, activation = 'linear', o: { l2?: number } = {}): FixtureLayer {
  return {
    class_name: 'Dense',
    config: {
      name, trainable: true, dtype: 'float32', units, activation, use_bias: true,
      kernel_initializer: glorot, bias_initializer: zeros,
      kernel_regularizer: o.l2 ? { class_name: 'L2', config: { l2: o.l2 } } : null,
      bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
  };
}

export const flatten = (name: string): FixtureLayer => ({ class_name: 'Flatten', config: { name, trainable: true, dtype: 'float32', data_format: 'channels_last' } });
export const dropout = (name: string, rate: number): FixtureLayer => ({ class_name: 'Dropout', config: { name, trainable: true, dtype: 'float32', rate, noise_shape: null, seed: null } });
export const activation = (name: string, a: string): FixtureLayer => ({ class_name: 'Activation', config: { name, trainable: true, dtype: 'float32', activation: a } });
export const rescaling = (name: string, scale: number, inputShape: number[]): FixtureLayer => ({
  class_name: 'Rescaling',
  config: { name, trainable: true, batch_input_shape: [null, ...inputShape], dtype: 'float32', scale, offset: 0.0 },
});

/**
 * Gives every layer with parameters random weights in Keras's layouts and order (kernel,
 * bias; gamma, beta, moving_mean, moving_variance), scaled so activations stay O(1) and the
 * outputs spread away from 0.5. Walks the shapes itself (valid/same as TensorFlow).
 */
export function withRandomWeights(layers: FixtureLayer[], seed: number): FixtureLayer[] {
  const r = rng(seed);
  const u = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
  let shape: number[] = [];
  return layers.map((l) => {
    const c = l.config;
    const name = String(c.name);
    const w = (role: string, s: number[], data: Float32Array): KerasWeight => ({ name: `${name}/${role}:0`, shape: s, data });
    if (l.class_name === 'InputLayer' || c.batch_input_shape) shape = (c.batch_input_shape as number[]).slice(1);
    if (l.class_name === 'InputLayer') return l;
    let weights: KerasWeight[] = [];
    if (l.class_name === 'Conv2D') {
      const [kh, kw] = c.kernel_size as [number, number];
      const [sh, sw] = c.strides as [number, number];
      const cin = shape[2]! / Number(c.groups);
      const f = Number(c.filters);
      const lim = 1.7 * Math.sqrt(6 / (kh * kw * (cin + f)));
      weights = [w('kernel', [kh, kw, cin, f], u(kh * kw * cin * f, -lim, lim))];
      if (c.use_bias) weights.push(w('bias', [f], u(f, -0.2, 0.2)));
      shape = c.padding === 'same' ? [Math.ceil(shape[0]! / sh), Math.ceil(shape[1]! / sw), f] : [Math.floor((shape[0]! - kh) / sh) + 1, Math.floor((shape[1]! - kw) / sw) + 1, f];
    } else if (l.class_name === 'MaxPooling2D') {
      const [ph, pw] = c.pool_size as [number, number];
      const [sh, sw] = c.strides as [number, number];
      shape = c.padding === 'same' ? [Math.ceil(shape[0]! / sh), Math.ceil(shape[1]! / sw), shape[2]!] : [Math.floor((shape[0]! - ph) / sh) + 1, Math.floor((shape[1]! - pw) / sw) + 1, shape[2]!];
    } else if (l.class_name === 'BatchNormalization') {
      const ch = shape[shape.length - 1]!;
      if (c.scale) weights.push(w('gamma', [ch], u(ch, 0.5, 1.5)));
      if (c.center) weights.push(w('beta', [ch], u(ch, -0.3, 0.3)));
      weights.push(w('moving_mean', [ch], u(ch, -0.3, 0.3)), w('moving_variance', [ch], u(ch, 0.5, 1.5)));
    } else if (l.class_name === 'Flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else if (l.class_name === 'Dense') {
      const n = shape[0]!;
      const units = Number(c.units);
      const lim = 1.7 * Math.sqrt(6 / (n + units));
      weights = [w('kernel', [n, units], u(n * units, -lim, lim)), w('bias', [units], u(units, -0.2, 0.2))];
      shape = [units];
    }
    return { ...l, weights };
  });
}

/** The tutorial AlexNet of src/nn/models.ts as Keras 2 would save it (filters scaled by f). */
export function kerasTutorial(size: number, f: (n: number) => number, bnEverywhere = false): FixtureLayer[] {
  const conv = (name: string, filters: number, k: number, s: number, padding: string, first = false) =>
    conv2d(name, { filters: f(filters), kernel: [k, k], strides: [s, s], padding, activation: 'relu', ...(first ? { inputShape: [size, size, 3] } : {}) });
  const bn = (n: string) => batchNorm(n, 3);
  const pool = (n: string) => maxPool(n, [3, 3], [2, 2]);
  return [
    inputLayer('conv2d_input', [size, size, 3]),
    conv('conv2d', 48, 11, 4, 'valid', true), bn('batch_normalization'), pool('max_pooling2d'),
    conv('conv2d_1', 128, 5, 1, 'same'), bn('batch_normalization_1'), pool('max_pooling2d_1'),
    conv('conv2d_2', 192, 3, 1, 'same'), ...(bnEverywhere ? [bn('batch_normalization_2')] : []),
    conv('conv2d_3', 192, 3, 1, 'same'), ...(bnEverywhere ? [bn('batch_normalization_3')] : []),
    conv('conv2d_4', 128, 3, 1, 'same'), ...(bnEverywhere ? [bn('batch_normalization_4')] : []),
    pool('max_pooling2d_2'),
    flatten('flatten'),
    dense('dense', f(1024), 'relu'), dropout('dropout', 0.25),
    dense('dense_1', f(1024), 'relu'), dropout('dropout_1', 0.25),
    dense('dense_2', 1, 'sigmoid'),
  ];
}

/** Writes the layers (with their weights) as a Keras 2 model file and returns its bytes. */
export async function writeKeras2H5(layers: FixtureLayer[], o: { className?: string; kerasVersion?: string; weightsOnly?: boolean } = {}): Promise<Uint8Array> {
  const mod = await h5wasm.ready;
  const path = `/fixture-${Math.random().toString(36).slice(2)}.h5`;
  const f = new h5wasm.File(path, 'w');
  const version = o.kerasVersion ?? '2.12.0';
  const body = layers.filter((l) => l.class_name !== 'InputLayer');
  const fixed = (g: H5Group, name: string, v: string | string[]) => {
    const list = Array.isArray(v) ? v : [v];
    const len = Math.max(1, ...list.map((s) => s.length));
    if (Array.isArray(v)) g.create_attribute(name, v, [v.length], `A${len}`);
    else g.create_attribute(name, v, null, `A${len}`);
  };
  const cleanLayers = layers.map(({ class_name, config }) => ({ class_name, config }));
  const weightsGroup = o.weightsOnly ? f : f.create_group('model_weights');
  if (!o.weightsOnly) {
    fixed(f, 'model_config', JSON.stringify({ class_name: o.className ?? 'Sequential', config: { name: 'sequential', layers: cleanLayers } }));
    f.create_attribute('keras_version', version);
    f.create_attribute('backend', 'tensorflow');
  }
  fixed(weightsGroup, 'layer_names', body.map((l) => String(l.config.name)));
  fixed(weightsGroup, 'backend', 'tensorflow');
  fixed(weightsGroup, 'keras_version', version);
  for (const l of [...body].sort((a, b) => (String(a.config.name) < String(b.config.name) ? -1 : 1))) {
    const g = weightsGroup.create_group(String(l.config.name));
    const ws = l.weights ?? [];
    if (ws.length === 0) g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
    else fixed(g, 'weight_names', ws.map((w) => w.name));
    for (const w of ws) {
      const [dir, leaf] = w.name.split('/') as [string, string];
      const inner = (g.get(dir) as H5Group | null) ?? g.create_group(dir);
      inner.create_dataset({ name: leaf, data: w.data, shape: w.shape });
    }
  }
  const top = weightsGroup.create_group('top_level_model_weights');
  top.create_attribute('weight_names', new Float64Array(0), [0], '<d');
  f.close();
  const bytes = mod.FS!.readFile(path);
  mod.FS!.unlink(path);
  return bytes;
}
