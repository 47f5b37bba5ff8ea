import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { REDUCE, SUM_LEADING } from './reduce.wgsl.js';

/** out[a, b] = alpha · Σ_r x[a, r, b] for x viewed as [A, R, B]. */
export function reduceMiddle(ctx: GpuContext, x: GPUBuffer, out: GPUBuffer, A: number, R: number, B: number, alpha = 1): void {
  // Many small reductions (R ≤ 64) need fewer threads per output.
  const wg = R <= 16 ? 16 : 64;
  launch(ctx, REDUCE, {
    label: `reduce[${A}×${R}×${B}]`,
    constants: { WG: wg },
    uniforms: { A, R, B, alpha },
    buffers: { x, out },
    need: { x: f32Bytes(A * R * B), out: f32Bytes(A * B) },
    workgroups: grid2d(A * B),
  });
}

/** out[i] = Σ_s x[s·L + i] for x viewed as [S, L] (reduceMiddle with A = 1, one invocation per output). */
export function sumLeading(ctx: GpuContext, x: GPUBuffer, out: GPUBuffer, S: number, L: number, label = `sum-leading[${S}×${L}]`): void {
  const WG = 256;
  launch(ctx, SUM_LEADING, {
    label,
    constants: { WG },
    uniforms: { L, S },
    buffers: { part: x, out },
    need: { part: f32Bytes(S * L), out: f32Bytes(L) },
    workgroups: grid2d(Math.ceil(L / WG)),
  });
}

/** Float64 reference of reduceMiddle. */
export function reduceMiddleRef(x: ArrayLike<number>, A: number, R: number, B: number, alpha = 1): Float64Array {
  const out = new Float64Array(A * B);
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += x[(a * R + r) * B + b]!;
      out[a * B + b] = alpha * s;
    }
  return out;
}
