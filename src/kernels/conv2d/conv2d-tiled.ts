/**
 * Launchers of the GPU-shaped (tiled) convolution kernels (conv2d-tiled.wgsl.ts), taken by
 * conv2d.ts when the context's kernel path is 'tiled' (kernel-path.ts). They keep everything
 * around the kernels that the software path does — padding by a copy, the data gradient's
 * stride phases and flipped filter, the weight gradient's split reduction — and replace only
 * the implicit GEMMs, so both paths share one set of geometry rules and tests.
 */
import { type GpuContext, GpuError, MAX_WORKGROUPS_PER_DIM, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { chooseTile } from '../tiled/tiles.js';
import type { GemmLaunch } from './conv2d.js';
import { convTiledGemmKernel, convTiledWgradKernel } from './conv2d-tiled.wgsl.js';
import type { Conv2dGeometry } from './geometry.js';
import { launchWgradSplit } from './conv2d-wgrad-split.js';
import { convTuning } from './tuning.js';

function checkGrid(label: string, x: number, y: number, z: number): void {
  if (Math.max(x, y, z) > MAX_WORKGROUPS_PER_DIM) {
    throw new GpuError(`${label}: ${x}×${y}×${z} workgroups exceed ${MAX_WORKGROUPS_PER_DIM} per dimension`);
  }
}

/** One implicit-GEMM convolution (forward, or one data-gradient phase) on the tiled kernel. */
export function launchTiledConvGemm(ctx: GpuContext, L: GemmLaunch, input: GPUBuffer, wt: GPUBuffer, bias: GPUBuffer | null, out: GPUBuffer): void {
  const tile = convTuning(ctx).tiledTile ?? chooseTile(L.M, L.NCOLS, L.groups);
  const NCB = Math.ceil(L.NCOLS / tile.BN);
  const [wx, wy] = grid2d(Math.ceil(L.M / tile.BM));
  checkGrid(L.label, wx, wy, L.groups * NCB);
  // vec4 windows: 4 consecutive k stay inside one run and start 16-byte aligned when the
  // run, the channel stride and the group's channel offset are multiples of 4.
  const vecA = L.RUN % 4 === 0 && L.CIN % 4 === 0 && (L.groups === 1 || L.inCOff % 4 === 0);
  const vecB = L.WROW % 4 === 0 && L.NCOLS % 4 === 0 && L.wOff % 4 === 0 && (L.groups === 1 || L.wGOff % 4 === 0);
  launch(ctx, convTiledGemmKernel({ tile, vecA, vecB }), {
    label: L.label,
    constants: { ACT: L.act },
    uniforms: {
      M: L.M, OU: L.OU, OV: L.OV, NCOLS: L.NCOLS, inH: L.inH, inW: L.inW, CIN: L.CIN, inCOff: L.inCOff,
      SU: L.SU, SV: L.SV, offU: L.offU, offV: L.offV, TH: L.TH, NRUN: L.NRUN, RUN: L.RUN, WROW: L.WROW,
      wOff: L.wOff, wGOff: L.wGOff, OH: L.OH, OW: L.OW, COUT: L.COUT, outCOff: L.outCOff, OSU: L.OSU, OSV: L.OSV,
      ooffU: L.ooffU, ooffV: L.ooffV, NCB, FLAGS: (bias ? 1 : 0) | (L.relu ? 2 : 0),
    },
    // Without a bias, bind the weights in its place (FLAGS says not to read it).
    buffers: { x: input, w: wt, bias: bias ?? wt, y: out },
    need: { x: L.need.x, w: L.need.w, bias: bias ? f32Bytes(L.groups * L.NCOLS) : 0, y: L.need.y },
    workgroups: [wx, wy, L.groups * NCB],
  });
}

/**
 * dw [KH, KW, Cg, Cout] = Σ over pixels of window(x)ᵀ · gy on the tiled kernel. The pixel
 * reduction is split into S chunks (tiled partial sums in parallel, then sumLeading) so a
 * small filter still gives a GPU enough workgroups; S is bounded by the binding size limit.
 */
export function tiledConvWgrad(ctx: GpuContext, g: Conv2dGeometry, xp: GPUBuffer, gy: GPUBuffer, dw: GPUBuffer, label: string): void {
  const cfg = convTuning(ctx);
  const M = g.N * g.OH * g.OW;
  const Kg = g.KH * g.KW * g.Cg;
  const tile = cfg.tiledTile ?? chooseTile(Kg, g.Coutg, g.groups);
  const NCB = Math.ceil(g.Coutg / tile.BN);
  const rowTiles = Math.ceil(Kg / tile.BM);
  const base = rowTiles * NCB * g.groups;
  const L = Kg * g.Cout;
  const limits = ctx.device.limits;
  const maxS = Math.max(1, Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / f32Bytes(L)));
  // Chunks of at least 4 reduction tiles: each chunk's partial sums cost a K×Cout write and read.
  let S = Math.max(1, Math.min(Math.ceil(cfg.tiledWgradTargetWorkgroups / base), Math.ceil(M / (4 * tile.BK)), maxS));
  const CHUNK = Math.ceil(Math.ceil(M / S) / tile.BK) * tile.BK;
  S = Math.ceil(M / CHUNK);
  checkGrid(label, rowTiles, S, g.groups * NCB);
  // vec4: 4 consecutive rows k are 4 channels of one tap; 4 columns are 4 output channels.
  const vecA = g.Cg % 4 === 0 && g.Cin % 4 === 0;
  const vecB = g.Coutg % 4 === 0 && g.Cout % 4 === 0;
  const kernel = convTiledWgradKernel({ tile, vecA, vecB });
  launchWgradSplit(ctx, kernel, g, xp, gy, dw, { label, M, Kg, NCB, S, CHUNK, lanes: 0, workgroups: [rowTiles, S, g.groups * NCB] });
}
