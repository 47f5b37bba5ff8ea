/** out[a, r, b] = alpha · g[a, b]: the backward of a sum over the middle axis. */
import { type GpuContext, grid2d, params } from '../context.js';
import { LINEAR_ID } from '../wgsl-common.js';

const WG = 256;
const BROADCAST_MIDDLE_WGSL = /* wgsl */ `
${LINEAR_ID}
override WG: u32 = 256u;
struct P { A: u32, R: u32, B: u32, alpha: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i >= p.A * p.R * p.B) { return; }
  let b = i % p.B;
  let a = i / (p.R * p.B);
  out[i] = p.alpha * g[a * p.B + b];
}
`;

export function broadcastMiddle(ctx: GpuContext, g: GPUBuffer, out: GPUBuffer, A: number, R: number, B: number, alpha = 1): void {
  const n = A * R * B;
  ctx.dispatch({
    label: `broadcast[${A}×${R}×${B}]`,
    pipeline: ctx.pipeline('broadcast-middle', BROADCAST_MIDDLE_WGSL, { WG }),
    params: params([A, R, B, { f32: alpha }]),
    buffers: [g, out],
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
