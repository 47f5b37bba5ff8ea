/**
 * Sum over the middle axis of a [A, R, B] view: out[a, b] = alpha · Σ_r x[(a·R + r)·B + b].
 * One workgroup per output; its threads stride over r and combine in workgroup memory, so a
 * full reduction of millions of elements is not left to one thread.
 */
export const REDUCE_WGSL = /* wgsl */ `
override WG: u32 = 64u;
struct P { A: u32, R: u32, B: u32, alpha: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < p.A * p.B;
  var acc = 0.0;
  if (valid) {
    let a = o / p.B;
    let b = o % p.B;
    let base = a * p.R * p.B + b;
    for (var r = lid; r < p.R; r += WG) {
      acc += x[base + r * p.B];
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u && valid) { out[o] = p.alpha * partial[0]; }
}
`;
