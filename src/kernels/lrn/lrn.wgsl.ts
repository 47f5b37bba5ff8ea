/**
 * Local response normalisation across channels (NHWC: the channel window is contiguous).
 *
 *   d_c = k + α'·Σ_{c' ∈ W(c)} a_{c'}²,   b_c = a_c · d_c^(−β),
 *   W(c) = [c − LO, c + HI] ∩ [0, C), LO = ⌊n/2⌋, HI = ⌊(n−1)/2⌋ (symmetric for odd n;
 *   PyTorch's placement for even n). α' = α ('sum', TensorFlow, AlexNet) or α/n ('mean',
 *   PyTorch — it divides by n even where the window is clipped at the edges).
 *
 * Backward (exact): with u_c = d_c^(−β) and t_c = dy_c · a_c · u_c / d_c,
 *   dx_j = dy_j · u_j − 2α'β · a_j · Σ_{c : j ∈ W(c)} t_c,   {c : j ∈ W(c)} = [j − HI, j + LO].
 * Two kernels: (t, u), then dx from t's mirrored window — one pow per element in all.
 *
 * Vector variant (C a multiple of 4 and LO, HI ≤ 4, i.e. n ≤ 9, AlexNet's n = 5): one
 * invocation per pixel and group of 4 channels loads the group and its two neighbours as
 * vec4s and forms the 4 window sums from registers with expressions generated here for the
 * baked-in LO/HI (no loops, no dynamic indexing); integer divisions and loads are shared by
 * 4 channels. Otherwise a scalar variant, one invocation per element, loops over the window.
 */
import { kernelCache, ofType } from '../spec.js';
import { elementKernel } from '../wgsl-common.js';

/** n: invocations; CL: channel groups per pixel (C / lanes). */
const LRN_UNIFORMS = { n: 'u32', CL: 'u32', LO: 'u32', HI: 'u32', k: 'f32', alpha: 'f32', beta: 'f32' } as const;

function lrnKernel<B extends string>(name: string, v: LrnVariant, bindings: Record<B, 'read' | 'read_write'>, body: string) {
  const T = v.lanes === 4 ? 'vec4<f32>' : 'f32';
  return elementKernel(
    { name: v.lanes === 4 ? `${name}-x4-${v.lo}-${v.hi}` : `${name}-x1`, uniforms: LRN_UNIFORMS, bindings: ofType(bindings, T) },
    body,
    `alias T = ${T};\n`,
  );
}

export interface LrnVariant {
  /** 4: vec4 groups with window half-widths lo, hi baked in; 1: scalar, window from params. */
  lanes: 1 | 4;
  lo: number;
  hi: number;
}

export function lrnVariant(C: number, lo: number, hi: number): LrnVariant {
  return C % 4 === 0 && lo <= 4 && hi <= 4 ? { lanes: 4, lo, hi } : { lanes: 1, lo: 0, hi: 0 };
}

/**
 * WGSL statements that define `name` = Σ over the window [c − A, c + B] of `arr` (squared
 * if `square`) for the 4 channels of group `g` at vec4 index `i`; zeros stand for channels
 * outside [0, C), which clips the window.
 */
function vecWindowSum(name: string, arr: string, square: boolean, A: number, B: number): string {
  const comp = (k: number) => `${name}_${['p', 'c', 'n'][k >> 2]}.${'xyzw'[k & 3]}`;
  const sums = [0, 1, 2, 3].map((j) => {
    const terms: string[] = [];
    for (let k = 4 + j - A; k <= 4 + j + B; k++) terms.push(comp(k));
    return terms.join(' + ');
  });
  const sq = (v: string) => (square ? `${v} * ${v}` : v);
  return /* wgsl */ `
  var ${name}_pv = vec4<f32>(0.0);
  if (g > 0u) { ${name}_pv = ${arr}[i - 1u]; }
  var ${name}_nv = vec4<f32>(0.0);
  if (g + 1u < p.CL) { ${name}_nv = ${arr}[i + 1u]; }
  let ${name}_cv = ${arr}[i];
  let ${name}_p = ${sq(`${name}_pv`)};
  let ${name}_c = ${sq(`${name}_cv`)};
  let ${name}_n = ${sq(`${name}_nv`)};
  let ${name} = vec4<f32>(${sums.join(', ')});`;
}

/** Scalar: `name` = Σ over [c − A, c + B] ∩ [0, C) of `arr` (squared if `square`). */
function scalarWindowSum(name: string, arr: string, square: boolean, A: string, B: string): string {
  return /* wgsl */ `
  let ${name}_c0 = select(0u, g - ${A}, g >= ${A});
  let ${name}_c1 = min(g + ${B}, p.CL - 1u);
  var ${name} = 0.0;
  for (var cc = ${name}_c0; cc <= ${name}_c1; cc++) {
    let v = ${arr}[i - g + cc];
    ${square ? `${name} = fma(v, v, ${name});` : `${name} += v;`}
  }`;
}

function windowSum(v: LrnVariant, name: string, arr: string, square: boolean, mirrored: boolean): string {
  if (v.lanes === 4) return vecWindowSum(name, arr, square, mirrored ? v.hi : v.lo, mirrored ? v.lo : v.hi);
  return scalarWindowSum(name, arr, square, mirrored ? 'p.HI' : 'p.LO', mirrored ? 'p.LO' : 'p.HI');
}

/** d = k + α'·Σ_{window} x² of element i (channel group g). */
function denominator(v: LrnVariant): string {
  return /* wgsl */ `
  let g = i % p.CL;
  ${windowSum(v, 's', 'x', true, false)}
  let d = p.k + p.alpha * s;`;
}

export const lrnForwardKernel = kernelCache((v: LrnVariant) =>
  lrnKernel('lrn-fwd', v, { x: 'read', y: 'read_write' }, /* wgsl */ `
${denominator(v)}
  y[i] = x[i] * pow(d, T(-p.beta));
`),
);

/** t = dy · a · d^(−β) / d and u = d^(−β). */
export const lrnBackwardTKernel = kernelCache((v: LrnVariant) =>
  lrnKernel('lrn-bwd-t', v, { x: 'read', dy: 'read', t: 'read_write', u: 'read_write' }, /* wgsl */ `
${denominator(v)}
  let ui = pow(d, T(-p.beta));
  u[i] = ui;
  t[i] = dy[i] * x[i] * ui / d;
`),
);

/** dx = dy · u − 2α'β · a · Σ_{mirrored window} t. */
export const lrnBackwardDxKernel = kernelCache((v: LrnVariant) =>
  lrnKernel('lrn-bwd-dx', v, { x: 'read', dy: 'read', t: 'read', u: 'read', dx: 'read_write' }, /* wgsl */ `
  let g = i % p.CL;
  ${windowSum(v, 's', 't', false, true)}
  dx[i] = dy[i] * u[i] - (2.0 * p.alpha * p.beta) * x[i] * s;
`),
);
