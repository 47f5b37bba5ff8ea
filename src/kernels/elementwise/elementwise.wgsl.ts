/**
 * Element-wise kernels. The unary and binary `switch`es are generated from their op lists
 * (the activations' cases from the pointwise table, ./pointwise.ts), so an op's id is its
 * position in the list the launcher also reads.
 */
import { elementKernel, switchCases } from '../wgsl-common.js';
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

/** Unary map out[i] = f(x[i]); OP selects f at pipeline creation. */
export const UNARY = elementKernel(
  { name: 'unary', overrides: OP_OVERRIDE, uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' }, bindings: { x: 'read', out: 'read_write' } },
  /* wgsl */ `
  let v = x[i];
  var r: f32;
  switch OP {
${switchCases(UNARY_CASES)}
    default: { r = v; }
  }
  out[i] = r;`,
  ACTIVATIONS_WGSL,
);

/**
 * Binary map out[i] = f(a[i], b[i % nb]): b broadcasts along the leading dimensions when
 * it is smaller (a bias over the last axis, a scalar).
 */
export const BINARY = elementKernel(
  {
    name: 'binary',
    overrides: OP_OVERRIDE,
    uniforms: { n: 'u32', nb: 'u32', alpha: 'f32', beta: 'f32' },
    bindings: { a: 'read', b: 'read', out: 'read_write' },
  },
  /* wgsl */ `
  let u = a[i];
  let v = b[i % p.nb];
  var r: f32;
  switch OP {
${switchCases(BINARY_CASES)}
    default: { r = u; }
  }
  out[i] = r;`,
  ACTIVATIONS_WGSL,
);

/** In-place accumulate dst[i] = alpha * dst[i] + beta * src[i]. */
export const AXPBY_INPLACE = elementKernel(
  { name: 'axpby-inplace', uniforms: { n: 'u32', alpha: 'f32', beta: 'f32' }, bindings: { src: 'read', dst: 'read_write' } },
  '  dst[i] = p.alpha * dst[i] + p.beta * src[i];',
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
