/**
 * 2-D convolution launchers (NHWC activations, HWIO weights): forward, data gradient,
 * weight gradient. Shapes come resolved in a Conv2dGeometry (geometry.ts).
 *
 * What the kernels are shaped by (lavapipe, measured with the llvmpipe worker threads' CPU
 * time): a storage-buffer load costs ~1–2 ns per invocation whether or not the lanes share
 * the address (llvmpipe loops over the SIMD lanes with mask and bounds checks), a
 * multiply-add ~0.05 ns, a subgroup broadcast a register shuffle. So: register blocks,
 * column values shared through subgroupBroadcast, and input values reused across taps.
 *
 * Design (nothing materialises im2col):
 * - Padding is applied once by a copy into a zero-padded tensor (`pad2d`), so no kernel
 *   tests bounds per multiply-add.
 * - Forward = implicit GEMM: M = N·OH·OW pixels × Cout columns, K = KH·KW·Cin; the weights
 *   viewed [K, Cout] are the B matrix and the [M, Cout] output is NHWC already.
 *   Generic kernel (convGemmKernel): any kernel size and stride, TM pixels × TN columns per
 *   invocation. For the AlexNet shapes (tuning.ts rowKernels: 3×3/1, 5×5/1, 11×11/4) a
 *   compile-time-specialised kernel (convRowKernel) gives each invocation TM consecutive
 *   pixels of an output row and loads every input column once for all the taps that read
 *   it (~2× faster than the generic kernel at conv3–5).
 *   With subgroups, the forward and the stride-1 data gradient run instead on the subgroup
 *   GEMM kernel in its convolution mode (conv2d-sg.ts) whenever a window row is a run of at
 *   least 4 floats: channels in fours (conv2–5) get vec4 window loads shared through
 *   subgroup broadcast, 1.1–1.7× faster than the row kernel per pass; conv1 (3 channels)
 *   gets lanes along the pixels, 1.35× (docs/BENCHMARKS.md).
 * - Data gradient = implicit GEMM over the zero-padded output gradient with the flipped
 *   filter, split into stride phases: input rows iy with (iy + padT) mod sh = rh receive
 *   exactly the taps kh ≡ rh (mod sh), so each of the sh·sw phases is a stride-1
 *   correlation with its own flipped sub-filter (rearranged by FLIP_WEIGHTS, conv2d-aux.wgsl.ts), no
 *   multiply-adds on inserted zeros, and the same two kernels as the forward (stride-1
 *   phases of 3- or 5-tap width take the row kernel). Kept over dcol = dy·Wᵀ then a col2im
 *   gather: that needs an N·OH·OW × K buffer (34 MB at AlexNet's conv1, 26 MB at conv2), a
 *   second pass reading it with per-lane loads, and its GEMM could only use the generic
 *   kernel (measured 1.3–2× slower than the row kernel at conv2–5), so it cannot be faster
 *   here.
 * - Weight gradient = im2col(x)ᵀ · dy, the reduction over M = N·OH·OW split into S chunks
 *   (partial sums in parallel, then summed by sumLeading in src/kernels/reduce) so a small K × Cout output
 *   still keeps every core busy; never one invocation per weight over the whole batch.
 *   Generic kernel (convWgradKernel): invocations own TK rows k. Row shapes
 *   (convWgradRowKernel): an invocation owns a kernel row's KW taps × CB channels, and its
 *   input window slides along the output row, SW new loads per pixel instead of KW·CB.
 * - Groups: the workgroup z index carries the group, which offsets input/weight/output
 *   channels.
 * - On the tiled kernel path (ctx.kernelPath, chosen per adapter: kernel-path.ts) the
 *   implicit GEMMs and the weight gradient's partial sums run on the workgroup-memory tiled
 *   kernels instead (conv2d-tiled.ts); padding, phases and the filter flip stay as here.
 */
