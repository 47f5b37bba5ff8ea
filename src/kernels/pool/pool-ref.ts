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
