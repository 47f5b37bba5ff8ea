/**
 * WGSL of the convolution's implicit-GEMM kernels (NHWC activations, HWIO weights): the
 * generic one and the row-reuse one, which serve the forward pass and every stride phase
 * of the data gradient. Weight gradient: conv2d-wgrad.wgsl.ts; padding, filter flip:
 * conv2d-aux.wgsl.ts.
 *
 * Cost model these kernels are shaped by (lavapipe, measured, see conv2d.ts): every
 * storage-buffer load costs about 1–2 ns *per invocation* (llvmpipe emits a per-lane loop
 * with exec-mask and bounds checks, even when all lanes read the same address), while a
 * multiply-add costs ~0.05 ns per invocation. So the kernels minimise loads per FMA:
 *
 * - Register blocking: an invocation computes TM rows × TN columns, so each loaded row value
 *   feeds TN FMAs.
 * - Column values (weights in the forward / data-gradient GEMM, output gradients in the
 *   weight gradient) are the same for every invocation of a workgroup. With subgroups, the
 *   lanes of a subgroup load SGC distinct values at once and share them with
 *   subgroupBroadcast (a register shuffle): one load instead of SGC. Without subgroups each
 *   invocation loads them all (same results, slower).
 *
 * The inner bodies are unrolled in the generated text so every accumulator index is a
 * constant (a dynamically indexed array would live in memory). TM/TN/TK (and KW/SW of the
 * row kernels) size those bodies, so they are baked into the source (one cached pipeline per
 * variant; the long bodies take seconds to compile on lavapipe, once, then Mesa's shader
 * cache has them); the workgroup size is an override constant, bias/ReLU a runtime flag.
 */

import { defineKernel, kernelCache } from '../spec.js';
import {
  CONV_EPILOGUE_OVERRIDES,
  CONV_GEMM_BINDINGS,
  CONV_GEMM_UNIFORMS,
  EPILOGUE_PRELUDE,
  EPILOGUE_WGSL,
  accDecl,
  biasActStores,
  columnIndices,
  enables,
  fmaBlock,
  range,
  sharedColumns,
  subgroupBuiltin,
} from './conv2d-common.wgsl.js';

/**
 * Entry point and prologue of both implicit-GEMM kernels: lane (pixel block), group g,
 * first column c0 of the block, its output channel cb, the epilogue flags.
 */
function gemmMainStart(TN: number, sgc: number): string {
  return /* wgsl */ `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32${subgroupBuiltin(sgc)}) {
  let lane = (wid.x + wid.y * nwg.x) * WG + lid;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let cb = g * p.outCOff + c0;
${EPILOGUE_PRELUDE}`;
}

/**
 * Implicit GEMM convolution: out[pixel, col] = Σ_k in[pixel's window, k] · wt[k, col].
 *
 * One kernel serves the forward pass (in = padded x, wt = w viewed [KH·KW·Cg, Cout]) and
 * each stride phase of the data gradient (in = padded dy, wt = the flipped, transposed
 * filter taps of that phase), through these parameters:
 *   pixel m ∈ [0, M) ↦ (n, u, v) on an OU×OV grid;
 *   window start in the input = (n, u·SU + offU, v·SV + offV), channel offset g·inCOff;
 *   k runs over TH window rows × NRUN runs × RUN contiguous floats (a run is a whole
 *   kernel row KW·Cin when groups = 1, one tap's Cg channels otherwise), runs CIN apart;
 *   weight row k starts at wOff + g·wGOff + k·WROW, NCOLS columns (per group);
 *   output (n, ooffU + u·OSU, ooffV + v·OSV) of an OH×OW×COUT tensor, channel offset
 *   g·outCOff.
 * Workgroups: x,y = blocks of TM·WG pixels (2-D grid), z = group · NCB + column block.
 */