import { type GpuContext, GpuError, grid2d } from '../context.js';
import { activationId } from '../elementwise/pointwise.js';
import { f32Bytes, launch } from '../spec.js';
import { atWidth, vecWidth } from '../wgsl-common.js';
import { FLIP_WEIGHTS, FLIP_WEIGHTS_S1, PAD } from './conv2d-aux.wgsl.js';
import { convGemmKernel, convRowKernel } from './conv2d-gemm.wgsl.js';
import { convWgradKernel, convWgradRowKernel } from './conv2d-wgrad.wgsl.js';
import { launchTiledConvGemm, tiledConvWgrad } from './conv2d-tiled.js';
import { launchWgradSplit } from './conv2d-wgrad-split.js';
import { launchSubgroupConv, subgroupConvApplies } from './conv2d-sg.js';
import { type Conv2dGeometry, describeGeometry } from './geometry.js';
import { type ConvTuning, type RowKernelShape, convTuning } from './tuning.js';

export { type ConvTuning, DEFAULT_CONV, convTuning, setConvTuning } from './tuning.js';

/** Values shared per subgroup broadcast: 8 (or 4) when the device's subgroups are that wide, else 0. */
export function subgroupChunk(ctx: GpuContext, cfg: Readonly<ConvTuning> = convTuning(ctx)): number {
  if (!cfg.subgroups) return 0;
  const min = ctx.subgroupMinSize;
  return min >= 8 ? 8 : min >= 4 ? 4 : 0;
}

export function hasPadding(g: Conv2dGeometry): boolean {
  return g.padT + g.padB + g.padL + g.padR > 0;
}

/** dst [N, H+pt+pb, W+pl+pr, C] = src [N, H, W, C] placed at (pt, pl), zeros around. */
export function pad2d(
  ctx: GpuContext,
  src: GPUBuffer,
  dst: GPUBuffer,
  s: { N: number; H: number; W: number; C: number; pt: number; pb: number; pl: number; pr: number },
): void {
  const Hp = s.H + s.pt + s.pb;
  const Wp = s.W + s.pl + s.pr;
  const total = s.N * Hp * Wp * s.C;
  const label = `pad2d[${s.N}×${s.H}×${s.W}×${s.C} → ${Hp}×${Wp}]`;
  const WG = 256;
  if (Hp > 65535 || s.N > 65535) throw new GpuError(`${label}: too many rows or images for one dispatch`);
  const w = vecWidth(s.C); // channels in fours: the vec4 kernel
  launch(ctx, atWidth(PAD, w), {
    label,
    constants: { WG },
    uniforms: { H: s.H, W: s.W, C: s.C / w, Wp, pt: s.pt, pl: s.pl },
    buffers: { src, dst },
    need: { src: f32Bytes(s.N * s.H * s.W * s.C), dst: f32Bytes(total) },
    workgroups: [Math.ceil((Wp * s.C) / w / WG), Hp, s.N],
  });
}

/** One implicit-GEMM convolution, resolved (the meaning of each field: convGemmKernel). */
export interface GemmLaunch {
  label: string;
  M: number; OU: number; OV: number; NCOLS: number;
  inH: number; inW: number; CIN: number; inCOff: number;
  SU: number; SV: number; offU: number; offV: number;
  TH: number; NRUN: number; RUN: number; WROW: number;
  wOff: number; wGOff: number; OH: number; OW: number;
  COUT: number; outCOff: number; OSU: number; OSV: number;
  ooffU: number; ooffV: number;
  groups: number;
  relu: boolean;
  /** Id of a fused table activation other than ReLU (0 = none; see pointwise.ts). */
  act: number;
  /** Bytes the launch reads and writes: input, weights, output. */
  need: { x: number; w: number; y: number };
}

function rowShape(cfg: Readonly<ConvTuning>, kw: number, sw: number): RowKernelShape | undefined {
  return cfg.rowKernels.find((r) => r.width === kw && r.stride === sw);
}

/**
 * Launches one implicit-GEMM convolution. `C` is the input channels per group (the run
 * length when runs are single taps), `KW` the window width in taps, used to pick the
 * row-reuse kernel when (KW, SV) is one of the tuning's rowKernels.
 */
