/**
 * Inverted dropout: y = x · keep(seed, i) / (1 − rate).
 *
 * The mask is a counter-based RNG: a pure hash of (seed, element index), so it needs no
 * state and no mask buffer; the backward recomputes exactly the forward's mask by running
 * the same kernel on dy with the same seed. Hash: PCG's output permutation (Jarzynski &
 * Olano, "Hash Functions for GPU Rendering", JCGT 2020) applied as
 * pcg(pcg(i) ^ pcg(seed)): a bijection of i for a fixed seed, and a different seed is not
 * a mere shift or XOR of the indices. An element is kept when its 32-bit hash ≥
 * round(rate·2^32), so P(keep) = 1 − rate to within 2^-32. src/kernels/dropout/dropout-ref.ts
 * mirrors the hash on the host.
 */
import { elementKernel } from '../wgsl-common.js';

// seedHash = pcg(seed), hashed once on the host (dropout.ts).
export const DROPOUT = elementKernel(
  {
    name: 'dropout',
    uniforms: { n: 'u32', seedHash: 'u32', threshold: 'u32', scale: 'f32' },
    bindings: { x: 'read', y: 'read_write' },
  },
  /* wgsl */ `
  let h = pcg(pcg(i) ^ p.seedHash);
  y[i] = select(0.0, x[i] * p.scale, h >= p.threshold);`,
  /* wgsl */ `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
`,
);
