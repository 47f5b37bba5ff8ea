/**
 * Implicit-GEMM convolution on the subgroup GEMM kernel (gemm-subgroup.wgsl.ts in its
 * convolution mode), for the forward pass and the stride-1 data gradient.
 *
 * Why: that kernel is the fastest code this project has on lavapipe (docs/BENCHMARKS.md,
 * "What limits GEMM here"). A subgroup computes 8·R output pixels × 32 output channels;
 * lane l loads pixel 8r+l's window 4 channels at a time as one vec4 and shares it through
 * subgroupBroadcast, and every lane loads its own 4 channels of the weights as a vec4. That
 * is one vec4 load per 4·R·32 multiply-adds... against one scalar load per ~20 in the
 * row-reuse kernel (conv2d-gemm.wgsl.ts), which reuses an input value across the taps but
 * loads it once per lane. Nothing materialises im2col: a row's address is its pixel's window
 * start, and k walks the window row by row (a run of KW·CIN contiguous floats each).
 *
 * With fewer channels (AlexNet's conv1: 3, so its 11-tap rows are runs of 33 floats, not
 * vec4-aligned) the lanes run along the pixels instead: each lane loads 4 pixels' windows as
 * scalars, and the weights (vec4 along the output channels) are the shared operand; the
 * GEMM's cost model picks the direction and tile (on the explicit GEMM of conv1's shape that
 * choice was 1.3–1.5× faster than the row-reuse kernel's time for the convolution).
 *
 * Applies when: groups 1, runs of at least 4 floats (any window of 2+ taps, or 4+
 * channels), the output written contiguously (forward; a data gradient with stride 1, i.e.
 * one phase), weights one [K, NCOLS] matrix. Other shapes (strided data gradients, groups)
 * keep the kernels of conv2d-gemm.wgsl.ts.
 */
import type { GpuContext } from '../context.js';
import { activationId } from '../elementwise/pointwise.js';
import { bestSubgroupTile, hasSubgroupGemm, subgroupGrid } from '../gemm/gemm.js';
import { subgroupConvKernel } from '../gemm/gemm-subgroup.wgsl.js';
import { f32Bytes, launch } from '../spec.js';
import type { GemmLaunch } from './conv2d.js';
import { convTuning } from './tuning.js';

/** Whether this launch can run on the subgroup GEMM's convolution mode (see the file comment). */
export function subgroupConvApplies(ctx: GpuContext, L: GemmLaunch): boolean {
  const cfg = convTuning(ctx);
  return (
    cfg.subgroupConv && cfg.subgroups && hasSubgroupGemm(ctx) &&
    L.groups === 1 && L.NRUN === 1 && L.TH > 0 && L.RUN >= 4 &&
    L.OSU === 1 && L.OSV === 1 && L.ooffU === 0 && L.ooffV === 0 && L.OH === L.OU && L.OW === L.OV &&
    L.COUT === L.NCOLS && L.wOff === 0 && L.WROW === L.NCOLS
  );
}

export function launchSubgroupConv(ctx: GpuContext, L: GemmLaunch, input: GPUBuffer, wt: GPUBuffer, bias: GPUBuffer | null, out: GPUBuffer): void {
  const M = L.M;
  const N = L.NCOLS;
  const K = L.TH * L.RUN;
  const sizes = { M, N, K, strideA: 0, strideB: 0, strideC: 0, batch: 1 };
  // vec4 rows of A need every window row aligned: channels and runs in fours.
  const vecA = L.CIN % 4 === 0 && L.RUN % 4 === 0;
  const vecB = N % 4 === 0;
  const WG = 8;
  // Lanes along N need vec4 rows of A (the kernel's convolution mode); else along M.
  const forced = convTuning(ctx).subgroupConvTile;
  const { R, lanes } = forced && (vecA || forced.lanes === 'm') ? forced : bestSubgroupTile(sizes, vecA, vecB, vecA ? ['n', 'm'] : ['m'], [1, 2, 3, 4], WG);
  const { nbP, x, y } = subgroupGrid(M, N, R, lanes, WG);
  const vecC = lanes === 'n' && vecB; // 4 consecutive output channels per lane: vec4 stores
  launch(ctx, subgroupConvKernel({ R, lanes, transA: false, transB: false, vecA, vecB, vecC }), {
    label: L.label,
    uniforms: {
      M, N, K, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0, nbP,
      OU: L.OU, OV: L.OV, inH: L.inH, inW: L.inW, CIN: L.CIN, SU: L.SU, SV: L.SV, offU: L.offU, offV: L.offV, RUN: L.RUN,
    },
    constants: { HAS_BIAS: bias ? 1 : 0, ACT: L.relu ? activationId('relu') : L.act, ACCUMULATE: 0, WG },
    // Without a bias, bind the weights in its place (HAS_BIAS false never reads it).
    buffers: { a: input, b: wt, bias: bias ?? wt, c: out },
    need: { a: L.need.x, b: L.need.w, bias: bias ? f32Bytes(N) : 0, c: L.need.y },
    workgroups: [x, y, 1],
  });
}