function launchGemm(
  ctx: GpuContext,
  L: GemmLaunch & { C: number; KW: number },
  input: GPUBuffer,
  wt: GPUBuffer,
  bias: GPUBuffer | null,
  out: GPUBuffer,
): void {
  if (L.M === 0) return;
  if (ctx.kernelPath === 'tiled') return launchTiledConvGemm(ctx, L, input, wt, bias, out);
  if (subgroupConvApplies(ctx, L)) return launchSubgroupConv(ctx, L, input, wt, bias, out);
  const cfg = convTuning(ctx);
  const sgc = subgroupChunk(ctx, cfg);
  const row = L.TH > 0 ? rowShape(cfg, L.KW, L.SV) : undefined;
  const TN = L.NCOLS <= 8 ? 8 : row ? row.columns : cfg.gemmColumns;
  const NCB = Math.ceil(L.NCOLS / TN);
  const WG = cfg.gemmWorkgroup;
  const constants = { WG, ACT: L.act };
  const FLAGS = (bias ? 1 : 0) | (L.relu ? 2 : 0);
  const uniforms = {
    M: L.M, OU: L.OU, OV: L.OV, NCOLS: L.NCOLS, inH: L.inH, inW: L.inW, CIN: L.CIN, inCOff: L.inCOff,
    SU: L.SU, SV: L.SV, offU: L.offU, offV: L.offV, TH: L.TH, NRUN: L.NRUN, RUN: L.RUN, WROW: L.WROW,
    wOff: L.wOff, wGOff: L.wGOff, OH: L.OH, OW: L.OW, COUT: L.COUT, outCOff: L.outCOff, OSU: L.OSU, OSV: L.OSV,
    ooffU: L.ooffU, ooffV: L.ooffV, NCB, FLAGS,
  };
  // Without a bias, bind the weights in its place (FLAGS says not to read it).
  const bind = {
    label: L.label,
    constants,
    buffers: { x: input, w: wt, bias: bias ?? wt, y: out },
    need: { x: L.need.x, w: L.need.w, bias: bias ? f32Bytes(L.groups * L.NCOLS) : 0, y: L.need.y },
  };
  if (row) {
    const TM = cfg.rowPixels;
    const NVB = Math.ceil(L.OV / TM);
    const blocks = (L.M / L.OV) * NVB;
    const [wx, wy] = grid2d(Math.ceil(blocks / WG));
    launch(ctx, convRowKernel(TM, TN, L.KW, L.SV, sgc), {
      ...bind,
      // The row kernel counts invocations in M and runs of one channel each.
      uniforms: { ...uniforms, M: blocks, NRUN: 0, RUN: L.C, NVB },
      workgroups: [wx, wy, L.groups * NCB],
    });
    return;
  }
  const TM = cfg.gemmPixels;
  const [wx, wy] = grid2d(Math.ceil(L.M / (TM * WG)));
  launch(ctx, convGemmKernel(TM, TN, sgc), { ...bind, uniforms, workgroups: [wx, wy, L.groups * NCB] });
}

/**
 * y = act(conv(x, w) + b). `xp` is the input already padded to [N, Hp, Wp, Cin] (the
 * input itself when there is no padding; see pad2d).
 */
export function conv2dForward(ctx: GpuContext, g: Conv2dGeometry, xp: GPUBuffer, w: GPUBuffer, bias: GPUBuffer | null, y: GPUBuffer): void {
  const act = g.activation;
  const label = `conv2d${act !== 'linear' ? '+' + act : ''}${describeGeometry(g)}`;
  const contiguous = g.groups === 1;
  launchGemm(
    ctx,
    {
      label,
      M: g.N * g.OH * g.OW, OU: g.OH, OV: g.OW, NCOLS: g.Coutg,
      inH: g.Hp, inW: g.Wp, CIN: g.Cin, inCOff: g.Cg,
      SU: g.sh, SV: g.sw, offU: 0, offV: 0,
      TH: g.KH, NRUN: contiguous ? 1 : g.KW, RUN: contiguous ? g.KW * g.Cin : g.Cg, WROW: g.Cout,
      wOff: 0, wGOff: g.Coutg, OH: g.OH, OW: g.OW,
      COUT: g.Cout, outCOff: g.Coutg, OSU: 1, OSV: 1, ooffU: 0, ooffV: 0,
      groups: g.groups, relu: act === 'relu', act: act === 'relu' ? 0 : activationId(act), C: g.Cg, KW: g.KW,
      need: { x: f32Bytes(g.N * g.Hp * g.Wp * g.Cin), w: f32Bytes(g.KH * g.KW * g.Cg * g.Cout), y: f32Bytes(g.N * g.OH * g.OW * g.Cout) },
    },
    xp, w, bias, y,
  );
}

