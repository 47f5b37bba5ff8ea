/**
 * Max pooling over NHWC activations.
 *
 * Forward: one invocation per output pixel and group of L channels (L = 4 as vec4 when C is
 * a multiple of 4 — every AlexNet layer — else 1), so the index arithmetic (integer
 * divisions, which lavapipe runs lane by lane) is shared by 4 channels and the loads are
 * 16-byte vectors; adjacent invocations read adjacent channels of the same pixel. It scans
 * its window in row-major order and keeps the FIRST maximum (strict `>`), PyTorch's tie
 * rule; padded cells are skipped, so they never win. With saveArgmax the winner's
 * window-local index (kh·KW + kw) goes to `argmax` for the backward.
 *
 * Backward is a gather, not a scatter: one invocation per INPUT pixel and channel group
 * visits the few outputs whose window covers it and adds the gradients of those whose
 * argmax it is. Every input is written exactly once in a fixed order: deterministic, no
 * atomics, no zero-fill.
 *
 * Index arithmetic is kept small because lavapipe runs integer division lane by lane: a 3-D
 * grid (pixel row × channel groups, row, image) leaves one division, and window and stride
 * are override constants, so divisions by the stride become shifts. (Measured on lavapipe,
 * [8,54,54,48] 3×3/2: scalar per-element kernels 36 ms forward / 138 ms backward; vec4
 * ~3 / ~9 ms; the grid and constants shave the backward further — noisy, shared machine.)
 *
 * The lane count and the argmax write are baked into the source (not override constants):
 * they change the array element types, and layout 'auto' needs every declared binding used.
 */
import { type Access, type BindingDecl, type Kernel, defineKernel, kernelCache } from '../spec.js';

// CL: channel groups per pixel (C / lanes); all indices below count groups.
const POOL_UNIFORMS = { N: 'u32', H: 'u32', W: 'u32', CL: 'u32', OH: 'u32', OW: 'u32', padT: 'u32', padL: 'u32' } as const;
// Window and stride are override constants: divisions by them become shifts and multiplies.
const POOL_OVERRIDES = { WG: ['u32', 64], KH: ['u32'], KW: ['u32'], SH: ['u32'], SW: ['u32'] } as const;

const vecType = (lanes: 1 | 4, s: 'f32' | 'u32') => (lanes === 4 ? `vec4<${s}>` : s);

/**
 * A pooling kernel: the pooling uniforms and overrides; bindings hold T (lanes floats) or
 * U (lanes u32s) per pixel and channel group; `T` and `U` are also aliases in the body.
 */
export function poolKernel<B extends string>(
  name: string,
  lanes: 1 | 4,
  bindings: Record<B, readonly [Access, 'T' | 'U']>,
  main: string,
  helpers = '',
): Kernel<B, keyof typeof POOL_UNIFORMS> {
  const types = { T: vecType(lanes, 'f32'), U: vecType(lanes, 'u32') };
  const decl = {} as Record<B, BindingDecl>;
  for (const [b, [access, t]] of Object.entries(bindings) as [B, readonly [Access, 'T' | 'U']][]) decl[b] = [access, types[t]];
  return defineKernel(
    { name: `${name}-x${lanes}`, overrides: POOL_OVERRIDES, workgroupSize: ['WG'], uniforms: POOL_UNIFORMS, bindings: decl },
    main,
    `alias T = ${types.T};\nalias U = ${types.U};\n${helpers}`,
  );
}

/**
 * Entry point over the output grid (x = ow·CL + c, y = oh, z = n) or the input grid
 * (w, h): one integer division instead of three.
 */
function gridMain(W: 'OW' | 'W', w: 'ow' | 'w', h: 'oh' | 'h'): string {
  return /* wgsl */ `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= p.${W} * p.CL) { return; }
  let c = gid.x % p.CL;
  let ${w} = gid.x / p.CL;
  let ${h} = gid.y;
  let n = gid.z;`;
}
export const OUTPUT_GRID_MAIN = gridMain('OW', 'ow', 'oh');
export const INPUT_GRID_MAIN = gridMain('W', 'w', 'h');

