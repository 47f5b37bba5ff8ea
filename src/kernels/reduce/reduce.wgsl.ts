/**
 * Sum over the middle axis of a [A, R, B] view: out[a, b] = alpha · Σ_r x[(a·R + r)·B + b].
 * One workgroup per output; its threads stride over r and combine in workgroup memory, so a
 * full reduction of millions of elements is not left to one thread.
 */
import { defineKernel } from '../spec.js';
import { WORKGROUP_SUM, elementKernel } from '../wgsl-common.js';

export const REDUCE = defineKernel(
  {
    name: 'reduce',
    overrides: { WG: ['u32', 64] },
    workgroupSize: ['WG'],
    uniforms: { A: 'u32', R: 'u32', B: 'u32', alpha: 'f32' },
    bindings: { x: 'read', out: 'read_write' },
  },
  /* wgsl */ `
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
  let total = workgroup_sum(lid, acc);
  if (lid == 0u && valid) { out[o] = p.alpha * total; }
}`,
  WORKGROUP_SUM,
);

/**
 * out[i] = Σ_s x[s·L + i]: sums S stacked blocks of L values (the weight gradient's chunk
 * partials), one invocation per output, s in order.
 */
export const SUM_LEADING = elementKernel(
  { name: 'sum-leading', uniforms: { L: 'u32', S: 'u32' }, bindings: { part: 'read', out: 'read_write' }, count: 'p.L' },
  /* wgsl */ `
  var s = 0.0;
  for (var k = 0u; k < p.S; k++) { s += part[k * p.L + i]; }
  out[i] = s;`,
);