/** Taps of a kernel of size k in stride phase r: ceil((k − r)/s). */
function taps(k: number, r: number, s: number): number {
  return r < k ? Math.ceil((k - r) / s) : 0;
}

interface Phase {
  r: number;
  /** First input row (column) of the phase, their count, taps, offset into the padded gradient. */
  first: number;
  count: number;
  T: number;
  off: number;
}

/** Stride phases along one axis for the data gradient (see the file comment). */
function phases(size: number, k: number, s: number, pad: number, outSize: number): { list: Phase[]; before: number; after: number } {
  const PT = taps(k, 0, s) - 1;
  const list: Phase[] = [];
  let maxRow = -1;
  for (let r = 0; r < s; r++) {
    const first = (((r - pad) % s) + s) % s;
    const count = first < size ? Math.ceil((size - first) / s) : 0;
    const q0 = (first + pad - r) / s;
    const T = taps(k, r, s);
    const off = q0 - T + 1 + PT;
    if (count > 0 && T > 0) maxRow = Math.max(maxRow, off + count - 1 + T - 1);
    list.push({ r, first, count, T, off });
  }
  return { list, before: PT, after: Math.max(0, maxRow - (outSize + PT - 1)) };
}

/**
 * dx = ∂L/∂x given gy = ∂L/∂(pre-activation) [N, OH, OW, Cout] (the caller applies the
 * ReLU mask). Temporaries (padded gradient, rearranged filter) come from the pool.
 */
export function conv2dBackwardData(ctx: GpuContext, g: Conv2dGeometry, gy: GPUBuffer, w: GPUBuffer, dx: GPUBuffer): void {
  const label = `conv2d-dx${describeGeometry(g)}`;
  const ph = phases(g.H, g.KH, g.sh, g.padT, g.OH);
  const pw = phases(g.W, g.KW, g.sw, g.padL, g.OW);
  const Hd = g.OH + ph.before + ph.after;
  const Wd = g.OW + pw.before + pw.after;
  let dyp = gy;
  if (ph.before + ph.after + pw.before + pw.after > 0) {
    dyp = ctx.newStorage(g.N * Hd * Wd * g.Cout * 4, 'conv2d-dx-padded');
    pad2d(ctx, gy, dyp, { N: g.N, H: g.OH, W: g.OW, C: g.Cout, pt: ph.before, pb: ph.after, pl: pw.before, pr: pw.after });
  }
  const wsize = g.KH * g.KW * g.Cg * g.Cout;
  const wt = ctx.newStorage(wsize * 4, 'conv2d-dx-filter');
  const WG = 64;
  const flip = { label: `conv2d-flip${describeGeometry(g)}`, constants: { WG }, buffers: { w, wt }, need: { w: f32Bytes(wsize), wt: f32Bytes(wsize) } };
  if (g.sh === 1 && g.sw === 1 && g.groups === 1) {
    launch(ctx, FLIP_WEIGHTS_S1, { ...flip, uniforms: { T: g.KH * g.KW, Cin: g.Cin, Cout: g.Cout }, workgroups: [Math.ceil(g.Cout / WG), g.Cin, 1] });
  } else {
    launch(ctx, FLIP_WEIGHTS, {
      ...flip,
      uniforms: { KH: g.KH, KW: g.KW, Cg: g.Cg, Cout: g.Cout, Coutg: g.Coutg, sh: g.sh, sw: g.sw, groups: g.groups },
      workgroups: [Math.ceil(g.Cout / WG), g.Cg, g.KH * g.KW],
    });
  }
  const contiguous = g.groups === 1;
  let rowsBefore = 0;
  for (const a of ph.list) {
    let colsBefore = 0;
    for (const b of pw.list) {
      const blk = g.Coutg * g.Cg;
      launchGemm(
        ctx,
        {
          label: `${label} phase ${a.r},${b.r}`,
          M: g.N * a.count * b.count, OU: a.count, OV: b.count, NCOLS: g.Cg,
          inH: Hd, inW: Wd, CIN: g.Cout, inCOff: g.Coutg,
          SU: 1, SV: 1, offU: a.off, offV: b.off,
          TH: a.T, NRUN: contiguous ? 1 : b.T, RUN: contiguous ? b.T * g.Cout : g.Coutg, WROW: g.Cg,
          wOff: (rowsBefore * g.KW + a.T * colsBefore) * g.groups * blk, wGOff: a.T * b.T * blk,
          OH: g.H, OW: g.W, COUT: g.Cin, outCOff: g.Cg, OSU: g.sh, OSV: g.sw, ooffU: a.first, ooffV: b.first,
          groups: g.groups, relu: false, act: 0, C: g.Coutg, KW: b.T,
          need: { x: f32Bytes(g.N * Hd * Wd * g.Cout), w: f32Bytes(wsize), y: f32Bytes(g.N * g.H * g.W * g.Cin) },
        },
        dyp, wt, null, dx,
      );
      colsBefore += b.T;
    }
    rowsBefore += a.T;
  }
  // Back to the pool once this batch is submitted (after every dispatch above).
  ctx.releaseLater(wt);
  if (dyp !== gy) ctx.releaseLater(dyp);
}

