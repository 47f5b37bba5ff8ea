/**
 * The launch both weight-gradient kernels share (software: conv2d-wgrad.wgsl.ts, tiled:
 * conv2d-tiled.wgsl.ts): the pixel reduction split into S chunks of CHUNK pixels, each
 * writing a partial dw into its own slice, then summed by sumLeading. The kernels differ in
 * their tiles and grids, not in their uniforms or bindings, so those live here once.
 */
import type { GpuContext } from '../context.js';
import { sumLeading } from '../reduce/reduce.js';
import { f32Bytes, type Kernel, launch } from '../spec.js';
import type { Conv2dGeometry } from './geometry.js';

type WgradUniform = 'M' | 'OH' | 'OW' | 'Kg' | 'inH' | 'inW' | 'CIN' | 'Cg' | 'SU' | 'SV' | 'KW' | 'NCOLS' | 'COUT' | 'NCB' | 'CHUNK' | 'LANES';

export interface WgradSplit {
  label: string;
  /** Pixels of the reduction (N·OH·OW), rows k of one group (KH·KW·Cg), column blocks. */
  M: number;
  Kg: number;
  NCB: number;
  /** Chunks and pixels per chunk (S·CHUNK ≥ M). */
  S: number;
  CHUNK: number;
  /** Invocations per (k, column block) lane group: the software row kernel's; 0 for others. */
  lanes: number;
  constants?: Record<string, number>;
  workgroups: [number, number, number];
}

export function launchWgradSplit(
  ctx: GpuContext,
  kernel: Kernel<'x' | 'gy' | 'part', WgradUniform>,
  g: Conv2dGeometry,
  xp: GPUBuffer,
  gy: GPUBuffer,
  dw: GPUBuffer,
  s: WgradSplit,
): void {
  const L = s.Kg * g.Cout;
  const part = s.S > 1 ? ctx.newStorage(s.S * L * 4, 'conv2d-dw-partial') : dw;
  launch(ctx, kernel, {
    label: s.label,
    constants: s.constants,
    uniforms: {
      M: s.M, OH: g.OH, OW: g.OW, Kg: s.Kg, inH: g.Hp, inW: g.Wp, CIN: g.Cin, Cg: g.Cg, SU: g.sh, SV: g.sw, KW: g.KW,
      NCOLS: g.Coutg, COUT: g.Cout, NCB: s.NCB, CHUNK: s.CHUNK, LANES: s.lanes,
    },
    buffers: { x: xp, gy, part },
    need: { x: f32Bytes(g.N * g.Hp * g.Wp * g.Cin), gy: f32Bytes(s.M * g.Cout), part: f32Bytes(s.S * L) },
    workgroups: s.workgroups,
  });
  if (s.S > 1) {
    sumLeading(ctx, part, dw, s.S, L, `${s.label} sum of ${s.S} partials`);
    ctx.releaseLater(part);
  }
}
