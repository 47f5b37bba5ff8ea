/**
 * Batch normalisation over the last axis (channels) of x viewed as [R rows, C channels].
 *
 * Per-channel reductions over the R = N·H·W rows are split in two levels so they run in
 * parallel: a partial kernel, one invocation per (chunk of rows, group of channels) —
 * adjacent invocations read adjacent channels of the same row — then a combine kernel, one
 * invocation per channel, over the few hundred chunk partials.
 *
 * Variance is numerically sound: each chunk sums x − shift (shift = its first row's value)
 * for its mean and then Σ(x − mean)² (two passes over a chunk still in cache); chunks merge
 * with Chan et al.'s pairwise update (M2 = M2a + M2b + δ²·na·nb/n), never E[x²] − E[x]².
 *
 * Element-wise and partial kernels handle L channels per invocation: L = 4 (vec4) when C is
 * a multiple of 4 (every AlexNet layer), else 1; integer divisions, which lavapipe runs lane
 * by lane, are then shared by 4 channels. L changes array element types, so it is baked
 * into the source (`T`); per-channel buffers are planar so a group reads one vector:
 *   stats (forward → backward): [mean | invstd | γ·invstd | β], C floats each;
 *   coef (backward): [k1 | k2 | k3 | mean];
 *   partials: per chunk k, [a | b] (C floats each) at k·2C.
 */
import { type Access, defineKernel, kernelCache, ofType } from '../spec.js';
import { elementKernel } from '../wgsl-common.js';

type Lanes = 1 | 4;

/** CL = C / L channel groups (what the vector kernels index by); C for the scalar combines. */
export const BN_ROW_UNIFORMS = {
  R: 'u32', C: 'u32', CL: 'u32', chunkRows: 'u32', numChunks: 'u32', eps: 'f32', keep: 'f32', unbias: 'f32',
} as const;
/** The element-wise kernels: n invocations over CL channel groups. */
export const BN_MAP_UNIFORMS = { n: 'u32', CL: 'u32' } as const;

/**
 * A vector kernel, one invocation per element i (of `count`), L channels per invocation,
 * every binding of element type T.
 */
function vecKernel<B extends string, U extends string>(
  name: string,
  lanes: Lanes,
  uniforms: Record<U, 'u32' | 'f32'>,
  bindings: Record<B, Access>,
  body: string,
  count = 'p.n',
) {
  const T = lanes === 4 ? 'vec4<f32>' : 'f32';
  return elementKernel({ name: `${name}-x${lanes}`, uniforms, bindings: ofType(bindings, T), count }, body, `alias T = ${T};\n`);
}

/** Invocation i of a partial kernel: channel group c of chunk k, rows [r0, r1). */
const CHUNK_ROWS = /* wgsl */ `
  let c = i % p.CL;
  let k = i / p.CL;
  let r0 = k * p.chunkRows;
  let r1 = min(r0 + p.chunkRows, p.R);`;
const CHUNKS = 'p.numChunks * p.CL';

/** A per-channel (scalar) kernel over the row uniforms. */
function channelKernel<B extends string>(name: string, bindings: Record<B, Access>, main: string, overrides = {}) {
  return defineKernel(
    { name, overrides: { WG: ['u32', 64], ...overrides }, workgroupSize: ['WG'], uniforms: BN_ROW_UNIFORMS, bindings },
    main,
  );
}

/** partial[k·2C + c] = mean, partial[k·2C + C + c] = Σ(x − mean)², of chunk k, channel c. */
export const bnStatsPartialKernel = kernelCache((lanes: Lanes) =>
  vecKernel('bn-stats-partial', lanes, BN_ROW_UNIFORMS, { x: 'read', partial: 'read_write' }, /* wgsl */ `
${CHUNK_ROWS}
  // Sum around a shift (the chunk's first value) so a large common offset does not eat
  // the float32 mantissa; then the exact second pass around the chunk mean.
  let shift = x[r0 * p.CL + c];
  var s = T(0.0);
  for (var r = r0; r < r1; r++) { s += x[r * p.CL + c] - shift; }
  let m = shift + s / f32(r1 - r0);
  var q = T(0.0);
  for (var r = r0; r < r1; r++) {
    let d = x[r * p.CL + c] - m;
    q = fma(d, d, q);
  }
  partial[k * 2u * p.CL + c] = m;
  partial[k * 2u * p.CL + p.CL + c] = q;`, CHUNKS),
);

/**
 * Merges the chunks (Chan's update), writes the stats and updates the running statistics
 * in place: running = keep·running + (1 − keep)·batch, with the UNBIASED batch variance
 * (·n/(n−1), `unbias`) as Keras/TF's fused batch norm and PyTorch both do.
 */
