/** Host mirror of the dropout kernel's counter-based mask (u32 arithmetic via Math.imul). */
import { dropoutThreshold, pcgHash } from './dropout.js';

export { pcgHash };

/** mask[i] = 1 where the kernel keeps element i. */
export function dropoutMaskRef(n: number, rate: number, seed: number): Uint8Array {
  const t = dropoutThreshold(rate);
  const s = pcgHash(seed);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = (pcgHash(pcgHash(i) ^ s) >>> 0) >= t ? 1 : 0;
  return mask;
}

/** Float64 reference: y = x·mask/(1 − rate). */
export function dropoutRef(x: ArrayLike<number>, rate: number, seed: number): Float64Array {
  const mask = dropoutMaskRef(x.length, rate, seed);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = mask[i] ? x[i]! / (1 - rate) : 0;
  return y;
}
