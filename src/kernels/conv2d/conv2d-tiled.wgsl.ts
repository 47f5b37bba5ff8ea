/**
 * The convolution's implicit GEMMs for real GPUs, on the shared tiled body
 * (../tiled/tile-gemm.wgsl.ts): the input window is read straight from the (padded) NHWC
 * tensor as the A operand, so nothing materialises im2col, and tiles of it and of the other
 * operand are staged in workgroup memory.
 *
 * - convTiledGemmKernel: forward and every stride phase of the data gradient, with the same
 *   uniforms as the software implicit GEMM (CONV_GEMM_UNIFORMS; their meaning is documented
 *   at convGemmKernel in conv2d-gemm.wgsl.ts): C[pixel, col] = Σ_k in[window(pixel), k] ·
 *   wt[k, col], k = (window row t, run jr, offset r) over TH × NRUN × RUN, then the
 *   bias/ReLU/activation epilogue. Workgroups: x,y = pixel tiles (2-D grid), z = group ·
 *   NCB + column tile.
 * - convTiledWgradKernel: the weight gradient as C[k, col] = Σ_pixel in[window(pixel), k] ·
 *   gy[pixel, col] over one chunk of pixels (partial sums, as the software kernels; summed by
 *   sumLeading). Workgroups: x = row tiles of Kg, y = chunk, z = group · NCB + column tile.
 *
 * vec4 loads: the window's k index is contiguous within a run, so A loads as vec4 when the
 * runs, channel counts and offsets are multiples of 4 (launcher); the weight and gradient
 * rows are contiguous along the column.
 */
import { defineKernel, kernelCache } from '../spec.js';
import { tiledGemmMain } from '../tiled/tile-gemm.wgsl.js';
import { type TileShape, tileName, tileWorkgroup } from '../tiled/tiles.js';
import { CONV_EPILOGUE_OVERRIDES, CONV_GEMM_BINDINGS, CONV_GEMM_UNIFORMS, CONV_WGRAD_UNIFORMS, EPILOGUE_WGSL } from './conv2d-common.wgsl.js';

export interface TiledConvShape {
  tile: TileShape;
  /** vec4 loads of the window (A) and of the column operand (B). */
  vecA: boolean;
  vecB: boolean;
}

const elemType = (vec: boolean) => (vec ? 'vec4<f32>' : 'f32');
const at = (buf: string, vec: boolean, idx: string) => (vec ? `${buf}[(${idx}) / 4u]` : `${buf}[${idx}]`);

export const convTiledGemmKernel = kernelCache((s: TiledConvShape) => {
  const { main, shared } = tiledGemmMain({
    tile: s.tile,
    A: {
      layout: 'kc',
      V: s.vecA ? 4 : 1,
      // Pixel → window start; the row is fixed for the whole reduction.
      fixed: (slot, gi) => `  let mc${slot} = min(${gi}, p.M - 1u);
  let nn${slot} = mc${slot} / plane;
  let rr${slot} = mc${slot} - nn${slot} * plane;
  let uu${slot} = rr${slot} / p.OV;
  let xb${slot} = ((nn${slot} * p.inH + uu${slot} * p.SU + p.offU) * p.inW + (rr${slot} - uu${slot} * p.OV) * p.SV + p.offV) * p.CIN + g * p.inCOff;`,
      // k → offset in the window, once per tile (the invocation's k is the same for all its rows).
      perK: (gk) => `    let kt = ${gk} / trun;
    let kr = ${gk} - kt * trun;
    let kj = kr / p.RUN;
    let koff = kt * rowStep + kj * p.CIN + kr - kj * p.RUN;`,
      elem: (slot, gi) => ({ cond: `${gi} < p.M`, value: at('x', s.vecA, `xb${slot} + koff`) }),
    },
    B: {
      layout: 'ic',
      V: s.vecB ? 4 : 1,
      elem: (_slot, gi, gk) => ({ cond: `${gi} < p.NCOLS`, value: at('w', s.vecB, `wb + ${gk} * p.WROW + ${gi}`) }),
    },
    prologue: `  let g = wid.z / p.NCB;
  let n0 = (wid.z - g * p.NCB) * ${s.tile.BN}u;
  let m0 = (wid.x + wid.y * nwg.x) * ${s.tile.BM}u;
  let plane = p.OU * p.OV;
  let trun = p.NRUN * p.RUN;
  let rowStep = p.inW * p.CIN;
  let wb = p.wOff + g * p.wGOff;
  let cg = g * p.outCOff;
  // FLAGS bit 0: add the bias; bit 1: ReLU (runtime, so forward and data gradient share a pipeline).
  let hasBias = (p.FLAGS & 1u) != 0u;
  let relu = (p.FLAGS & 2u) != 0u;
  let kBegin = 0u;
  let kEnd = p.TH * trun;`,
    rows: 'p.M',
    cols: 'p.NCOLS',
    rowStart: (m) => `    let on = ${m} / plane;
    let orr = ${m} - on * plane;
    let ou = orr / p.OV;
    let o = ((on * p.OH + p.ooffU + ou * p.OSU) * p.OW + p.ooffV + (orr - ou * p.OV) * p.OSV) * p.COUT + cg;`,
    store: (_m, n, acc) => `      var v = ${acc};
      if (hasBias) { v += bias[cg + ${n}]; }
      if (relu) { v = max(v, 0.0); }
      if (ACT != 0u) { v = activate(ACT, v); }
      y[o + ${n}] = v;`,
  });
  const { WGX, WGY } = tileWorkgroup(s.tile);
  return defineKernel(
    {
      name: `conv-tiled-${tileName(s.tile)}-${s.vecA ? 4 : 1}${s.vecB ? 4 : 1}`,
      // WG (the software kernels' workgroup size) is declared but unused: the tile fixes it.
      overrides: CONV_EPILOGUE_OVERRIDES,
      workgroupSize: [WGX, WGY],
      uniforms: CONV_GEMM_UNIFORMS,
      bindings: { ...CONV_GEMM_BINDINGS, x: ['read', elemType(s.vecA)], w: ['read', elemType(s.vecB)] },
    },
    main,
    `${shared}\n${EPILOGUE_WGSL}`,
  );
});

