/**
 * Named tensor state ↔ safetensors bytes. Used for model weights (with batch-norm moving
 * statistics) and optimizer state. Loading checks names, shapes and dtypes and says exactly
 * what does not match; a damaged file is refused by the decoder.
 */
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from '../io/safetensors.js';
import type { Tensor } from '../autograd/tensor.js';

export async function encodeState(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const out: Record<string, SafetensorsInputTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    out[name] = { dtype: 'F32', shape: t.shape, data: await t.toArray() };
  }
  return encodeSafetensors(out, metadata);
}

export class StateMismatchError extends Error {}

/**
 * Writes the tensors of a safetensors file into `targets` (same names). Every target must be
 * present with the same shape and dtype F32; extra tensors in the file are an error too,
 * unless `allowExtra`.
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
    if (s.dtype !== 'F32') problems.push(`tensor '${name}' has dtype ${s.dtype}, expected F32`);
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
  for (const [name, t] of Object.entries(targets)) {
    t.write(file.tensors[name]!.data as Float32Array);
  }
  return file.metadata ?? {};
}
