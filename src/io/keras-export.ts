/**
 * Writing a model of this engine as a Keras 2 HDF5 file, laid out as Keras 2's
 * `model.save('model.h5')` lays it out (keras/saving/legacy/hdf5_format.py), so that
 * `tf.keras.models.load_model` reads it:
 *
 *   /  attrs  model_config   JSON {"class_name": "Sequential", "config": {"name", "layers"}}
 *                            (fixed-length bytes, as Keras's json.dumps(...).encode('utf8'))
 *             keras_version  "2.15.0", backend "tensorflow" (variable-length str)
 *   /model_weights  attrs layer_names (fixed-length bytes, model order), backend, keras_version
 *   /model_weights/<layer>  attr weight_names (["conv2d/kernel:0", "conv2d/bias:0"]; an
 *                            empty float64 array for layers without weights); groups created
 *                            in sorted name order, as Keras does
 *   /model_weights/<layer>/<layer>/kernel:0   float32 datasets, Keras layouts (HWIO, [in, out])
 *   /model_weights/top_level_model_weights    weight_names [] (Keras ≥ 2.13 writes it)
 *
 * Layer names are Keras's automatic ones (conv2d, conv2d_1, …), configs carry every key
 * Keras 2's get_config() writes. The output activation (sigmoid/softmax, applied by the
 * engine outside the model) goes back onto the last Dense layer, or into an Activation layer.
 * The preprocessing rescale is not part of a Keras model: the caller reports it.
 * Platform-neutral (bytes out).
 */
import type { LayerConfig } from '../nn/layers/layer.js';
import type { ModelManifest } from '../nn/manifest.js';
import { modelFromManifest, parameterShapes } from '../nn/from-config.js';
import { writeBytesAttr, writeEmptyListAttr, writeHdf5, type H5Group } from './hdf5.js';

export class KerasExportError extends Error {}

/** The Keras version whose file layout this writes. */
export const KERAS_VERSION = '2.15.0';

export interface ExportTensor {
  shape: readonly number[];
  data: Float32Array;
}

interface KerasOut {
  className: string;
  config: Record<string, unknown>;
  /** [role, engine parameter name] in Keras's weight order (trainable, then non-trainable). */
  weights: [string, string][];
}

const KERAS_BASE: Record<string, string> = {
  Conv2D: 'conv2d',
  MaxPooling2D: 'max_pooling2d',
  BatchNormalization: 'batch_normalization',
  Flatten: 'flatten',
  Dense: 'dense',
  Dropout: 'dropout',
  Activation: 'activation',
};

const init = (className: string, config: Record<string, unknown> = {}) => ({ class_name: className, config });
const pair = (v: unknown) => (typeof v === 'number' ? [v, v] : (v as number[]));
const l2Of = (c: LayerConfig) => (typeof c.l2 === 'number' && c.l2 > 0 ? init('L2', { l2: c.l2 }) : null);

/** The initialiser, regulariser and constraint fields Keras 2 writes for Conv2D and Dense. */
const kernelLayerDefaults = (c: LayerConfig) => ({
  kernel_initializer: init('GlorotUniform', { seed: null }),
  bias_initializer: init('Zeros'),
  kernel_regularizer: l2Of(c),
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
});

