/**
 * GEMM for real GPUs: C[M,N] = act(alpha · op(A)·op(B) + bias + beta·C), batched over
 * workgroup z, with tiles staged in workgroup memory (the shared body and why:
 * ../tiled/tile-gemm.wgsl.ts). Same bindings, uniforms and epilogue flags as the software
 * kernels (gemm.wgsl.ts), so the launcher binds all of them the same way.
 *
 * Generated per (tile, transposes, vec4 A, vec4 B): the transposes decide which index is
 * contiguous (and so how a slice is loaded), vec4 the element type of a binding; both are
 * text, not override constants. Workgroups: x = column tiles, y = row tiles, z = batch.
 */
import { ACTIVATIONS_WGSL } from '../elementwise/pointwise.js';
import { defineKernel, kernelCache } from '../spec.js';
import { tiledGemmMain } from '../tiled/tile-gemm.wgsl.js';
import { type TileShape, tileName, tileWorkgroup } from '../tiled/tiles.js';
import { GEMM_BINDINGS, GEMM_EPILOGUE_OVERRIDES, GEMM_UNIFORMS } from './gemm.wgsl.js';

export interface TiledGemmShape {
  tile: TileShape;
  transA: boolean;
  transB: boolean;
  /** vec4 loads of A / B (alignment checked by the launcher). */
  vecA: boolean;
  vecB: boolean;
}

export const tiledGemmKernel = kernelCache((s: TiledGemmShape) => {
  const VA = s.vecA ? 4 : 1;
  const VB = s.vecB ? 4 : 1;
  // Element (i, k) of each operand; with vec4 the index is divided by 4 (all terms are
  // multiples of 4 when the launcher allows it).
  const at = (buf: string, V: number, idx: string) => (V === 4 ? `${buf}[(${idx}) / 4u]` : `${buf}[${idx}]`);
  const { main, shared } = tiledGemmMain({
    tile: s.tile,
    A: {
      layout: s.transA ? 'ic' : 'kc',
      V: VA,
      elem: (_slot, gi, gk) => ({
        cond: `${gi} < p.M`,
        value: at('a', VA, s.transA ? `oa + ${gk} * p.M + ${gi}` : `oa + ${gi} * p.K + ${gk}`),
      }),
    },
    B: {
      layout: s.transB ? 'kc' : 'ic',
      V: VB,
      elem: (_slot, gi, gk) => ({
        cond: `${gi} < p.N`,
        value: at('b', VB, s.transB ? `ob + ${gi} * p.K + ${gk}` : `ob + ${gk} * p.N + ${gi}`),
      }),
    },
    prologue: `  let n0 = wid.x * ${s.tile.BN}u;
  let m0 = wid.y * ${s.tile.BM}u;
  let oa = wid.z * p.strideA;
  let ob = wid.z * p.strideB;
  let oc = wid.z * p.strideC;
  let kBegin = 0u;
  let kEnd = p.K;`,
    rows: 'p.M',
    cols: 'p.N',
    store: (m, n, acc) => `      let idx = oc + ${m} * p.N + ${n};
      var v = p.alpha * ${acc};
      if (HAS_BIAS) { v += bias[${n}]; }
      if (ACCUMULATE) { v += p.beta * c[idx]; }
      c[idx] = activate(ACT, v);`,
  });
  const { WGX, WGY } = tileWorkgroup(s.tile);
  return defineKernel(
    {
      name: `gemm-tiled-${tileName(s.tile)}-${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}-${VA}${VB}`,
      overrides: GEMM_EPILOGUE_OVERRIDES,
      workgroupSize: [WGX, WGY],
      uniforms: GEMM_UNIFORMS,
      bindings: { ...GEMM_BINDINGS, a: ['read', VA === 4 ? 'vec4<f32>' : 'f32'], b: ['read', VB === 4 ? 'vec4<f32>' : 'f32'] },
    },
    main,
    `${shared}\n${ACTIVATIONS_WGSL}`,
  );
});
