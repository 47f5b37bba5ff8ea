/**
 * WGSL of the convolution's weight-gradient kernels: partial sums over chunks of the
 * reduction (summed by the reduce family's sumLeading), generic and sliding-window. The
 * cost model: conv2d-gemm.wgsl.ts.
 */
import { defineKernel, kernelCache } from '../spec.js';
import { CONV_WGRAD_UNIFORMS, accDecl, columnIndices, enables, fmaBlock, range, sharedColumns, subgroupBuiltin } from './conv2d-common.wgsl.js';

/** Pixels [m0, m1) of chunk s, and the first one's image n, row oy, column ox. */
const CHUNK_START = /* wgsl */ `  let m0 = min(s * p.CHUNK, p.M);
  let m1 = min(m0 + p.CHUNK, p.M);
  let plane = p.OH * p.OW;
  var n = m0 / plane;
  var oy = (m0 - n * plane) / p.OW;
  var ox = m0 - n * plane - oy * p.OW;`;

/**
 * Weight gradient, split along the reduction: partial[s, k, col] = Σ_{m in chunk s}
 * in[window(m), k] · gy[m, col], with k = (kh, kw, ci) over one group's Kg = KH·KW·Cg rows.
 * Invocations own TK rows k (their input offsets are fixed, the window base moves with m);
 * the gradient row gy[m, c0 .. c0+TN) is shared by the workgroup.
 * Workgroups: x = blocks of TK·WG rows, y = chunk s, z = group · NCB + column block.
 */
export const convWgradKernel = kernelCache((TK: number, TN: number, sgc: number) => {
  const rowsInit = range(TK)
    .map(
      (i) => `  let k${i} = lane * ${TK}u + ${i}u;
  let kc${i} = min(k${i}, p.Kg - 1u);
  let kh${i} = kc${i} / kwc;
  let kr${i} = kc${i} - kh${i} * kwc;
  let kw${i} = kr${i} / p.Cg;
  let off${i} = (kh${i} * p.inW + kw${i}) * p.CIN + g * p.Cg + kr${i} - kw${i} * p.Cg;`,
    )
    .join('\n');
  const epilogue = range(TK)
    .map((i) => {
      const stores = range(TN)
        .map((j) => `    if (c0 + ${j}u < p.NCOLS) { part[o + ${j}u] = acc${i}_${j}; }`)
        .join('\n');
      return `  if (k${i} < p.Kg) {
    let o = (s * p.Kg + k${i}) * p.COUT + g * p.NCOLS + c0;
${stores}
  }`;
    })
    .join('\n');
  return defineKernel(
    {
      name: `conv-wgrad-${TK}x${TN}${sgc ? '-sg' + sgc : ''}`,
      enables: enables(sgc),
      overrides: { WG: ['u32', 64] },
      workgroupSize: ['WG'],
      uniforms: CONV_WGRAD_UNIFORMS,
      bindings: { x: 'read', gy: 'read', part: 'read_write' },
    },
    /* wgsl */ `
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${subgroupBuiltin(sgc)}) {
  let lane = wid.x * WG + lid;
  let s = wid.y;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let kwc = p.KW * p.Cg;
${rowsInit}
${columnIndices('g * p.NCOLS', 'c0', 'p.NCOLS', TN, sgc)}
${accDecl(TK, TN)}
${CHUNK_START}
  var pix = ((n * p.inH + oy * p.SU) * p.inW + ox * p.SV) * p.CIN;
  let pixStep = p.SV * p.CIN;
  var grow = m0 * p.COUT;
  for (var m = m0; m < m1; m++) {
${sharedColumns('gy', 'grow', TN, sgc)}
${fmaBlock(TK, TN, (i) => `x[pix + off${i}]`)}
    grow += p.COUT;
    ox += 1u;
    pix += pixStep;
    if (ox == p.OW) {
      ox = 0u;
      oy += 1u;
      if (oy == p.OH) { oy = 0u; n += 1u; }
      pix = (n * p.inH + oy * p.SU) * p.inW * p.CIN;
    }
  }
${epilogue}
}
`,
  );
});

