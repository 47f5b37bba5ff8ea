/**
 * Element-wise kernels. The unary and binary `switch`es are generated from their op lists
 * (the activations' cases from the pointwise table, ./pointwise.ts), so an op's id is its
 * position in the list the launcher also reads.
 */
import { ofType } from '../spec.js';
import { type ElementType, bothWidths, elementKernel, switchCases } from '../wgsl-common.js';
import { ACTIVATIONS, ACTIVATIONS_WGSL } from './pointwise.js';

/** Unary maps besides the activations: WGSL statements setting r from v (and p.alpha, p.beta). */
const UNARY_MAPS = {
  copy: 'r = v;',
  affine: 'r = p.alpha * v + p.beta;',
  square: 'r = v * v;',
} as const;

/** Binary maps besides the activation backwards: r from u = a[i], v = b[i % nb]. */
const BINARY_MAPS = {
  axpby: 'r = p.alpha * u + p.beta * v;', // add: 1,1; sub: 1,-1
  mul: 'r = u * v;',
} as const;

/** Case bodies of the unary switch, in id order: the maps, then every activation. */
export const UNARY_CASES: Readonly<Record<string, string>> = {
  ...UNARY_MAPS,
  ...Object.fromEntries(ACTIVATIONS.map((a) => [a.name, `r = act_${a.name}(v);`])),
};

/** Case bodies of the binary switch: the maps, then every activation's backward (u = dy, v = x or y). */
export const BINARY_CASES: Readonly<Record<string, string>> = {
  ...BINARY_MAPS,
  ...Object.fromEntries(ACTIVATIONS.map((a) => [`${a.name}Backward`, `r = act_${a.name}_backward(u, v);`])),
};

const OP_OVERRIDE = { OP: ['u32', 0] } as const;

/** The unary map f selected by the OP override (folded at pipeline creation). */
const UNARY_FN = /* wgsl */ `
fn unary_op(v: f32) -> f32 {
  var r: f32;
  switch OP {
${switchCases(UNARY_CASES)}
    default: { r = v; }
  }
  return r;
}
`;

/** The binary map f(u, v) selected by OP. */
const BINARY_FN = /* wgsl */ `
fn binary_op(u: f32, v: f32) -> f32 {
  var r: f32;
  switch OP {
${switchCases(BINARY_CASES)}
    default: { r = u; }
  }
  return r;
}
`;

/**
 * Element-wise kernels come in two widths from one map (bothWidths): `scalar`, one float per
 * invocation, and `vec4`, four (p.n and p.nb then count vec4s), which the launchers take when
 * the lengths are multiples of 4 (vecWidth).
 */
const perComponent = (call: (c: string) => string) => `vec4<f32>(${['x', 'y', 'z', 'w'].map(call).join(', ')})`;
const suffix = (type: ElementType) => (type === 'f32' ? '' : '-vec4');

/** Unary map out[i] = f(x[i]); OP selects f at pipeline creation. */
export const UNARY = bothWidths((type) =>
  elementKernel(
    { name: `unary${suffix(type)}`, overrides: OP_OVERRIDE, uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' }, bindings: ofType({ x: 'read', out: 'read_write' }, type) },
    type === 'f32' ? '  out[i] = unary_op(x[i]);' : `  let v = x[i];\n  out[i] = ${perComponent((c) => `unary_op(v.${c})`)};`,
    ACTIVATIONS_WGSL + UNARY_FN,
  ),
);

/**
 * Binary map out[i] = f(a[i], b[i % nb]): b broadcasts along the leading dimensions when
 * it is smaller (a bias over the last axis, a scalar).
 */
export const BINARY = bothWidths((type) =>
  elementKernel(
    {
      name: `binary${suffix(type)}`,
      overrides: OP_OVERRIDE,
      uniforms: { n: 'u32', nb: 'u32', alpha: 'f32', beta: 'f32' },
      bindings: ofType({ a: 'read', b: 'read', out: 'read_write' }, type),
    },
    type === 'f32'
      ? '  out[i] = binary_op(a[i], b[i % p.nb]);'
      : `  let u = a[i];\n  let v = b[i % p.nb];\n  out[i] = ${perComponent((c) => `binary_op(u.${c}, v.${c})`)};`,
    ACTIVATIONS_WGSL + BINARY_FN,
  ),
);

/** In-place accumulate dst[i] = alpha * dst[i] + beta * src[i]. */
export const AXPBY_INPLACE = bothWidths((type) =>
  elementKernel(
    { name: `axpby-inplace${suffix(type)}`, uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' }, bindings: ofType({ src: 'read', dst: 'read_write' }, type) },
    '  dst[i] = p.alpha * dst[i] + p.beta * src[i];',
  ),
);

/**
 * out[i] = value. Its own shader because it binds only `out`: the unary map would bind the
 * same buffer read-only and read-write in one dispatch, which WebGPU rejects.
 */
export const FILL = elementKernel(
  { name: 'fill', uniforms: { n: 'u32', value: 'f32' }, bindings: { out: 'read_write' } },
  '  out[i] = p.value;',
);

/** out[a, r, b] = alpha · g[a, b]: the backward of a sum over the middle axis. */
export const BROADCAST_MIDDLE = elementKernel(
  {
    name: 'broadcast-middle',
    uniforms: { A: 'u32', R: 'u32', B: 'u32', alpha: 'f32' },
    bindings: { g: 'read', out: 'read_write' },
    count: 'p.A * p.R * p.B',
  },
  /* wgsl */ `
  let b = i % p.B;
  let a = i / (p.R * p.B);
  out[i] = p.alpha * g[a * p.B + b];`,
);
