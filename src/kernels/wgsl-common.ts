/**
 * WGSL snippets shared by kernels. WGSL lives in `*.wgsl.ts` modules that export the
 * source as a string: that loads unchanged under tsx, vitest and esbuild (Node and the
 * browser) without a custom loader, and the text stays plain WGSL.
 */
import { defineKernel, type Kernel, type KernelSpec } from './spec.js';

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

/**
 * Floats per invocation of a kernel that comes in two widths: 4 (its vec4 variant) when every
 * length it indexes by is a multiple of 4, else 1. On lavapipe a load or store costs per lane
 * whatever its width, so four floats per access nearly halve an all-memory kernel.
 */
export function vecWidth(...lengths: number[]): 1 | 4 {
  return lengths.every((n) => n % 4 === 0) ? 4 : 1;
}

export type ElementType = 'f32' | 'vec4<f32>';

/** One kernel text at both widths (`make` gets the element type of its bindings). */
export function bothWidths<K>(make: (type: ElementType) => K): { scalar: K; vec4: K } {
  return { scalar: make('f32'), vec4: make('vec4<f32>') };
}

/** The variant of `kernels` for width w (see vecWidth). */
export function atWidth<K>(kernels: { scalar: K; vec4: K }, w: 1 | 4): K {
  return w === 4 ? kernels.vec4 : kernels.scalar;
}

type ElementSpec<B extends string, U extends string> = Omit<KernelSpec<B, U>, 'workgroupSize' | 'overrides'> & {
  overrides?: KernelSpec['overrides'];
  /** WGSL expression of the number of invocations with work (default p.n). */
  count?: string;
};

/**
 * A kernel with one invocation per element on a 2-D grid of 1-D workgroups (grid2d):
 * `body` runs with `i`, the element index, already bounds-checked. Workgroup size: the WG
 * override (default 256).
 */
export function elementKernel<B extends string, U extends string>(spec: ElementSpec<B, U>, body: string, helpers = ''): Kernel<B, U> {
  const { count = 'p.n', overrides, ...rest } = spec;
  return defineKernel(
    { ...rest, overrides: { WG: ['u32', 256], ...overrides }, workgroupSize: ['WG'] },
    /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= ${count}) { return; }
${body.replace(/^\n+|\s+$/g, '')}
}`,
    LINEAR_ID + helpers,
  );
}

/**
 * The `case`s of a WGSL switch from named bodies: a name's case number is its position in
 * the record, so launchers look ids up (caseId) instead of keeping numbers in step by hand.
 */
export function switchCases(cases: Readonly<Record<string, string>>): string {
  return Object.entries(cases)
    .map(([name, body], k) => `    case ${k}u: { // ${name}\n      ${body.trim()}\n    }`)
    .join('\n');
}

/** The case number of `name` in a switchCases record. */
export function caseId(cases: Readonly<Record<string, string>>, name: string): number {
  const k = Object.keys(cases).indexOf(name);
  if (k < 0) throw new Error(`no case '${name}' (have ${Object.keys(cases).join(', ')})`);
  return k;
}
