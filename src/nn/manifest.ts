/**
 * The model description saved beside the weights (model.json): architecture, class names,
 * preprocessing and training settings. Platform-neutral, so Node (src/io/checkpoint.ts) and
 * the web page parse and check it with the same code.
 */
import type { ModelOptions } from './models.js';
import type { ModelConfig } from './sequential.js';
import type { BatchNormUpdate } from './update-bn.js';

export const FORMAT = 'alexnet-webgpu/1';

export interface Preprocessing {
  imageSize: number;
  rescale: number;
  resize: 'nearest' | 'bilinear';
  /** The paper's recipe: resize to this size then crop imageSize (0 = no crop). */
  cropFrom?: number;
  /**
   * Input channels: 3 (RGB, the default when absent) or 1 (greyscale, as Keras's
   * `color_mode='grayscale'` reads images: PIL's ITU-R 601-2 luma, before resizing).
   */
  channels?: 1 | 3;
}

/**
 * A model with no variant to rebuild it from (imported, e.g. from a Keras .h5 file): it is
 * rebuilt from the layer list in `model.layers` (src/nn/from-config.ts).
 */
export interface ImportedModelOptions {
  variant: 'imported';
  /** Where it came from, e.g. 'keras'. */
  from: string;
  imageSize: number;
  classes: number;
}

export interface ModelManifest {
  format: string;
  model: ModelConfig;
  modelOptions: ModelOptions | ImportedModelOptions;
  classNames: string[];
  preprocessing: Preprocessing;
  training?: Record<string, unknown>;
  /** How the model is meant to be evaluated; predict, evaluate and the page use it by default. */
  evaluation?: { tenCrop: boolean };
  /** Set when the weights are an average of saved models (npm run average): each one's folder and step. */
  averagedFrom?: { model: string; step: number }[];
  /** Set when the batch-norm moving statistics were re-estimated after training (npm run update-bn). */
  batchNormUpdate?: BatchNormUpdate;
  /** Global step at which these weights were saved. */
  step: number;
  savedAt: string;
}

export class ManifestError extends Error {}

/** Parses and checks a model.json text; `where` names it in error messages. */
export function parseManifest(text: string, where = 'model.json'): ModelManifest {
  let m: ModelManifest;
  try {
    m = JSON.parse(text) as ModelManifest;
  } catch (e) {
    throw new ManifestError(`${where} is damaged (not valid JSON: ${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object') throw new ManifestError(`${where} is not a model description`);
  if (m.format !== FORMAT) throw new ManifestError(`${where}: unknown format '${String(m.format)}' (expected ${FORMAT})`);
  if (!m.modelOptions || !Array.isArray(m.classNames) || !m.preprocessing) {
    throw new ManifestError(`${where} is damaged: missing modelOptions, classNames or preprocessing`);
  }
  return m;
}