/**
 * Weight gradient with a sliding window, for compile-time KW and SW: an invocation owns the
 * KW·CB rows k = (kh, kw, cb·CB + q) of one kernel row kh and channel block, so as the
 * output pixel m advances along a row its input window slides by SW columns: SW new loads
 * per step (CB channels each, vec4 when CB = 4) instead of KW·CB. The gradient row
 * gy[m, c0 .. c0+TN) is shared by the workgroup as in convWgradKernel.
 * Workgroups: x = blocks of WG (kh, channel block) pairs, y = chunk s, z = group · NCB +
 * column block.
 */
export const convWgradRowKernel = kernelCache((KW: number, SW: number, CB: 1 | 4, TN: number, sgc: number) => {
  const comp = (q: number) => (CB === 4 ? `[${q}]` : '');
  const load = (c: number) => (CB === 4 ? `x[(pix + xo + ${c}u * p.CIN) / 4u]` : `x[pix + xo + ${c}u * p.CIN]`);
  const full = range(KW).map((c) => `      xw${c} = ${load(c)};`).join('\n');
  const slide =
    range(KW)
      .map((c) => (c + SW < KW ? `      xw${c} = xw${c + SW};` : `      xw${c} = ${load(c)};`))
      .join('\n');
  const R = KW * CB;
  const fmas: string[] = [];
  for (let kw = 0; kw < KW; kw++)
    for (let q = 0; q < CB; q++) {
      const r = kw * CB + q;
      fmas.push(`    { let a = xw${kw}${comp(q)};`);
      for (let j = 0; j < TN; j++) fmas.push(`      acc${r}_${j} = fma(a, b${j}, acc${r}_${j});`);
      fmas.push('    }');
    }
  const epilogue = range(KW)
    .flatMap((kw) =>
      range(CB).map((q) => {
        const r = kw * CB + q;
        const stores = range(TN)
          .map((j) => `    if (c0 + ${j}u < p.NCOLS) { part[o + ${j}u] = acc${r}_${j}; }`)
          .join('\n');
        return `  {
    let o = (s * p.Kg + (kh * ${KW}u + ${kw}u) * p.Cg + cbl * ${CB}u + ${q}u) * p.COUT + g * p.NCOLS + c0;
${stores}
  }`;
      }),
    )
    .join('\n');
  const vt = CB === 4 ? 'vec4<f32>' : 'f32';
  return defineKernel(
    {
      name: `conv-wgrad-row-k${KW}s${SW}c${CB}x${TN}${sgc ? '-sg' + sgc : ''}`,
      enables: enables(sgc),
      overrides: { WG: ['u32', 32] },
      workgroupSize: ['WG'],
      uniforms: CONV_WGRAD_UNIFORMS,
      bindings: { x: ['read', vt] as const, gy: 'read', part: 'read_write' },
    },
    /* wgsl */ `
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${subgroupBuiltin(sgc)}) {
  let lane = wid.x * WG + lid;
  let s = wid.y;
  let g = wid.z / p.NCB;
  let c0 = (wid.z - g * p.NCB) * ${TN}u;
  let valid = lane < p.LANES;
  let lc = min(lane, p.LANES - 1u);
  let nblk = p.Cg / ${CB}u;
  let kh = lc / nblk;
  let cbl = lc - kh * nblk;
  let xo = kh * p.inW * p.CIN + g * p.Cg + cbl * ${CB}u;
${columnIndices('g * p.NCOLS', 'c0', 'p.NCOLS', TN, sgc)}
${range(R).map((r) => '  ' + range(TN).map((j) => `var acc${r}_${j} = 0.0;`).join(' ')).join('\n')}
${range(KW).map((c) => `  var xw${c}: ${vt};`).join('\n')}
${CHUNK_START}
  var pix = ((n * p.inH + oy * p.SU) * p.inW + ox * ${SW}u) * p.CIN;
  var fresh = true;
  var grow = m0 * p.COUT;
  for (var m = m0; m < m1; m++) {
    if (fresh) {
${full}
    } else {
${slide}
    }
${sharedColumns('gy', 'grow', TN, sgc)}
${fmas.join('\n')}
    grow += p.COUT;
    ox += 1u;
    pix += ${SW}u * p.CIN;
    fresh = false;
    if (ox == p.OW) {
      ox = 0u;
      oy += 1u;
      if (oy == p.OH) { oy = 0u; n += 1u; }
      pix = (n * p.inH + oy * p.SU) * p.inW * p.CIN;
      fresh = true;
    }
  }
  if (valid) {
${epilogue}
  }
}
`,
  );
});