function kerasLayers(cfg: LayerConfig[], shapes: number[][], inputShape: number[], outputActivation: string): KerasOut[] {
  const out: KerasOut[] = [];
  cfg.forEach((c, i) => {
    const inRank = (i === 0 ? inputShape : shapes[i - 1]!).length;
    const isLast = i === cfg.length - 1;
    const unsupported = (why: string): never => {
      throw new KerasExportError(`layer '${c.name}' (${c.type}): ${why}`);
    };
    const p = (n: string) => `${c.name}.${n}`;
    const kernelWeights = (useBias: boolean): [string, string][] => [['kernel', p('kernel')], ...(useBias ? [['bias', p('bias')] as [string, string]] : [])];
    switch (c.type) {
      case 'Conv2D': {
        const padding = c.padding ?? 'valid';
        if (padding !== 'valid' && padding !== 'same') unsupported(`padding ${JSON.stringify(padding)} has no Keras equivalent (valid or same)`);
        const useBias = c.useBias !== false;
        out.push({
          className: 'Conv2D',
          config: {
            filters: c.filters,
            kernel_size: pair(c.kernelSize),
            strides: pair(c.strides ?? 1),
            padding,
            data_format: 'channels_last',
            dilation_rate: [1, 1],
            groups: c.groups ?? 1,
            activation: c.activation === 'relu' ? 'relu' : 'linear',
            use_bias: useBias,
            ...kernelLayerDefaults(c),
          },
          weights: kernelWeights(useBias),
        });
        break;
      }
      case 'Dense': {
        const useBias = c.useBias !== false;
        const foldOutput = isLast && c.activation !== 'relu';
        out.push({
          className: 'Dense',
          config: {
            units: c.units,
            activation: foldOutput ? outputActivation : c.activation === 'relu' ? 'relu' : 'linear',
            use_bias: useBias,
            ...kernelLayerDefaults(c),
          },
          weights: kernelWeights(useBias),
        });
        break;
      }
      case 'MaxPool':
        out.push({ className: 'MaxPooling2D', config: { pool_size: pair(c.size), padding: c.padding ?? 'valid', strides: pair(c.stride ?? c.size), data_format: 'channels_last' }, weights: [] });
        break;
      case 'BatchNorm':
        out.push({
          className: 'BatchNormalization',
          config: {
            axis: [inRank],
            momentum: c.momentum ?? 0.99,
            epsilon: c.epsilon ?? 1e-3,
            center: true,
            scale: true,
            beta_initializer: init('Zeros'),
            gamma_initializer: init('Ones'),
            moving_mean_initializer: init('Zeros'),
            moving_variance_initializer: init('Ones'),
            beta_regularizer: null,
            gamma_regularizer: null,
            beta_constraint: null,
            gamma_constraint: null,
          },
          weights: [['gamma', p('gamma')], ['beta', p('beta')], ['moving_mean', p('moving_mean')], ['moving_variance', p('moving_variance')]],
        });
        break;
      case 'Dropout':
        out.push({ className: 'Dropout', config: { rate: c.rate, noise_shape: null, seed: null }, weights: [] });
        break;
      case 'Flatten':
        out.push({ className: 'Flatten', config: { data_format: 'channels_last' }, weights: [] });
        break;
      case 'ReLU':
      case 'Sigmoid':
        out.push({ className: 'Activation', config: { activation: c.type === 'ReLU' ? 'relu' : 'sigmoid' }, weights: [] });
        break;
      case 'LRN':
        unsupported('Keras has no local response normalization layer, so this model cannot be a Keras .h5 (export it to ONNX instead)');
        break;
      default:
        unsupported('no Keras equivalent');
    }
  });
  const last = cfg[cfg.length - 1];
  if (!last || last.type !== 'Dense' || last.activation === 'relu') {
    out.push({ className: 'Activation', config: { activation: outputActivation }, weights: [] });
  }
  return out;
}

/** Keras's automatic names: the first conv2d, then conv2d_1, conv2d_2, … */
function autoNames(layers: KerasOut[]): string[] {
  const seen = new Map<string, number>();
  return layers.map((l) => {
    const base = KERAS_BASE[l.className]!;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

/** The Keras 2 .h5 bytes of a model: its description (model.json) and its weights by engine name. */
export async function exportKerasH5(manifest: ModelManifest, tensors: Record<string, ExportTensor>): Promise<Uint8Array> {
  const model = modelFromManifest(manifest);
  const shapes = model.computeShapes();
  const cfg = model.config();
  const layers = kerasLayers(cfg.layers, shapes, cfg.inputShape, cfg.outputActivation);
  for (const [name, shape] of parameterShapes(model)) {
    const t = tensors[name];
    if (!t) throw new KerasExportError(`the weights have no tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new KerasExportError(`tensor '${name}' has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
  }
  const names = autoNames(layers);
  const batchInputShape = [null, ...cfg.inputShape];
  const layerJson = layers.map((l, i) => ({
    class_name: l.className,
    config: { name: names[i], trainable: true, ...(i === 0 ? { batch_input_shape: batchInputShape } : {}), dtype: 'float32', ...l.config },
  }));
  const modelConfig = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [{ class_name: 'InputLayer', config: { batch_input_shape: batchInputShape, dtype: 'float32', sparse: false, ragged: false, name: `${names[0]}_input` } }, ...layerJson],
    },
  };

  return writeHdf5((f) => {
    writeBytesAttr(f, 'model_config', JSON.stringify(modelConfig));
    f.create_attribute('keras_version', KERAS_VERSION);
    f.create_attribute('backend', 'tensorflow');
    const mw = f.create_group('model_weights');
    writeBytesAttr(mw, 'layer_names', names);
    writeBytesAttr(mw, 'backend', 'tensorflow');
    writeBytesAttr(mw, 'keras_version', KERAS_VERSION);
    const order = names.map((n, i) => [n, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [name, i] of order) {
      const g = mw.create_group(name);
      const ws = layers[i]!.weights;
      if (ws.length === 0) {
        writeEmptyListAttr(g, 'weight_names');
        continue;
      }
      writeBytesAttr(g, 'weight_names', ws.map(([role]) => `${name}/${role}:0`));
      // "conv2d/kernel:0" inside group conv2d: h5py makes the intermediate group "conv2d".
      const inner: H5Group = g.create_group(name);
      for (const [role, param] of ws) {
        const t = tensors[param]!;
        inner.create_dataset({ name: `${role}:0`, data: Float32Array.from(t.data), shape: [...t.shape], dtype: '<f' });
      }
    }
    writeEmptyListAttr(mw.create_group('top_level_model_weights'), 'weight_names');
  });
}
