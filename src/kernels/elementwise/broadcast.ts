/** out[a, r, b] = alpha · g[a, b]: the backward of a sum over the middle axis. */
import { type GpuContext, grid2d } from '../context.js';
import { f32Bytes, launch } from '../spec.js';
import { BROADCAST_MIDDLE } from './elementwise.wgsl.js';

const WG = 256;

export function broadcastMiddle(ctx: GpuContext, g: GPUBuffer, out: GPUBuffer, A: number, R: number, B: number, alpha = 1): void {
  const n = A * R * B;
  launch(ctx, BROADCAST_MIDDLE, {
    label: `broadcast[${A}×${R}×${B}]`,
    constants: { WG },
    uniforms: { A, R, B, alpha },
    buffers: { g, out },
    need: { g: f32Bytes(A * B), out: f32Bytes(n) },
    workgroups: grid2d(Math.ceil(n / WG)),
  });
}
