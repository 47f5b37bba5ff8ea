/** Float64 reference of max pooling (NHWC), forward and backward, PyTorch's first-max tie rule. */
import type { PoolGeometry } from './geometry.js';

/** y and the window-local argmax (kh·KW + kw of the first maximum in row-major order). */
export function maxPool2dRef(x: ArrayLike<number>, g: PoolGeometry): { y: Float64Array; argmax: Int32Array } {
  const { N, H, W, C, OH, OW, KH, KW, SH, SW, padT, padL } = g;
  const y = new Float64Array(N * OH * OW * C);
  const argmax = new Int32Array(y.length);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let arg = -1;
          for (let kh = 0; kh < KH; kh++) {
            const h = oh * SH - padT + kh;
            if (h < 0 || h >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const w = ow * SW - padL + kw;
              if (w < 0 || w >= W) continue;
              const v = x[((n * H + h) * W + w) * C + c]!;
              if (arg < 0 || v > best) {
                best = v;
                arg = kh * KW + kw;
              }
            }
          }
          const o = ((n * OH + oh) * OW + ow) * C + c;
          y[o] = best;
          argmax[o] = arg;
        }
  return { y, argmax };
}

/** dx: each output's gradient added to its window's first maximum (a scatter, the textbook form). */
export function maxPool2dBackwardRef(dy: ArrayLike<number>, argmax: Int32Array, g: PoolGeometry): Float64Array {
  const { N, H, W, C, OH, OW, KW, SH, SW, padT, padL } = g;
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          const o = ((n * OH + oh) * OW + ow) * C + c;
          const a = argmax[o]!;
          const h = oh * SH - padT + Math.floor(a / KW);
          const w = ow * SW - padL + (a % KW);
          dx[((n * H + h) * W + w) * C + c] += dy[o]!;
        }
  return dx;
}

/** Input cells of output (oh, ow)'s window: padding excluded (TensorFlow's avg_pool). */
function windowCells(g: PoolGeometry, oh: number, ow: number): Array<[number, number]> {
  const cells: Array<[number, number]> = [];
  for (let kh = 0; kh < g.KH; kh++)
    for (let kw = 0; kw < g.KW; kw++) {
      const h = oh * g.SH - g.padT + kh;
      const w = ow * g.SW - g.padL + kw;
      if (h >= 0 && h < g.H && w >= 0 && w < g.W) cells.push([h, w]);
    }
  return cells;
}

/** Average pooling, float64: the mean of the window's input cells. */
export function avgPool2dRef(x: ArrayLike<number>, g: PoolGeometry): Float64Array {
  const { N, H, W, C, OH, OW } = g;
  const y = new Float64Array(N * OH * OW * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const cells = windowCells(g, oh, ow);
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (const [h, w] of cells) s += x[((n * H + h) * W + w) * C + c]!;
          y[((n * OH + oh) * OW + ow) * C + c] = s / cells.length;
        }
      }
  return y;
}

/** Its backward as a scatter: each output's gradient spread evenly over its window's cells. */
export function avgPool2dBackwardRef(dy: ArrayLike<number>, g: PoolGeometry): Float64Array {
  const { N, H, W, C, OH, OW } = g;
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const cells = windowCells(g, oh, ow);
        for (let c = 0; c < C; c++) {
          const share = dy[((n * OH + oh) * OW + ow) * C + c]! / cells.length;
          for (const [h, w] of cells) dx[((n * H + h) * W + w) * C + c] += share;
        }
      }
  return dx;
}
