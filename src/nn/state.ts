/**
 * Named tensor state ↔ safetensors bytes. Used for model weights (with batch-norm moving
 * statistics) and optimizer state. Loading checks names, shapes and dtypes and says exactly
 * what does not match; a damaged file is refused by the decoder; and a tensor holding NaN or
 * ±Infinity is refused by name (such weights can only predict NaN, and such optimizer state
 * only train to NaN). Weights stored as F16 (npm run convert -- --to half) load as float32.
 */
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from '../io/safetensors.js';
import type { Tensor } from '../autograd/tensor.js';
import { float32Values } from '../io/half.js';

export async function encodeState(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const out: Record<string, SafetensorsInputTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = { dtype: 'F32', shape: t.shape, data: await t.toArray() };
  }
  return encodeSafetensors(out, metadata);
}

export class StateMismatchError extends Error {}

/** "tensor 'x': 3 NaN, 1 +Infinity of 120 values (first at index 7)", or null when all are finite. */
function describeNonFinite(name: string, data: Float32Array): string | null {
  let nan = 0;
  let pos = 0;
  let neg = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v === 0) continue; // finite (NaN − NaN and ∞ − ∞ are NaN)
    if (first < 0) first = i;
    if (v !== v) nan++;
    else if (v > 0) pos++;
    else neg++;
  }
  if (first < 0) return null;
  const kinds = [nan && `${nan} NaN`, pos && `${pos} +Infinity`, neg && `${neg} -Infinity`].filter(Boolean).join(', ');
  return `tensor '${name}': ${kinds} of ${data.length} values (first at index ${first})`;
}

/**
 * Writes the tensors of a safetensors file into `targets` (same names). Every target must be
 * present with the same shape and dtype F32 or F16 (widened exactly); extra tensors in the
 * file are an error too, unless `allowExtra`.
 */
export function decodeStateInto(
  bytes: Uint8Array,
  targets: Record<string, Tensor>,
  what: string,
  opts: { allowExtra?: boolean } = {},
): Record<string, string> {
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    throw new StateMismatchError(`${what}: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  for (const [name, t] of Object.entries(targets)) {
    const s = file.tensors[name];
    if (!s) {
      problems.push(`missing tensor '${name}' (expected F32 [${t.shape.join(', ')}])`);
      continue;
    }
    if (s.dtype !== 'F32' && s.dtype !== 'F16') problems.push(`tensor '${name}' has dtype ${s.dtype}, expected F32 (or F16)`);
    if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
      problems.push(`tensor '${name}' has shape [${s.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
    }
  }
  if (!opts.allowExtra) {
    for (const name of Object.keys(file.tensors)) {
      if (!(name in targets)) problems.push(`unexpected tensor '${name}'`);
    }
  }
  if (problems.length > 0) {
    throw new StateMismatchError(`${what} does not match the model:\n  - ${problems.join('\n  - ')}`);
  }
  const values = new Map<string, Float32Array>();
  for (const name of Object.keys(targets)) values.set(name, float32Values(file.tensors[name]!));
  const nonFinite = Object.keys(targets)
    .map((name) => describeNonFinite(name, values.get(name)!))
    .filter((d): d is string => d !== null);
  if (nonFinite.length > 0) {
    throw new StateMismatchError(`${what} holds non-finite values, in ${nonFinite.join('; ')} (retrain, or use an earlier checkpoint)`);
  }
  for (const [name, t] of Object.entries(targets)) {
    t.write(values.get(name)!);
  }
  return file.metadata ?? {};
}
