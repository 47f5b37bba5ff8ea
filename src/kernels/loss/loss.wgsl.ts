import { ACTIVATIONS_WGSL } from '../elementwise/pointwise.js';
import { defineKernel } from '../spec.js';
import { WORKGROUP_SUM, elementKernel, switchCases } from '../wgsl-common.js';

/**
 * WGSL has no log1p, and log(1 + u) loses every digit of a tiny u — exactly the BCE of a
 * confidently right logit — so the forward kernel carries its own.
 */
const LOSS_MATH = /* wgsl */ `
// log(1 + u) for u ≥ 0. Below 1e-2 a 4-term series (truncation ≤ u⁵/5, ~1e-9 relative);
// above, 1 + u rounds by at most 6e-8, ≤ 6e-6 relative to log(1 + u).
fn log1p_(u: f32) -> f32 {
  if (u < 1e-2) { return u * (1.0 - u * (0.5 - u * (1.0 / 3.0 - u * 0.25))); }
  return log(1.0 + u);
}

// max(z, 0) − z·y + log(1 + e^−|z|): never exponentiates a positive number, so logits of
// ±100 (or ±1e30) give finite, exact values.
fn bce_logits(z: f32, y: f32) -> f32 {
  return max(z, 0.0) - z * y + log1p_(exp(-abs(z)));
}

fn read_xy(which: u32, i: u32) -> f32 {
  if (which == 0u) { return x[i]; }
  return y[i];
}

// Index of the first maximum of a row of x (which = 0) or y (which = 1); tf.argmax also
// breaks ties towards the lower index.
fn argmax_row(which: u32, base: u32, C: u32) -> u32 {
  var best = 0u;
  var bv = read_xy(which, base);
  for (var c = 1u; c < C; c++) {
    let v = read_xy(which, base + c);
    if (v > bv) { bv = v; best = c; }
  }
  return best;
}
`;

/**
 * The forward cases: per row r, its value (statements ending in a return). The launcher's
 * op names are these keys; their case numbers, positions in this list.
 */
export const FORWARD_CASES = {
  // BCE from logits, rows = elements (C = 1).
  bceLogits: 'return bce_logits(x[r], y[r]);',
  // BCE from probabilities clipped to [lo, hi] (Keras).
  bceProbs: /* wgsl */ `
      let q = clamp(x[r], p.lo, p.hi);
      let t = y[r];
      return -(t * log(q) + (1.0 - t) * log(1.0 - q));`,
  // Softmax cross-entropy over rows of C logits: Σ_c y_c (lse − z_c).
  softmaxCE: /* wgsl */ `
      let base = r * p.C;
      var mx = x[base];
      for (var c = 1u; c < p.C; c++) { mx = max(mx, x[base + c]); }
      var s = 0.0;
      for (var c = 0u; c < p.C; c++) { s += exp(x[base + c] - mx); }
      let lse = mx + log(s);
      var l = 0.0;
      for (var c = 0u; c < p.C; c++) { l += y[base + c] * (lse - x[base + c]); }
      return l;`,
  // Binary accuracy: count of (x > threshold) == (y > 0.5).
  binaryAccuracy: 'return select(0.0, 1.0, (x[r] > p.threshold) == (y[r] > 0.5));',
  // Categorical accuracy: count of argmax(x) == argmax(y).
  categoricalAccuracy: /* wgsl */ `
      let base = r * p.C;
      return select(0.0, 1.0, argmax_row(0u, base, p.C) == argmax_row(1u, base, p.C));`,
} as const;

/**
 * The backward cases: dx for element (or row) i, k = g[0]·alpha.
 * bceLogits, one thread per element: σ(z) − y. bceProbs: −y/q + (1 − y)/(1 − q) inside
 * [lo, hi], 0 where clipped (tf.clip_by_value passes the gradient where lo ≤ p ≤ hi).
 * softmaxCE, one thread per row: softmax·Σy − y (= softmax − y for labels that sum to 1).
 */
