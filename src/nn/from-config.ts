/**
 * Rebuilding a Sequential from the layer list a manifest stores (`model.layers`, what
 * `Sequential.config()` writes). Trained models are rebuilt from their variant
 * (`buildModel(modelOptions)`); models that have no variant — imported from Keras — are
 * rebuilt from their layers, layer by layer, with the same names and options. Platform-neutral.
 */
import { BatchNorm } from './layers/batchnorm.js';
import { Conv2D, type Conv2DOptions } from './layers/conv2d.js';
import { Dense, type DenseOptions } from './layers/dense.js';
import type { Layer, LayerConfig } from './layers/layer.js';
import { Dropout, Flatten, LRN, MaxPool, ReLU, Sigmoid } from './layers/simple.js';
import type { ModelManifest } from './manifest.js';
import { buildModel, MODEL_VARIANTS, type ModelVariant } from './models.js';
import { Sequential, type ModelConfig } from './sequential.js';

/** The options of a layer config: everything but its type and name. */
function optionsOf<T>(c: LayerConfig): T {
  const { type: _type, name: _name, ...rest } = c;
  return rest as T;
}

export function layerFromConfig(c: LayerConfig): Layer {
  switch (c.type) {
    case 'Conv2D':
      return new Conv2D(optionsOf<Conv2DOptions>(c));
    case 'Dense':
      return new Dense(optionsOf<DenseOptions>(c));
    case 'BatchNorm':
      return new BatchNorm(optionsOf(c));
    case 'MaxPool':
      return new MaxPool(optionsOf(c));
    case 'LRN':
      return new LRN(optionsOf(c));
    case 'Dropout':
      return new Dropout(Number(c.rate));
    case 'Flatten':
      return new Flatten();
    case 'ReLU':
      return new ReLU();
    case 'Sigmoid':
      return new Sigmoid();
    default:
      throw new Error(`layer ${c.name}: unknown layer type '${String(c.type)}'`);
  }
}

/** A Sequential with the config's layers, names and options (not built: no parameters yet). */
export function sequentialFromConfig(cfg: ModelConfig): Sequential {
  if (!cfg || !Array.isArray(cfg.layers) || !Array.isArray(cfg.inputShape)) throw new Error('the model description has no layer list');
  const m = new Sequential(cfg.name, cfg.inputShape, cfg.outputActivation, cfg.variant ?? {});
  for (const c of cfg.layers) m.add(layerFromConfig(c), c.name);
  m.computeShapes();
  return m;
}

/**
 * The parameters a model config has — names and shapes in the order `Sequential.params()`
 * lists them once built — worked out from the layer options and input shapes alone (no GPU),
 * for converters that read or write weight files without building the model.
 */
export function parameterShapes(model: Sequential): Map<string, number[]> {
  const shapes = model.computeShapes();
  const out = new Map<string, number[]>();
  model.layers.forEach((l, i) => {
    const inShape = i === 0 ? model.inputShape : shapes[i - 1]!;
    const c = l.config();
    const cIn = inShape[inShape.length - 1]!;
    if (c.type === 'Conv2D') {
      const o = c as unknown as Conv2DOptions;
      const [kh, kw] = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
      out.set(`${l.name}.kernel`, [kh, kw, cIn / (o.groups ?? 1), o.filters]);
      if (o.useBias ?? true) out.set(`${l.name}.bias`, [o.filters]);
    } else if (c.type === 'Dense') {
      const o = c as unknown as DenseOptions;
      out.set(`${l.name}.kernel`, [cIn, o.units]);
      if (o.useBias ?? true) out.set(`${l.name}.bias`, [o.units]);
    } else if (c.type === 'BatchNorm') {
      for (const p of ['gamma', 'beta', 'moving_mean', 'moving_variance']) out.set(`${l.name}.${p}`, [cIn]);
    }
  });
  return out;
}

/** The model a manifest describes: from its variant when it has one, else from its layers. */
export function modelFromManifest(m: ModelManifest): Sequential {
  if (MODEL_VARIANTS.includes(m.modelOptions.variant as ModelVariant)) return buildModel(m.modelOptions as Parameters<typeof buildModel>[0]);
  return sequentialFromConfig(m.model);
}
