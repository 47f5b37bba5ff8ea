/** WGSL of the convolution's data movement: zero padding and the data gradient's filter rearrangement. */
import { defineKernel, ofType } from '../spec.js';
import { bothWidths } from '../wgsl-common.js';

/**
 * Zero padding of an NHWC tensor: out [N, H+pt+pb, W+pl+pr, C] with the input at (pt, pl).
 * Invocation (x, y, z) = (element of the padded row, padded row, image): no integer
 * division (llvmpipe scalarises vector divisions, which would dominate a copy). Both widths
 * (bothWidths): `vec4` for C a multiple of 4 (C, and so every index, then counts vec4s).
 */
export const PAD = bothWidths((type) =>
  defineKernel(
    {
      name: type === 'f32' ? 'conv-pad' : 'conv-pad-vec4',
      overrides: { WG: ['u32', 256] },
      workgroupSize: ['WG'],
      uniforms: { H: 'u32', W: 'u32', C: 'u32', Wp: 'u32', pt: 'u32', pl: 'u32' },
      bindings: ofType({ src: 'read', dst: 'read_write' }, type),
    },
    /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let rowLen = p.Wp * p.C;
  let r = gid.x;
  if (r >= rowLen) { return; }
  let yp = gid.y;
  let n = gid.z;
  // Unsigned wrap-around makes positions above/left of the input huge, hence out of range.
  let yi = yp - p.pt;
  let e = r - p.pl * p.C;
  var v = ${type}(0.0);
  if (yi < p.H && e < p.W * p.C) { v = src[(n * p.H + yi) * p.W * p.C + e]; }
  dst[(n * nwg.y + yp) * rowLen + r] = v;
}
`,
  ),
);

/**
 * Rearranges w [KH, KW, Cg, Cout] for the data gradient: for each stride phase
 * (rh, rw) = (kh mod sh, kw mod sw), in row-major phase order, a block
 * [groups][Th][Tw][Coutg][Cg] holding the phase's taps flipped (t' = T − 1 − kh div sh),
 * output and input channels swapped. Th(rh) = ceil((KH − rh)/sh) taps.
 * Invocation (x, y, z) = (co, ci, kh·KW + kw).
 */
export const FLIP_WEIGHTS = defineKernel(
  {
    name: 'conv-flip',
    overrides: { WG: ['u32', 64] },
    workgroupSize: ['WG'],
    uniforms: { KH: 'u32', KW: 'u32', Cg: 'u32', Cout: 'u32', Coutg: 'u32', sh: 'u32', sw: 'u32', groups: 'u32' },
    bindings: { w: 'read', wt: 'read_write' },
  },
  /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let co = gid.x;
  if (co >= p.Cout) { return; }
  let ci = gid.y;
  let kh = gid.z / p.KW;
  let kw = gid.z - kh * p.KW;
  let rh = kh % p.sh;
  let rw = kw % p.sw;
  let th = taps(p.KH, rh, p.sh);
  let tw = taps(p.KW, rw, p.sw);
  let tfh = th - 1u - kh / p.sh;
  let tfw = tw - 1u - kw / p.sw;
  // Rows of the phases before (rh, rw): all kernel rows kh' with kh' mod sh < rh span all KW
  // columns; within row phase rh, the columns kw' with kw' mod sw < rw.
  var rowsBefore = 0u;
  for (var r = 0u; r < rh; r++) { rowsBefore += taps(p.KH, r, p.sh); }
  var colsBefore = 0u;
  for (var r = 0u; r < rw; r++) { colsBefore += taps(p.KW, r, p.sw); }
  let blk = p.Coutg * p.Cg;
  let phaseBase = (rowsBefore * p.KW + th * colsBefore) * p.groups * blk;
  let g = co / p.Coutg;
  let col = co - g * p.Coutg;
  let k = (tfh * tw + tfw) * p.Coutg + col;
  wt[phaseBase + g * th * tw * blk + k * p.Cg + ci] = w[(gid.z * p.Cg + ci) * p.Cout + co];
}
`,
  /* wgsl */ `
fn taps(k: u32, r: u32, s: u32) -> u32 { return select(0u, (k - r + s - 1u) / s, r < k); }
`,
);

/**
 * FLIP_WEIGHTS for stride 1 and one group (conv2–5 of AlexNet): one phase, so tap t of
 * w [T = KH·KW taps][Cin][Cout] goes to tap T − 1 − t of wt [T][Cout][Cin]. Invocation
 * (x, y) = (co, ci) loops over the taps: no integer division at all, where the general
 * kernel's per-invocation divisions (scalarised per lane by llvmpipe) made it take 12 ms
 * for conv4's 332k weights.
 */
export const FLIP_WEIGHTS_S1 = defineKernel(
  {
    name: 'conv-flip-s1',
    overrides: { WG: ['u32', 64] },
    workgroupSize: ['WG'],
    uniforms: { T: 'u32', Cin: 'u32', Cout: 'u32' },
    bindings: { w: 'read', wt: 'read_write' },
  },
  /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let co = gid.x;
  if (co >= p.Cout) { return; }
  let ci = gid.y;
  let tapIn = p.Cin * p.Cout;
  var src = ci * p.Cout + co;
  var dst = (p.T - 1u) * tapIn + co * p.Cin + ci;
  for (var t = 0u; t < p.T; t++) {
    wt[dst] = w[src];
    src += tapIn;
    dst -= tapIn;
  }
}
`,
);