/**
 * dw = ∂L/∂w [KH, KW, Cg, Cout] given the padded input xp [N, Hp, Wp, Cin] (x itself when
 * unpadded) and gy = ∂L/∂(pre-activation) [N, OH, OW, Cout].
 */
export function conv2dBackwardWeights(ctx: GpuContext, g: Conv2dGeometry, xp: GPUBuffer, gy: GPUBuffer, dw: GPUBuffer): void {
  const label = `conv2d-dw${describeGeometry(g)}`;
  if (ctx.kernelPath === 'tiled') return tiledConvWgrad(ctx, g, xp, gy, dw, label);
  const cfg = convTuning(ctx);
  const sgc = subgroupChunk(ctx, cfg);
  const M = g.N * g.OH * g.OW;
  const Kg = g.KH * g.KW * g.Cg;
  const row = rowShape(cfg, g.KW, g.sw) !== undefined;
  // Row kernel: lanes own (kh, channel block) with all KW taps; generic: TK rows k each.
  const CB = cfg.wgradRowChannels === 4 && g.Cin % 4 === 0 && g.Cg % 4 === 0 && g.KW <= 5 ? 4 : 1;
  const lanes = row ? g.KH * (g.Cg / CB) : Math.ceil(Kg / cfg.wgradRows);
  const TN = g.Coutg <= 8 ? 8 : row ? (CB === 4 ? cfg.wgradRowColumnsVec4 : cfg.wgradRowColumnsScalar) : cfg.wgradColumns;
  const NCB = Math.ceil(g.Coutg / TN);
  const WGW = row ? cfg.wgradRowWorkgroup : cfg.wgradWorkgroup;
  const kBlocks = Math.ceil(lanes / WGW);
  // Split the reduction so that about wgradTargetWorkgroups workgroups run, with chunks of
  // at least 32 pixels (each chunk's partial sums cost a K×Cout write and a read).
  const base = kBlocks * NCB * g.groups;
  let S = Math.max(1, Math.min(Math.ceil(cfg.wgradTargetWorkgroups / base), Math.ceil(M / 32)));
  const CHUNK = Math.ceil(M / S);
  S = Math.ceil(M / CHUNK);
  if (S > 65535) throw new GpuError(`${label}: ${S} reduction chunks exceed the dispatch limit`);
  const kernel = row ? convWgradRowKernel(g.KW, g.sw, CB as 1 | 4, TN, sgc) : convWgradKernel(cfg.wgradRows, TN, sgc);
  launchWgradSplit(ctx, kernel, g, xp, gy, dw, { label, M, Kg, NCB, S, CHUNK, lanes, constants: { WG: WGW }, workgroups: [kBlocks, S, g.groups * NCB] });
}
