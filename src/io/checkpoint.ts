/**
 * Checkpoints on disk (Node). A checkpoint is a folder:
 *   model.safetensors      weights and batch-norm moving statistics (F32, readable by other tools)
 *   model.json             architecture, class names, preprocessing, training settings
 *   optimizer.safetensors  optimizer state (Adam m/v, SGD momentum) — training checkpoints only
 *   training-state.json    where the run stands (epoch, step, lr, callbacks, history) — idem
 * Every file is written to a temporary name and renamed, and training-state.json goes last
 * carrying the step it belongs to, so a crash never leaves a torn checkpoint: a folder whose
 * files disagree is refused with a clear message.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../autograd/tensor.js';
import type { GpuContext } from '../kernels/context.js';
import type { FitPosition } from '../nn/fit.js';
import { FORMAT, ManifestError, parseManifest, type ModelManifest } from '../nn/manifest.js';
import { modelFromManifest } from '../nn/from-config.js';
import type { Sequential } from '../nn/sequential.js';
import { decodeStateInto, encodeState, StateMismatchError } from '../nn/state.js';
import { writeFileAtomic } from './atomic-write.js';

export { FORMAT, type ModelManifest, type Preprocessing } from '../nn/manifest.js';

export class CheckpointError extends Error {}

function namedParams(model: Sequential): Record<string, Tensor> {
  return Object.fromEntries(model.params().map((p) => [p.name, p.tensor]));
}

export async function saveModel(dir: string, model: Sequential, manifest: Omit<ModelManifest, 'format' | 'model' | 'savedAt'>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const weights = await encodeState(namedParams(model), { format: FORMAT, step: String(manifest.step) });
  await writeFileAtomic(join(dir, 'model.safetensors'), weights);
  const full: ModelManifest = { format: FORMAT, model: model.config(), savedAt: new Date().toISOString(), ...manifest };
  await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(full, null, 2) + '\n');
}

export interface TrainingState {
  format: string;
  step: number;
  position: FitPosition;
  optimizer: { config: object; iterations: number };
  /** Options the run was started with (so --resume continues the same run). */
  options: Record<string, unknown>;
}

export async function saveTrainingCheckpoint(
  dir: string,
  model: Sequential,
  manifest: Omit<ModelManifest, 'format' | 'model' | 'savedAt'>,
  optimizerState: Record<string, Tensor>,
  state: Omit<TrainingState, 'format' | 'step'>,
): Promise<void> {
  await saveModel(dir, model, manifest);
  const opt = await encodeState(optimizerState, { format: FORMAT, step: String(manifest.step) });
  await writeFileAtomic(join(dir, 'optimizer.safetensors'), opt);
  const full: TrainingState = { format: FORMAT, step: manifest.step, ...state };
  await writeFileAtomic(join(dir, 'training-state.json'), JSON.stringify(full, null, 2) + '\n');
}

function readJson<T>(path: string, what: string): T {
  if (!existsSync(path)) throw new CheckpointError(`${what} not found: ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new CheckpointError(`${what} ${path} is damaged (not valid JSON: ${(e as Error).message})`);
  }
}

export function readManifest(dir: string): ModelManifest {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) throw new CheckpointError(`model description not found: ${path}`);
  try {
    return parseManifest(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if (e instanceof ManifestError) throw new CheckpointError(e.message);
    throw e;
  }
}

/**
 * Reads a safetensors file of a checkpoint into `targets` and checks it belongs to `step`.
 * Every failure (missing, damaged, mismatched names or shapes) is a CheckpointError.
 */
function loadStateFile(path: string, targets: Record<string, Tensor>, what: string, step: number, stepOf: string): void {
  if (!existsSync(path)) throw new CheckpointError(`${what} not found: ${path}`);
  let meta: Record<string, string>;
  try {
    meta = decodeStateInto(readFileSync(path), targets, `${what} ${path}`);
  } catch (e) {
    if (e instanceof StateMismatchError) throw new CheckpointError(e.message);
    throw e;
  }
  if (meta.step !== undefined && Number(meta.step) !== step) {
    throw new CheckpointError(`${path}: ${what} is from step ${meta.step} but ${stepOf} from step ${step} (an interrupted save?)`);
  }
}

/** Loads a checkpoint folder's weights into an already built model. */
export function loadWeights(dir: string, model: Sequential, step: number): void {
  loadStateFile(join(dir, 'model.safetensors'), namedParams(model), 'weights', step, 'the model description');
}

/** Builds the model a folder describes and loads its weights (checked by name, shape, dtype). */
export function loadModel(dir: string, ctx: GpuContext): { model: Sequential; manifest: ModelManifest } {
  if (!existsSync(dir)) throw new CheckpointError(`model folder not found: ${dir}`);
  const manifest = readManifest(dir);
  let described: Sequential;
  try {
    described = modelFromManifest(manifest);
  } catch (e) {
    throw new CheckpointError(`${join(dir, 'model.json')}: cannot build the model: ${(e as Error).message}`);
  }
  const model = described.build(ctx, 0);
  loadWeights(dir, model, manifest.step);
  return { model, manifest };
}

export function readTrainingState(dir: string): TrainingState {
  const s = readJson<TrainingState>(join(dir, 'training-state.json'), 'training state');
  if (s.format !== FORMAT || typeof s.step !== 'number' || !s.position) {
    throw new CheckpointError(`${join(dir, 'training-state.json')} is damaged or of an unknown format`);
  }
  return s;
}

/** Loads optimizer state tensors (already created by the caller) from a checkpoint. */
export function loadOptimizerState(dir: string, targets: Record<string, Tensor>, step: number): void {
  loadStateFile(join(dir, 'optimizer.safetensors'), targets, 'optimizer state', step, 'the training state');
}
