/**
 * A model saved by `npm run train` (model.json + model.safetensors), loaded from bytes so the
 * page can take it from a file picker or a URL. The manifest checks are src/nn/manifest.ts's,
 * shared with Node's src/io/checkpoint.ts.
 */
import { ManifestError, parseManifest as parseManifestShared, type ModelManifest } from '../../src/nn/manifest.js';
import type { GpuContext } from '../../src/kernels/context.js';
import type { Tensor } from '../../src/autograd/tensor.js';
import { modelFromManifest } from '../../src/nn/from-config.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { decodeStateInto, encodeState } from '../../src/nn/state.js';
import { importKerasH5, importedWeightsBytes } from '../../src/io/keras-h5.js';

import { FORMAT } from '../../src/nn/manifest.js';
export { FORMAT };

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

export function parseManifest(text: string, where = 'model.json'): ModelManifest {
  try {
    return parseManifestShared(text, where);
  } catch (e) {
    if (e instanceof ManifestError) throw new ModelLoadError(e.message);
    throw e;
  }
}

export function namedParams(model: Sequential): Record<string, Tensor> {
  return Object.fromEntries(model.params().map((p) => [p.name, p.tensor]));
}

export interface LoadedModel {
  model: Sequential;
  manifest: ModelManifest;
}

/** Builds the described model on `ctx` and loads its weights (checked by name, shape, dtype). */
export function modelFromBytes(ctx: GpuContext, manifestText: string, weights: Uint8Array, where = 'model'): LoadedModel {
  const manifest = parseManifest(manifestText, `${where}/model.json`);
  let model: Sequential;
  try {
    model = modelFromManifest(manifest).build(ctx, 0);
  } catch (e) {
    throw new ModelLoadError(`${where}/model.json: cannot build the model: ${(e as Error).message}`);
  }
  try {
    const meta = decodeStateInto(weights, namedParams(model), `weights ${where}/model.safetensors`);
    if (meta.step !== undefined && Number(meta.step) !== manifest.step) {
      throw new ModelLoadError(
        `${where}: weights are from step ${meta.step} but model.json from step ${manifest.step} (files from two different saves?)`,
      );
    }
  } catch (e) {
    model.dispose();
    throw e instanceof ModelLoadError ? e : new ModelLoadError((e as Error).message);
  }
  return { model, manifest };
}

/** The two files of a model folder, as saveModel writes them, for a download after fine-tuning. */
export async function modelToBytes(
  model: Sequential,
  manifest: ModelManifest,
  step: number,
  training: Record<string, unknown>,
): Promise<{ json: string; weights: Uint8Array }> {
  const weights = await encodeState(namedParams(model), { format: FORMAT, step: String(step) });
  const full: ModelManifest = { ...manifest, model: model.config(), step, savedAt: new Date().toISOString(), training };
  return { json: JSON.stringify(full, null, 2) + '\n', weights };
}

/**
 * A Keras 2 .h5 model (its bytes) as the two files of a model folder, through the same
 * importer `npm run convert -- --from keras` uses. Unsupported layers and damaged files are
 * one-line ModelLoadErrors.
 */
export async function modelFilesFromKeras(
  bytes: Uint8Array,
  name: string,
  classNames?: string[],
): Promise<{ json: string; weights: Uint8Array; warnings: string[] }> {
  try {
    const m = await importKerasH5(bytes, { source: name, classNames });
    return { json: JSON.stringify(m.manifest), weights: importedWeightsBytes(m), warnings: m.warnings };
  } catch (e) {
    throw new ModelLoadError((e as Error).message);
  }
}

/** The Keras .h5 file among chosen or dropped files, if there is exactly one. */
export function pickKerasFile(files: File[]): File | null {
  const h5 = files.filter((f) => /\.(h5|hdf5|keras\.h5)$/i.test(f.name));
  if (h5.length > 1) throw new ModelLoadError(`choose one Keras .h5 file at a time (got: ${h5.map((f) => f.name).join(', ')})`);
  return h5[0] ?? null;
}

/** Picks model.json and model.safetensors out of a set of chosen files (two files or a folder). */
export function pickModelFiles(files: File[]): { json: File; weights: File } {
  const named = (name: string) => files.filter((f) => f.name === name);
  const ending = (ext: string) => files.filter((f) => f.name.toLowerCase().endsWith(ext));
  // Prefer the exact names saveModel writes; a folder may also hold optimizer.safetensors.
  const jsons = named('model.json').length > 0 ? named('model.json') : ending('.json').filter((f) => f.name !== 'training-state.json');
  const weights = named('model.safetensors').length > 0 ? named('model.safetensors') : ending('.safetensors').filter((f) => f.name !== 'optimizer.safetensors');
  if (jsons.length !== 1 || weights.length !== 1) {
    const got = files.map((f) => f.name).join(', ') || 'nothing';
    throw new ModelLoadError(
      `choose a model folder saved by npm run train, or its two files model.json and model.safetensors (got: ${got})`,
    );
  }
  return { json: jsons[0]!, weights: weights[0]! };
}
