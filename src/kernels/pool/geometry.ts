import { samePadding } from '../same-padding.js';

/**
 * Pooling geometry shared by the launchers, the autograd op and the reference.
 *
 * 'valid': out = floor((in − k)/s) + 1, no padding.
 * 'same' (TensorFlow's rule, ../same-padding.ts): out = ceil(in/s), floor(total/2) padding
 * before (top/left) and the rest, the odd one, after (bottom/right).
 * Padding never creates an all-padding window: total ≤ k − 1 because (out−1)·s < in.
 */
export interface Pool2dOptions {
  size: number | [number, number];
  /** Defaults to the window size (non-overlapping). */
  stride?: number | [number, number];
  padding?: 'valid' | 'same';
}

export interface PoolGeometry {
  N: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  padT: number;
  padL: number;
}

function pair(v: number | [number, number], what: string, op: string): [number, number] {
  const [a, b] = typeof v === 'number' ? [v, v] : v;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) {
    throw new Error(`${op}: ${what} must be positive integers, got ${JSON.stringify(v)}`);
  }
  return [a, b];
}

export function poolGeometry(inShape: readonly number[], opts: Pool2dOptions, op = 'maxPool2d'): PoolGeometry {
  if (inShape.length !== 4) throw new Error(`${op}: expected an NHWC input [N,H,W,C], got [${inShape.join('×')}]`);
  const [N, H, W, C] = inShape as [number, number, number, number];
  const [KH, KW] = pair(opts.size, 'size', op);
  const [SH, SW] = pair(opts.stride ?? opts.size, 'stride', op);
  const padding = opts.padding ?? 'valid';
  let OH: number, OW: number, padT = 0, padL = 0;
  if (padding === 'valid') {
    if (H < KH || W < KW) {
      throw new Error(`${op}: window ${KH}×${KW} larger than the input [${inShape.join('×')}] with 'valid' padding`);
    }
    OH = Math.floor((H - KH) / SH) + 1;
    OW = Math.floor((W - KW) / SW) + 1;
  } else if (padding === 'same') {
    ({ out: OH, before: padT } = samePadding(H, KH, SH));
    ({ out: OW, before: padL } = samePadding(W, KW, SW));
  } else {
    throw new Error(`${op}: unknown padding '${String(padding)}'`);
  }
  if (N < 1 || H < 1 || W < 1 || C < 1) throw new Error(`${op}: empty input [${inShape.join('×')}]`);
  return { N, H, W, C, OH, OW, KH, KW, SH, SW, padT, padL };
}

export function geometryLabel(g: PoolGeometry): string {
  return `[${g.N}×${g.H}×${g.W}×${g.C}] k${g.KH}×${g.KW} s${g.SH}×${g.SW} → [${g.N}×${g.OH}×${g.OW}×${g.C}]`;
}
