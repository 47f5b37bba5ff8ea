/**
 * Shape arithmetic of the 2-D convolution, shared by the kernels, the float64 reference and
 * the differentiable op: padding rules, output size, validation with errors that name the
 * op and the shapes.
 *
 * Layouts: x [N, H, W, Cin] (NHWC), w [KH, KW, Cin/groups, Cout] (HWIO), y [N, OH, OW, Cout].
 * Output channel co belongs to group floor(co / (Cout/groups)) and reads that group's input
 * channels, as in PyTorch's and Keras's grouped convolutions.
 */
import type { ActivationOption } from '../elementwise/pointwise.js';
import { samePadding } from '../same-padding.js';

/**
 * 'valid': no padding. 'same': TensorFlow's rule (../same-padding.ts; the odd extra
 * row/column at the bottom/right).
 * number / [padH, padW]: symmetric, like PyTorch. [top, bottom, left, right]: explicit.
 */
export type Padding = 'valid' | 'same' | number | [number, number] | [number, number, number, number];

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: Padding;
  groups?: number;
  /** Fused ReLU epilogue: y = max(conv + b, 0) (the same as activation: 'relu'). */
  relu?: boolean;
  /** Fused activation epilogue from the pointwise table (default linear). */
  activation?: ActivationOption;
}

export interface Conv2dGeometry {
  N: number;
  H: number;
  W: number;
  Cin: number;
  KH: number;
  KW: number;
  Cout: number;
  groups: number;
  /** Input channels per group (= w.shape[2]). */
  Cg: number;
  /** Output channels per group. */
  Coutg: number;
  sh: number;
  sw: number;
  padT: number;
  padB: number;
  padL: number;
  padR: number;
  OH: number;
  OW: number;
  /** Padded input size. */
  Hp: number;
  Wp: number;
  /** The fused activation is ReLU. */
  relu: boolean;
  /** The fused activation ('relu' when relu is set). */
  activation: ActivationOption;
}

const fmt = (s: readonly number[]) => `[${s.join('×')}]`;

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Resolves and validates shapes and options; throws Errors naming conv2d and the shapes. */
export function conv2dGeometry(inShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): Conv2dGeometry {
  const what = `conv2d(x ${fmt(inShape)}, w ${fmt(wShape)})`;
  if (inShape.length !== 4) throw new Error(`${what}: input must be rank 4 [N, H, W, Cin], got rank ${inShape.length}`);
  if (wShape.length !== 4) throw new Error(`${what}: kernel must be rank 4 [KH, KW, Cin/groups, Cout], got rank ${wShape.length}`);
  for (const d of [...inShape, ...wShape]) {
    if (!Number.isInteger(d) || d <= 0) throw new Error(`${what}: dimensions must be positive integers`);
  }
  const [N, H, W, Cin] = inShape as [number, number, number, number];
  const [KH, KW, Cg, Cout] = wShape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${what}: groups must be a positive integer, got ${groups}`);
  if (Cin % groups !== 0 || Cout % groups !== 0) {
    throw new Error(`${what}: Cin ${Cin} and Cout ${Cout} must be divisible by groups ${groups}`);
  }
  if (Cg !== Cin / groups) {
    throw new Error(`${what}: kernel has ${Cg} input channels but the input has ${Cin} channels${groups > 1 ? ` in ${groups} groups (${Cin / groups} per group)` : ''}`);
  }
  const [sh, sw] = typeof opts.stride === 'number' || opts.stride === undefined ? [opts.stride ?? 1, opts.stride ?? 1] : opts.stride;
  if (!Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1) {
    throw new Error(`${what}: stride must be positive integers, got ${JSON.stringify(opts.stride)}`);
  }
  if (opts.relu && opts.activation !== undefined && opts.activation !== 'relu') {
    throw new Error(`${what}: relu and activation '${opts.activation}' both given`);
  }
  const activation: ActivationOption = opts.relu ? 'relu' : (opts.activation ?? 'linear');
  const padding = opts.padding ?? 'valid';
  let padT = 0, padB = 0, padL = 0, padR = 0;
  let OH: number, OW: number;
  if (padding === 'same') {
    ({ out: OH, before: padT, after: padB } = samePadding(H, KH, sh));
    ({ out: OW, before: padL, after: padR } = samePadding(W, KW, sw));
  } else {
    if (padding === 'valid') {
      // no padding
    } else if (typeof padding === 'number') {
      padT = padB = padL = padR = padding;
    } else if (Array.isArray(padding) && padding.length === 2) {
      [padT, padB, padL, padR] = [padding[0], padding[0], padding[1], padding[1]];
    } else if (Array.isArray(padding) && padding.length === 4) {
      [padT, padB, padL, padR] = padding;
    } else {
      throw new Error(`${what}: unknown padding ${JSON.stringify(padding)}`);
    }
    if (![padT, padB, padL, padR].every(isNonNegInt)) {
      throw new Error(`${what}: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
    }
    if (H + padT + padB < KH || W + padL + padR < KW) {
      throw new Error(`${what}: kernel ${KH}×${KW} is larger than the padded input ${H + padT + padB}×${W + padL + padR}`);
    }
    OH = Math.floor((H + padT + padB - KH) / sh) + 1;
    OW = Math.floor((W + padL + padR - KW) / sw) + 1;
  }
  return {
    N, H, W, Cin, KH, KW, Cout, groups, Cg, Coutg: Cout / groups, sh, sw,
    padT, padB, padL, padR, OH, OW, Hp: H + padT + padB, Wp: W + padL + padR,
    relu: activation === 'relu',
    activation,
  };
}

export function describeGeometry(g: Conv2dGeometry): string {
  const pad = g.padT || g.padB || g.padL || g.padR ? ` pad ${g.padT},${g.padB},${g.padL},${g.padR}` : '';
  return `[${g.N}×${g.H}×${g.W}×${g.Cin}] * [${g.KH}×${g.KW}×${g.Cg}×${g.Cout}] /${g.sh},${g.sw}${pad}${g.groups > 1 ? ` g${g.groups}` : ''}`;
}