export const convTiledWgradKernel = kernelCache((s: TiledConvShape) => {
  const { main, shared } = tiledGemmMain({
    tile: s.tile,
    A: {
      // Rows k = (kh, kw, ci) of one group's filter: channels contiguous in the input.
      layout: 'ic',
      V: s.vecA ? 4 : 1,
      fixed: (slot, gi) => `  let kc${slot} = min(${gi}, p.Kg - 1u);
  let kh${slot} = kc${slot} / kwc;
  let kr${slot} = kc${slot} - kh${slot} * kwc;
  let kw${slot} = kr${slot} / p.Cg;
  let off${slot} = (kh${slot} * p.inW + kw${slot}) * p.CIN + g * p.Cg + kr${slot} - kw${slot} * p.Cg;`,
      // Pixel → its window's start (the reduction index moves along the output pixels).
      perK: (gk) => `      let pn = ${gk} / plane;
      let pr = ${gk} - pn * plane;
      let py = pr / p.OW;
      let pix = ((pn * p.inH + py * p.SU) * p.inW + (pr - py * p.OW) * p.SV) * p.CIN;`,
      elem: (slot, gi) => ({ cond: `${gi} < p.Kg`, value: at('x', s.vecA, `pix + off${slot}`) }),
    },
    B: {
      layout: 'ic',
      V: s.vecB ? 4 : 1,
      elem: (_slot, gi, gk) => ({ cond: `${gi} < p.NCOLS`, value: at('gy', s.vecB, `${gk} * p.COUT + g * p.NCOLS + ${gi}`) }),
    },
    prologue: `  let g = wid.z / p.NCB;
  let n0 = (wid.z - g * p.NCB) * ${s.tile.BN}u;
  let m0 = wid.x * ${s.tile.BM}u;
  let chunk = wid.y;
  let kwc = p.KW * p.Cg;
  let plane = p.OH * p.OW;
  let kBegin = min(chunk * p.CHUNK, p.M);
  let kEnd = min(kBegin + p.CHUNK, p.M);`,
    rows: 'p.Kg',
    cols: 'p.NCOLS',
    rowStart: (m) => `    let o = (chunk * p.Kg + ${m}) * p.COUT + g * p.NCOLS;`,
    store: (_m, n, acc) => `      part[o + ${n}] = ${acc};`,
  });
  const { WGX, WGY } = tileWorkgroup(s.tile);
  return defineKernel(
    {
      name: `conv-wgrad-tiled-${tileName(s.tile)}-${s.vecA ? 4 : 1}${s.vecB ? 4 : 1}`,
      workgroupSize: [WGX, WGY],
      uniforms: CONV_WGRAD_UNIFORMS,
      bindings: { x: ['read', elemType(s.vecA)], gy: ['read', elemType(s.vecB)], part: 'read_write' },
    },
    main,
    shared,
  );
});
