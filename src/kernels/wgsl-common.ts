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