export const BACKWARD_CASES = {
  bceLogits: 'dx[i] = k * (act_sigmoid(x[i]) - y[i]);',
  bceProbs: /* wgsl */ `
      let q = x[i];
      let t = y[i];
      let inside = q >= p.lo && q <= p.hi;
      dx[i] = select(0.0, k * (-t / q + (1.0 - t) / (1.0 - q)), inside);`,
  softmaxCE: /* wgsl */ `
      let base = i * p.C;
      var mx = x[base];
      for (var c = 1u; c < p.C; c++) { mx = max(mx, x[base + c]); }
      var s = 0.0;
      var ys = 0.0;
      for (var c = 0u; c < p.C; c++) { s += exp(x[base + c] - mx); ys += y[base + c]; }
      let inv = 1.0 / s;
      for (var c = 0u; c < p.C; c++) {
        dx[base + c] = k * (exp(x[base + c] - mx) * inv * ys - y[base + c]);
      }`,
} as const;

/**
 * Forward of every loss and metric: out[0] = alpha · Σ_rows f(row), in one workgroup.
 * Batches are small (8–64 rows; a few thousand for an evaluation), so one workgroup whose
 * threads stride over the rows and combine in workgroup memory is one dispatch instead of
 * a per-row kernel followed by a reduction.
 * OP selects a row function of FORWARD_CASES.
 */
export const LOSS_FORWARD = defineKernel(
  {
    name: 'loss-forward',
    overrides: { OP: ['u32', 0], WG: ['u32', 64] },
    workgroupSize: ['WG'],
    uniforms: { rows: 'u32', C: 'u32', alpha: 'f32', lo: 'f32', hi: 'f32', threshold: 'f32' },
    bindings: { x: 'read', y: 'read', out: 'read_write' },
  },
  /* wgsl */ `
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < p.rows; r += WG) { acc += row_value(r); }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) { out[0] = p.alpha * total; }
}`,
  LOSS_MATH +
    WORKGROUP_SUM +
    /* wgsl */ `
fn row_value(r: u32) -> f32 {
  switch OP {
${switchCases(FORWARD_CASES)}
    default: { return 0.0; }
  }
}

`,
);

/**
 * Backward of the losses: dx = g[0] · alpha · ∂f/∂x, with g the upstream gradient of the
 * scalar loss read on the GPU (no readback), alpha = 1/N; OP selects one of BACKWARD_CASES.
 */
export const LOSS_BACKWARD = elementKernel(
  {
    name: 'loss-backward',
    overrides: { OP: ['u32', 0], WG: ['u32', 64] },
    uniforms: { n: 'u32', C: 'u32', alpha: 'f32', lo: 'f32', hi: 'f32' },
    bindings: { g: 'read', x: 'read', y: 'read', dx: 'read_write' },
  },
  /* wgsl */ `
  let k = g[0] * p.alpha;
  switch OP {
${switchCases(BACKWARD_CASES)}
    default: { dx[i] = 0.0; }
  }`,
  ACTIVATIONS_WGSL,
);

/**
 * L2 penalty, stage 1: partials[offset + wg] = Σ w² over the elements this workgroup
 * strides over. Many workgroups, so a 38M-weight kernel is not summed by one core.
 */
export const SUMSQ_PARTIAL = defineKernel(
  {
    name: 'sumsq-partial',
    overrides: { WG: ['u32', 64] },
    workgroupSize: ['WG'],
    uniforms: { n: 'u32', offset: 'u32' },
    bindings: { w: 'read', partials: 'read_write' },
  },
  /* wgsl */ `
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += stride) { let v = w[i]; acc += v * v; }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) { partials[p.offset + wid.x] = total; }
}`,
  WORKGROUP_SUM,
);

/** out[i] = alpha · s[0] · x[i]: a scale by a scalar that lives on the GPU (L2 backward). */
export const SCALE_BY_SCALAR = elementKernel(
  { name: 'scale-by-scalar', uniforms: { n: 'u32', alpha: 'f32' }, bindings: { s: 'read', x: 'read', out: 'read_write' } },
  '  out[i] = p.alpha * s[0] * x[i];',
);
