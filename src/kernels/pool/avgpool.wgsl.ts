/**
 * Average pooling over NHWC activations, laid out as max pooling (pool.wgsl.ts): one
 * invocation per pixel and group of L channels (vec4 when C % 4 == 0), window and stride
 * as override constants.
 *
 * The divisor is the number of input cells the window covers — padding excluded, as
 * TensorFlow's avg_pool (Keras AveragePooling2D) does with 'same'; with 'valid' every window
 * is whole, so it is KH·KW. No window is all padding (pool geometry), so it is ≥ 1.
 *
 * Backward is a gather like max pooling's: an input cell adds dy/count of every output
 * whose window covers it.
 */
import { kernelCache } from '../spec.js';
import { COVER_WGSL, INPUT_GRID_MAIN, OUTPUT_GRID_MAIN, poolKernel } from './pool.wgsl.js';

/** Rows [hs, he) and columns [ws, we) of the input that output (oh, ow)'s window covers. */
const WINDOW_WGSL = /* wgsl */ `
fn window(oh: u32, ow: u32) -> vec4<i32> {
  let h0 = i32(oh * SH) - i32(p.padT);
  let w0 = i32(ow * SW) - i32(p.padL);
  return vec4<i32>(max(h0, 0), min(h0 + i32(KH), i32(p.H)), max(w0, 0), min(w0 + i32(KW), i32(p.W)));
}
`;

export const avgPoolForwardKernel = kernelCache((lanes: 1 | 4) =>
  poolKernel(
    'avgpool-fwd',
    lanes,
    { x: ['read', 'T'], y: ['read_write', 'T'] },
    /* wgsl */ `
${OUTPUT_GRID_MAIN}
  let r = window(oh, ow);
  var acc = T(0.0);
  for (var h = r.x; h < r.y; h++) {
    let rowBase = (n * p.H + u32(h)) * p.W;
    for (var w = r.z; w < r.w; w++) { acc += x[(rowBase + u32(w)) * p.CL + c]; }
  }
  y[((n * p.OH + oh) * p.OW + ow) * p.CL + c] = acc / f32((r.y - r.x) * (r.w - r.z));
}`,
    WINDOW_WGSL,
  ),
);

export const avgPoolBackwardKernel = kernelCache((lanes: 1 | 4) =>
  poolKernel(
    'avgpool-bwd',
    lanes,
    { dy: ['read', 'T'], dx: ['read_write', 'T'] },
    /* wgsl */ `
${INPUT_GRID_MAIN}
  let rh = cover(h + p.padT, KH, SH, p.OH);
  let rw = cover(w + p.padL, KW, SW, p.OW);
  var acc = T(0.0);
  for (var oh = rh.x; oh <= rh.y; oh++) {
    let rowBase = (n * p.OH + u32(oh)) * p.OW;
    for (var ow = rw.x; ow <= rw.y; ow++) {
      let r = window(u32(oh), u32(ow));
      acc += dy[(rowBase + u32(ow)) * p.CL + c] / f32((r.y - r.x) * (r.w - r.z));
    }
  }
  dx[((n * p.H + h) * p.W + w) * p.CL + c] = acc;
}`,
    COVER_WGSL + WINDOW_WGSL,
  ),
);
