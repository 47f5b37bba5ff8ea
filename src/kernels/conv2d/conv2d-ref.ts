/**
 * Float64 direct-convolution reference (straight from the definition, no im2col, no
 * flipping tricks) that the WGSL kernels are tested against. The per-element functions let
 * large tests (AlexNet's first layer) check sampled positions without computing everything.
 */
import { activationEntry } from '../elementwise/pointwise.js';
import { type Conv2dGeometry, type Conv2dOptions, conv2dGeometry } from './geometry.js';

type Arr = ArrayLike<number>;

/**
 * Calls f(xb, wb) for every tap of output (n, oy, ox, co) that lies inside the input:
 * x[xb + ci] meets w[wb + ci·Cout] for the group's channels ci < Cg.
 */
function forEachTap(g: Conv2dGeometry, n: number, oy: number, ox: number, co: number, f: (xb: number, wb: number) => void): void {
  const grp = Math.floor(co / g.Coutg);
  for (let kh = 0; kh < g.KH; kh++) {
    const iy = oy * g.sh + kh - g.padT;
    if (iy < 0 || iy >= g.H) continue;
    for (let kw = 0; kw < g.KW; kw++) {
      const ix = ox * g.sw + kw - g.padL;
      if (ix < 0 || ix >= g.W) continue;
      f(((n * g.H + iy) * g.W + ix) * g.Cin + grp * g.Cg, (kh * g.KW + kw) * g.Cg * g.Cout + co);
    }
  }
}

/** Pre-activation value at output (n, oy, ox, co). */
export function conv2dRefAt(x: Arr, w: Arr, b: Arr | null, g: Conv2dGeometry, n: number, oy: number, ox: number, co: number): number {
  let s = b ? b[co]! : 0;
  forEachTap(g, n, oy, ox, co, (xb, wb) => {
    for (let ci = 0; ci < g.Cg; ci++) s += x[xb + ci]! * w[wb + ci * g.Cout]!;
  });
  return s;
}

/** y = act(conv(x, w) + b) (act: opts.relu or opts.activation), float64, shape [N, OH, OW, Cout]. */
export function conv2dRef(
  x: Arr,
  xShape: number[],
  w: Arr,
  wShape: number[],
  b: Arr | null,
  opts: Conv2dOptions = {},
): { y: Float64Array; shape: number[]; geometry: Conv2dGeometry } {
  const g = conv2dGeometry(xShape, wShape, opts);
  const y = new Float64Array(g.N * g.OH * g.OW * g.Cout);
  // The fused activation's float64 reference from the pointwise table (relu: max(v, 0)).
  const act = g.activation === 'linear' ? (v: number) => v : activationEntry(g.activation).ref;
  let i = 0;
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.OH; oy++)
      for (let ox = 0; ox < g.OW; ox++)
        for (let co = 0; co < g.Cout; co++) {
          const v = conv2dRefAt(x, w, b, g, n, oy, ox, co);
          y[i++] = act(v);
        }
  return { y, shape: [g.N, g.OH, g.OW, g.Cout], geometry: g };
}

/**
 * The upstream gradient with the ReLU mask applied (dy where y > 0); `y` is the forward
 * output (only read when g.relu).
 */
export function maskedGrad(dy: Arr, y: Arr | null, g: Conv2dGeometry): Arr {
  if (!g.relu) return dy;
  if (!y) throw new Error('conv2d reference: relu backward needs the forward output');
  const out = new Float64Array(dy.length);
  for (let i = 0; i < dy.length; i++) out[i] = y[i]! > 0 ? dy[i]! : 0;
  return out;
}

/** dL/dx at input element (n, iy, ix, ci), given the (masked) output gradient gy. */
export function conv2dDxAt(gy: Arr, w: Arr, g: Conv2dGeometry, n: number, iy: number, ix: number, ci: number): number {
  const grp = Math.floor(ci / g.Cg);
  const cl = ci - grp * g.Cg;
  let s = 0;
  for (let kh = 0; kh < g.KH; kh++) {
    const t = iy + g.padT - kh;
    if (t < 0 || t % g.sh !== 0) continue;
    const oy = t / g.sh;
    if (oy >= g.OH) continue;
    for (let kw = 0; kw < g.KW; kw++) {
      const u = ix + g.padL - kw;
      if (u < 0 || u % g.sw !== 0) continue;
      const ox = u / g.sw;
      if (ox >= g.OW) continue;
      const gb = ((n * g.OH + oy) * g.OW + ox) * g.Cout;
      const wb = ((kh * g.KW + kw) * g.Cg + cl) * g.Cout;
      for (let co = grp * g.Coutg; co < (grp + 1) * g.Coutg; co++) s += gy[gb + co]! * w[wb + co]!;
    }
  }
  return s;
}

/** dL/dw at kernel element (kh, kw, cl, co): a sum over all N·OH·OW output positions. */
export function conv2dDwAt(x: Arr, gy: Arr, g: Conv2dGeometry, kh: number, kw: number, cl: number, co: number): number {
  const ci = Math.floor(co / g.Coutg) * g.Cg + cl;
  let s = 0;
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.OH; oy++) {
      const iy = oy * g.sh + kh - g.padT;
      if (iy < 0 || iy >= g.H) continue;
      for (let ox = 0; ox < g.OW; ox++) {
        const ix = ox * g.sw + kw - g.padL;
        if (ix < 0 || ix >= g.W) continue;
        s += x[((n * g.H + iy) * g.W + ix) * g.Cin + ci]! * gy[((n * g.OH + oy) * g.OW + ox) * g.Cout + co]!;
      }
    }
  return s;
}

/**
 * Gradients of L with dL/dy = dy through y = act(conv(x, w) + b): dx, dw, db (float64),
 * computed by scattering every output gradient back along the forward's own index map.
 */
export function conv2dBackwardRef(
  x: Arr,
  w: Arr,
  dy: Arr,
  y: Arr | null,
  g: Conv2dGeometry,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const gy = maskedGrad(dy, y, g);
  const dx = new Float64Array(g.N * g.H * g.W * g.Cin);
  const dw = new Float64Array(g.KH * g.KW * g.Cg * g.Cout);
  const db = new Float64Array(g.Cout);
  for (let n = 0; n < g.N; n++)
    for (let oy = 0; oy < g.OH; oy++)
      for (let ox = 0; ox < g.OW; ox++)
        for (let co = 0; co < g.Cout; co++) {
          const gv = gy[((n * g.OH + oy) * g.OW + ox) * g.Cout + co]!;
          db[co] += gv;
          forEachTap(g, n, oy, ox, co, (xb, wb) => {
            for (let cl = 0; cl < g.Cg; cl++) {
              dx[xb + cl] += gv * w[wb + cl * g.Cout]!;
              dw[wb + cl * g.Cout] += gv * x[xb + cl]!;
            }
          });
        }
  return { dx, dw, db };
}