export const BN_STATS_COMBINE = channelKernel(
  'bn-stats-combine',
  { partial: 'read', gamma: 'read', beta: 'read', runMean: 'read_write', runVar: 'read_write', stats: 'read_write' },
  /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var k = 0u; k < p.numChunks; k++) {
    let nb = f32(min(p.chunkRows, p.R - k * p.chunkRows));
    let d = partial[k * 2u * p.C + c] - mean;
    let tot = n + nb;
    mean += d * (nb / tot);
    m2 += partial[k * 2u * p.C + p.C + c] + d * d * (n * nb / tot);
    n = tot;
  }
  let variance = m2 / n;
  let invstd = 1.0 / sqrt(variance + p.eps);
  stats[c] = mean;
  stats[p.C + c] = invstd;
  stats[2u * p.C + c] = gamma[c] * invstd;
  stats[3u * p.C + c] = beta[c];
  runMean[c] = p.keep * runMean[c] + (1.0 - p.keep) * mean;
  runVar[c] = p.keep * runVar[c] + (1.0 - p.keep) * (variance * p.unbias);
}
`,
);

/** Inference: the stats come from the running statistics. */
export const BN_INFERENCE_STATS = channelKernel(
  'bn-inference-stats',
  { gamma: 'read', beta: 'read', runMean: 'read', runVar: 'read', stats: 'read_write' },
  /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let invstd = 1.0 / sqrt(runVar[c] + p.eps);
  stats[c] = runMean[c];
  stats[p.C + c] = invstd;
  stats[2u * p.C + c] = gamma[c] * invstd;
  stats[3u * p.C + c] = beta[c];
}
`,
);

/**
 * y = (x − mean)·(γ·invstd) + β. Subtracting the mean first keeps the precision that
 * x·scale + (β − mean·scale) would lose when |mean| ≫ std.
 */
export const bnApplyKernel = kernelCache((lanes: Lanes) =>
  vecKernel('bn-apply', lanes, BN_MAP_UNIFORMS, { x: 'read', stats: 'read', y: 'read_write' }, /* wgsl */ `
  let c = i % p.CL;
  y[i] = fma(x[i] - stats[c], stats[2u * p.CL + c], stats[3u * p.CL + c]);
`),
);

/** partial[k·2C + c] = Σ dy, partial[k·2C + C + c] = Σ dy·(x − mean), over chunk k. */
export const bnGradPartialKernel = kernelCache((lanes: Lanes) =>
  vecKernel('bn-grad-partial', lanes, BN_ROW_UNIFORMS, { x: 'read', dy: 'read', stats: 'read', partial: 'read_write' }, /* wgsl */ `
${CHUNK_ROWS}
  let mean = stats[c];
  var sg = T(0.0);
  var sgx = T(0.0);
  for (var r = r0; r < r1; r++) {
    let i = r * p.CL + c;
    let g = dy[i];
    sg += g;
    sgx = fma(g, x[i] - mean, sgx);
  }
  partial[k * 2u * p.CL + c] = sg;
  partial[k * 2u * p.CL + p.CL + c] = sgx;`, CHUNKS),
);

/**
 * dβ = Σ dy, dγ = invstd·Σ dy·(x − mean), and per-channel coefficients of
 * dx = k1·dy + k2·(x − mean) + k3:
 * training (through the batch statistics), dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)):
 *   k1 = γ·invstd, k2 = −γ·invstd³·Σdy(x−μ)/R, k3 = −γ·invstd·Σdy/R;
 * inference (statistics are constants): k1 = γ·invstd, k2 = k3 = 0.
 */
export const BN_GRAD_COMBINE = channelKernel(
  'bn-grad-combine',
  { partial: 'read', stats: 'read', dgamma: 'read_write', dbeta: 'read_write', coef: 'read_write' },
  /* wgsl */ `
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var sg = 0.0;
  var sgx = 0.0;
  for (var k = 0u; k < p.numChunks; k++) {
    sg += partial[k * 2u * p.C + c];
    sgx += partial[k * 2u * p.C + p.C + c];
  }
  let mean = stats[c];
  let invstd = stats[p.C + c];
  let k1 = stats[2u * p.C + c];
  dbeta[c] = sg;
  dgamma[c] = sgx * invstd;
  coef[c] = k1;
  if (TRAINING) {
    let rinv = 1.0 / f32(p.R);
    coef[p.C + c] = -k1 * invstd * invstd * sgx * rinv;
    coef[2u * p.C + c] = -k1 * sg * rinv;
  } else {
    coef[p.C + c] = 0.0;
    coef[2u * p.C + c] = 0.0;
  }
  coef[3u * p.C + c] = mean;
}
`, { TRAINING: ['bool', true] },
);

export const bnGradApplyKernel = kernelCache((lanes: Lanes) =>
  vecKernel('bn-grad-apply', lanes, BN_MAP_UNIFORMS, { x: 'read', dy: 'read', coef: 'read', dx: 'read_write' }, /* wgsl */ `
  let c = i % p.CL;
  let x0 = x[i] - coef[3u * p.CL + c];
  dx[i] = fma(coef[c], dy[i], fma(coef[p.CL + c], x0, coef[2u * p.CL + c]));
`),
);
