/**
 * The uniform average of several saved models' weights (stochastic weight averaging, Izmailov
 * et al. 2018, as PyTorch's swa_utils.AveragedModel keeps it): models of one architecture saved
 * at different points of one run, late in a decaying schedule, average to weights in a flatter
 * region that often generalise better than any one of them. Batch norm's moving statistics are
 * averaged like everything else, but they do not belong to the averaged weights: re-estimate
 * them afterwards (npm run update-bn). Works on safetensors bytes; summed in float64.
 */
import { FORMAT } from '../nn/manifest.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInputTensor } from './safetensors.js';

export class AverageError extends Error {}

/** `states`: safetensors files (bytes) with the same F32 tensors; `what` names each in errors. */
export function averageStates(states: { bytes: Uint8Array; what: string }[], step: number): Uint8Array {
  if (states.length < 2) throw new AverageError('averaging needs at least two models');
  const files = states.map(({ bytes, what }) => {
    try {
      return { what, file: decodeSafetensors(bytes) };
    } catch (e) {
      throw new AverageError(`${what}: ${(e as Error).message}`);
    }
  });
  const first = files[0]!;
  const names = Object.keys(first.file.tensors).sort();
  for (const { what, file } of files.slice(1)) {
    const other = Object.keys(file.tensors).sort();
    const missing = names.filter((n) => !(n in file.tensors));
    const extra = other.filter((n) => !(n in first.file.tensors));
    if (missing.length || extra.length) {
      throw new AverageError(`${what} holds other tensors than ${first.what}${missing.length ? ` (missing ${missing.join(', ')})` : ''}${extra.length ? ` (extra ${extra.join(', ')})` : ''}`);
    }
  }
  const out: Record<string, SafetensorsInputTensor> = {};
  for (const name of names) {
    const ref = first.file.tensors[name]!;
    const sum = new Float64Array(ref.data.length);
    for (const { what, file } of files) {
      const t = file.tensors[name]!;
      if (t.dtype !== 'F32') throw new AverageError(`${what}: tensor '${name}' has dtype ${t.dtype}, expected F32`);
      if (t.shape.length !== ref.shape.length || t.shape.some((d, i) => d !== ref.shape[i])) {
        throw new AverageError(`${what}: tensor '${name}' has shape [${t.shape.join(', ')}], ${first.what} [${ref.shape.join(', ')}]`);
      }
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) sum[i]! += d[i]!;
    }
    out[name] = { dtype: 'F32', shape: ref.shape, data: Float32Array.from(sum, (v) => v / files.length) };
  }
  return encodeSafetensors(out, { format: FORMAT, step: String(step) });
}
