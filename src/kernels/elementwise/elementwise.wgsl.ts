import { LINEAR_ID } from '../wgsl-common.js';

/** Unary map out[i] = f(x[i]); OP selects f at pipeline creation. */
export const UNARY_WGSL = /* wgsl */ `
${LINEAR_ID}
override OP: u32 = 0u;
override WG: u32 = 256u;
struct P { n: u32, alpha: f32, beta: f32, _pad: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= p.n) { return; }
  let v = x[i];
  var r: f32;
  switch OP {
    case 0u: { r = v; }                               // copy
    case 1u: { r = max(v, 0.0); }                     // relu
    case 2u: {                                        // sigmoid, stable both ways
      if (v >= 0.0) { r = 1.0 / (1.0 + exp(-v)); } else { let e = exp(v); r = e / (1.0 + e); }
    }
    case 3u: { r = p.alpha * v + p.beta; }            // affine (scale)
    case 4u: { r = v * v; }                           // square
    default: { r = v; }
  }
  out[i] = r;
}
`;

/**
 * Binary map out[i] = f(a[i], b[i % nb]): b broadcasts along the leading dimensions when
 * it is smaller (a bias over the last axis, a scalar).
 */
export const BINARY_WGSL = /* wgsl */ `
${LINEAR_ID}
override OP: u32 = 0u;
override WG: u32 = 256u;
struct P { n: u32, nb: u32, alpha: f32, beta: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= p.n) { return; }
  let u = a[i];
  let v = b[i % p.nb];
  var r: f32;
  switch OP {
    case 0u: { r = p.alpha * u + p.beta * v; }         // axpby (add: 1,1; sub: 1,-1)
    case 1u: { r = u * v; }                            // multiply
    case 2u: { r = select(0.0, u, v > 0.0); }          // relu backward: dy * [x > 0]
    case 3u: { r = u * v * (1.0 - v); }                // sigmoid backward: dy * y(1-y)
    default: { r = u; }
  }
  out[i] = r;
}
`;

/** In-place accumulate dst[i] = alpha * dst[i] + beta * src[i]. */
export const AXPBY_INPLACE_WGSL = /* wgsl */ `
${LINEAR_ID}
override WG: u32 = 256u;
struct P { n: u32, _pad: u32, alpha: f32, beta: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= p.n) { return; }
  dst[i] = p.alpha * dst[i] + p.beta * src[i];
}
`;

/**
 * out[i] = value. Its own shader because it binds only `out`: the unary map would bind the
 * same buffer read-only and read-write in one dispatch, which WebGPU rejects.
 */
export const FILL_WGSL = /* wgsl */ `
${LINEAR_ID}
override WG: u32 = 256u;
struct P { n: u32, value: f32, _p0: u32, _p1: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= p.n) { return; }
  out[i] = p.value;
}
`;