export const convGemmKernel = kernelCache((TM: number, TN: number, sgc: number) => {
  const rowsInit = range(TM)
    .map(
      (i) => `  let m${i} = lane * ${TM}u + ${i}u;
  let mc${i} = min(m${i}, p.M - 1u);
  let n${i} = mc${i} / plane;
  let r${i} = mc${i} - n${i} * plane;
  let u${i} = r${i} / p.OV;
  let v${i} = r${i} - u${i} * p.OV;
  let xb${i} = ((n${i} * p.inH + u${i} * p.SU + p.offU) * p.inW + v${i} * p.SV + p.offV) * p.CIN + g * p.inCOff;`,
    )
    .join('\n');
  const epilogue = range(TM)
    .map((i) => {
      const stores = biasActStores(i, TN);
      return `  if (m${i} < p.M) {
    let o = ((n${i} * p.OH + p.ooffU + u${i} * p.OSU) * p.OW + p.ooffV + v${i} * p.OSV) * p.COUT + cb;
${stores}
  }`;
    })
    .join('\n');
  return defineKernel(
    {
      name: `conv-gemm-${TM}x${TN}${sgc ? '-sg' + sgc : ''}`,
      enables: enables(sgc),
      overrides: CONV_EPILOGUE_OVERRIDES,
      workgroupSize: ['WG'],
      uniforms: CONV_GEMM_UNIFORMS,
      bindings: CONV_GEMM_BINDINGS,
    },
    /* wgsl */ `
${gemmMainStart(TN, sgc)}
  let plane = p.OU * p.OV;
${rowsInit}
${columnIndices('p.wOff + g * p.wGOff', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TM, TN)}
  var krow = 0u;
  let rowStep = p.inW * p.CIN;
  for (var t = 0u; t < p.TH; t++) {
    for (var jr = 0u; jr < p.NRUN; jr++) {
      let off = t * rowStep + jr * p.CIN;
      for (var r = 0u; r < p.RUN; r++) {
        let o = off + r;
${sharedColumns('w', 'krow', TN, sgc)}
${fmaBlock(TM, TN, (i) => `x[xb${i} + o]`)}
        krow += p.WROW;
      }
    }
  }
${epilogue}
}
`,
    EPILOGUE_WGSL,
  );
});

/**
 * Direct convolution with row reuse, for kernel widths and strides known at compile time
 * (KW, SW): an invocation computes TM consecutive output pixels of one output row × TN
 * columns. For each window row t and input channel it loads the (TM−1)·SW + KW input
 * columns once and reuses each for every (pixel, tap) pair that reads it (3×3/1 with
 * TM = 6: 8 loads instead of 18; 11×11/4: 31 instead of 66), then per tap shares one
 * weight row across the TM pixels. (Loading 4 channels at once as vec4 was measured slower:
 * the 4× longer unrolled body spills more than the loads save.)
 * Same parameters as convGemmKernel, except: M counts invocations (output rows × NVB blocks
 * of TM pixels), RUN = input channels per group, weight row k = (t·KW + kw)·RUN + channel.
 */
export const convRowKernel = kernelCache((TM: number, TN: number, KW: number, SW: number, sgc: number) => {
  const NC = (TM - 1) * SW + KW;
  const cols = range(NC).map((c) => `  let xo${c} = min(colBase + ${c}u, p.inW - 1u) * p.CIN;`).join('\n');
  const loads = range(NC).map((c) => `        let xv${c} = x[rb + xo${c} + ci];`).join('\n');
  const rows = range(KW).map(
    (kw) => `        {
          let krow = kb + ${kw}u * kwStep;
${sharedColumns('w', 'krow', TN, sgc).replace(/^/gm, '      ')}
${fmaBlock(TM, TN, (i) => `xv${i * SW + kw}`).replace(/^/gm, '      ')}
        }`,
  );
  const epilogue = range(TM)
    .map((i) => {
      const stores = biasActStores(i, TN);
      return `  if (valid && v0 + ${i}u < p.OV) {
    let o = ((n * p.OH + p.ooffU + u * p.OSU) * p.OW + p.ooffV + (v0 + ${i}u) * p.OSV) * p.COUT + cb;
${stores}
  }`;
    })
    .join('\n');
  return defineKernel(
    {
      name: `conv-row-${TM}x${TN}-k${KW}s${SW}${sgc ? '-sg' + sgc : ''}`,
      enables: enables(sgc),
      overrides: CONV_EPILOGUE_OVERRIDES,
      workgroupSize: ['WG'],
      uniforms: { ...CONV_GEMM_UNIFORMS, NVB: 'u32' },
      bindings: CONV_GEMM_BINDINGS,
    },
    /* wgsl */ `
${gemmMainStart(TN, sgc)}
  let blocks = p.M;
  let valid = lane < blocks;
  let lc = min(lane, blocks - 1u);
  let row = lc / p.NVB;
  let v0 = (lc - row * p.NVB) * ${TM}u;
  let n = row / p.OU;
  let u = row - n * p.OU;
  let colBase = v0 * ${SW}u + p.offV;
${cols}
${columnIndices('p.wOff + g * p.wGOff', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TM, TN)}
  let kwStep = p.RUN * p.WROW;
  for (var t = 0u; t < p.TH; t++) {
    let rb = ((n * p.inH + u * p.SU + p.offU + t) * p.inW) * p.CIN + g * p.inCOff;
    for (var ci = 0u; ci < p.RUN; ci++) {
      let kb = (t * ${KW}u * p.RUN + ci) * p.WROW;
${loads}
${rows.join('\n')}
    }
  }
${epilogue}
}
`,
    EPILOGUE_WGSL,
  );
});
