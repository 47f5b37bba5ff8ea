/** Float64 reference of LRN across the last axis, written from the definition (see lrn.wgsl.ts). */
import type { LrnParams } from './lrn.js';

function denoms(x: ArrayLike<number>, C: number, p: LrnParams): Float64Array {
  const d = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += C)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let cc = Math.max(0, c - p.lo); cc <= Math.min(C - 1, c + p.hi); cc++) s += x[base + cc]! ** 2;
      d[base + c] = p.k + p.alphaEff * s;
    }
  return d;
}

export function lrnRef(x: ArrayLike<number>, C: number, p: LrnParams): Float64Array {
  const d = denoms(x, C, p);
  return Float64Array.from(d, (dv, i) => x[i]! * dv ** -p.beta);
}

/** dx by the chain rule written as a scatter over each output's window (independent of the kernel's gather form). */
export function lrnBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>, C: number, p: LrnParams): Float64Array {
  const d = denoms(x, C, p);
  const dx = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += C)
    for (let c = 0; c < C; c++) {
      const i = base + c;
      dx[i] += dy[i]! * d[i]! ** -p.beta;
      // ∂b_c/∂a_j for j in W(c): −β·a_c·d_c^(−β−1)·α'·2a_j
      const f = -p.beta * x[i]! * d[i]! ** (-p.beta - 1) * p.alphaEff * 2 * dy[i]!;
      for (let j = Math.max(0, c - p.lo); j <= Math.min(C - 1, c + p.hi); j++) dx[base + j] += f * x[base + j]!;
    }
  return dx;
}