export const maxPoolForwardKernel = kernelCache((saveArgmax: boolean, lanes: 1 | 4) =>
  poolKernel(
    `maxpool-fwd${saveArgmax ? '-argmax' : ''}`,
    lanes,
    // Without saveArgmax there is no argmax binding (layout 'auto' needs every declared
    // binding used); launch binds only the spec's names, so the launcher may still pass one.
    {
      x: ['read', 'T'],
      y: ['read_write', 'T'],
      ...(saveArgmax ? { argmax: ['read_write', 'U'] as const } : {}),
    } as Record<'x' | 'y' | 'argmax', readonly [Access, 'T' | 'U']>,
    forwardMain(saveArgmax),
  ),
);

function forwardMain(saveArgmax: boolean): string {
  return /* wgsl */ `
${OUTPUT_GRID_MAIN}
  let o = ((n * p.OH + oh) * p.OW + ow) * p.CL + c;
  let h0 = i32(oh * SH) - i32(p.padT);
  let w0 = i32(ow * SW) - i32(p.padL);
  var best = T(0.0);
  var arg = U(0u);
  var found = false;
  for (var kh = 0u; kh < KH; kh++) {
    let h = h0 + i32(kh);
    if (h < 0 || h >= i32(p.H)) { continue; }
    let rowBase = (n * p.H + u32(h)) * p.W;
    for (var kw = 0u; kw < KW; kw++) {
      let w = w0 + i32(kw);
      if (w < 0 || w >= i32(p.W)) { continue; }
      let v = x[(rowBase + u32(w)) * p.CL + c];
      let k = U(kh * KW + kw);
      if (!found) {
        best = v;
        arg = k;
        found = true;
      } else {
        let gt = v > best; // strict: an equal later value does not take over
        best = select(best, v, gt);
        arg = select(arg, k, gt);
      }
    }
  }
  y[o] = best;
  ${saveArgmax ? 'argmax[o] = arg;' : ''}
}
`;
}

/** The backward gather (see the file comment). Grid: x = w·CL + c, y = h, z = n. */
export const maxPoolBackwardKernel = kernelCache((lanes: 1 | 4) =>
  poolKernel('maxpool-bwd', lanes, { dy: ['read', 'T'], argmax: ['read', 'U'], dx: ['read_write', 'T'] }, BACKWARD_MAIN, COVER_WGSL),
);

export const COVER_WGSL = /* wgsl */ `
// Outputs o with o·S ≤ q ≤ o·S + K − 1 (q ≥ 0: padded coordinate), clipped to [0, O).
// Unsigned arithmetic (q + S − K + 1 ≥ 0 is tested first) so divisions by the constant S
// need no sign fix-up.
fn cover(q: u32, K: u32, S: u32, O: u32) -> vec2<i32> {
  var first = 0u;
  if (q + 1u > K) { first = (q + 1u - K + S - 1u) / S; }
  let last = min(q / S, O - 1u);
  return vec2<i32>(i32(first), i32(last));
}

`;

const BACKWARD_MAIN = /* wgsl */ `
${INPUT_GRID_MAIN}
  let i = ((n * p.H + h) * p.W + w) * p.CL + c;
  let hp = h + p.padT;
  let wp = w + p.padL;
  let rh = cover(hp, KH, SH, p.OH);
  let rw = cover(wp, KW, SW, p.OW);
  var acc = T(0.0);
  for (var oh = rh.x; oh <= rh.y; oh++) {
    let kh = hp - u32(oh) * SH;
    let rowBase = (n * p.OH + u32(oh)) * p.OW;
    for (var ow = rw.x; ow <= rw.y; ow++) {
      let kw = wp - u32(ow) * SW;
      let o = (rowBase + u32(ow)) * p.CL + c;
      acc += select(T(0.0), dy[o], argmax[o] == U(kh * KW + kw));
    }
  }
  dx[i] = acc;
}
`;
