/**
 * WGSL snippets shared by kernels. WGSL lives in `*.wgsl.ts` modules that export the
 * source as a string: that loads unchanged under tsx, vitest and esbuild (Node and the
 * browser) without a custom loader, and the text stays plain WGSL.
 */

/** Linear invocation index for 1-D work laid out on a 2-D grid of workgroups (see grid2d). */
export const LINEAR_ID = /* wgsl */ `
fn linear_id(gid: vec3<u32>, nwg: vec3<u32>, wg: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg;
}
`;

/**
 * Tree sum of one value per invocation across a workgroup of WG (a power of two)
 * invocations, through workgroup memory; every invocation must call it (it has barriers).
 * Returns the total (meaningful in invocation 0; all of them read partial[0] after the last
 * barrier, so every invocation gets it).
 */
export const WORKGROUP_SUM = /* wgsl */ `
var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(lid: u32, v: f32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  return partial[0];
}
`;
