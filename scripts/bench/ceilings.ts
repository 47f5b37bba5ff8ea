/**
 * The machine's ceilings, measured in the same run as the kernels with two tiny shaders:
 *
 * - FMA throughput: each invocation runs 2 independent vec4 chains of x = fma(x, a, b)
 *   (8 scalar chains, i.e. 8 AVX registers in flight), 32 steps per loop iteration on
 *   temporaries assigned back once per iteration (lavapipe masks every write of a
 *   loop-carried value with a blend, which would otherwise be counted too). 2 flops per fma.
 *   On lavapipe fma compiles to a multiply and an add (not fused). Measured on the 2-core
 *   EPYC in GFLOP per worker CPU-second: 1 vec4 chain 30, 2 chains 63, 3 chains 30–45,
 *   4 chains 41 (LLVM emits the chains one after another, so with more of them the CPU's
 *   scheduler fills with dependent work, with fewer the pipes idle). So this is what lavapipe
 *   code reaches, about 2/3 of the AVX2 hardware peak per core; the hardware peak itself
 *   (2 cores × 8 lanes × 2 flops × 2 per cycle × clock ≈ 200 GFLOP/s) is not measured here.
 * - Copy bandwidth: out[i] = in[i] over a large buffer of vec4 (bytes read + written). On
 *   lavapipe this is bounded by its per-lane load/store code, not by DRAM; the row also
 *   reports copyBufferToBuffer (a memcpy in the driver) for comparison.
 *
 * GEMM/convolution rows are reported against the FMA ceiling, memory-bound rows against the
 * copy-kernel ceiling.
 */
import { type GpuContext, grid2d, params } from '../../src/kernels/context.js';
import { LINEAR_ID } from '../../src/kernels/wgsl-common.js';
import { type BenchRow, type Ceilings, type TimeOptions, makeRow, median, timeKernel } from './report.js';

const WG = 64;
const STEPS = 32;
const CHAINS = 2;

export const FMA_PEAK_WGSL = /* wgsl */ `
${LINEAR_ID}
override WG: u32 = 64u;
struct P { n: u32, iters: u32, a: f32, b: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  let a = vec4<f32>(p.a);
  let b = vec4<f32>(p.b);
  let s = f32(i % 1024u) * 1e-4;
${[...Array(CHAINS).keys()].map((c) => `  var x${c} = vec4<f32>(s + ${c}.0, s + ${c}.25, s + ${c}.5, s + ${c}.75);`).join('\n')}
  for (var k = 0u; k < p.iters; k++) {
${[...Array(CHAINS).keys()].map((c) => `    var y${c} = x${c};`).join('\n')}
${[...Array(STEPS).keys()].map(() => [...Array(CHAINS).keys()].map((c) => `    y${c} = fma(y${c}, a, b);`).join('\n')).join('\n')}
${[...Array(CHAINS).keys()].map((c) => `    x${c} = y${c};`).join('\n')}
  }
  if (i < p.n) { out[i] = dot(${[...Array(CHAINS).keys()].map((c) => `x${c}`).join(' + ')}, vec4<f32>(1.0)); }
}
`;

export const COPY_WGSL = /* wgsl */ `
${LINEAR_ID}
override WG: u32 = 64u;
struct P { n4: u32, _a: u32, _b: u32, _c: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg, WG);
  if (i < p.n4) { dst[i] = src[i]; }
}
`;

export interface CeilingOptions extends TimeOptions {
  /** Floats copied by the bandwidth kernel. */
  copyElements: number;
}

/** Measures both ceilings; returns them and their table rows. */
export async function measureCeilings(ctx: GpuContext, o: CeilingOptions): Promise<{ ceilings: Ceilings; rows: BenchRow[] }> {
  const rows: BenchRow[] = [];

  // FMA: enough invocations for every core, enough iterations for ~0.1 s on lavapipe.
  const n = 32 * 1024;
  const iters = 256;
  const out = ctx.newStorage(n * 4);
  const fmaPipe = ctx.pipeline('ceiling-fma', FMA_PEAK_WGSL, { WG });
  const fmaFlops = n * iters * STEPS * CHAINS * 4 * 2;
  const fma = await timeKernel(
    ctx,
    () =>
      ctx.dispatch({
        label: 'ceiling-fma',
        pipeline: fmaPipe,
        // a < 1 and b small keep the chains bounded and away from denormals.
        params: params([n, iters, { f32: 0.999 }, { f32: 1e-3 }]),
        buffers: [out],
        workgroups: grid2d(Math.ceil(n / WG)),
      }),
    o,
  );
  ctx.pool.release(out);
  const fmaRow = makeRow({
    group: 'ceiling',
    kernel: 'peak fma (vec4 chains)',
    shape: `${n} inv × ${iters * STEPS * CHAINS} vec4 fma`,
    timer: fma.timer,
    ms: fma.ms,
    flops: fmaFlops,
    workerCpuMs: fma.workerCpuMs ? median(fma.workerCpuMs) : undefined,
  });
  rows.push(fmaRow);

  // Copy: a buffer well beyond the caches.
  const n4 = Math.ceil(o.copyElements / 4);
  const src = ctx.newStorage(n4 * 16);
  const dst = ctx.newStorage(n4 * 16);
  ctx.upload(src, new Float32Array(n4 * 4).fill(1));
  const copyPipe = ctx.pipeline('ceiling-copy', COPY_WGSL, { WG });
  const bytes = 2 * n4 * 16;
  const copy = await timeKernel(
    ctx,
    () =>
      ctx.dispatch({
        label: 'ceiling-copy',
        pipeline: copyPipe,
        params: params([n4, 0, 0, 0]),
        buffers: [src, dst],
        workgroups: grid2d(Math.ceil(n4 / WG)),
      }),
    o,
  );
  const copyRow = makeRow({
    group: 'ceiling',
    kernel: 'copy kernel (vec4)',
    shape: `${(n4 * 16) / 2 ** 20} MiB`,
    timer: copy.timer,
    ms: copy.ms,
    bytes,
    workerCpuMs: copy.workerCpuMs ? median(copy.workerCpuMs) : undefined,
  });
  rows.push(copyRow);

  // copyBufferToBuffer for reference (wall clock: it is not a dispatch).
  const memcpyMs: number[] = [];
  ctx.copy(src, dst, n4 * 16);
  await ctx.sync();
  for (let r = 0; r < o.reps; r++) {
    const t0 = performance.now();
    ctx.copy(src, dst, n4 * 16);
    await ctx.sync();
    memcpyMs.push(performance.now() - t0);
  }
  rows.push(
    makeRow({ group: 'ceiling', kernel: 'copyBufferToBuffer', shape: `${(n4 * 16) / 2 ** 20} MiB`, timer: 'wall', ms: memcpyMs, bytes, note: 'reference only' }),
  );
  ctx.pool.release(src);
  ctx.pool.release(dst);

  const ceilings: Ceilings = {
    fma: { name: 'peak fma', value: fmaRow.rate!.value, unit: 'GFLOP/s' },
    copy: { name: 'copy kernel', value: copyRow.rate!.value, unit: 'GB/s' },
  };
  // The ceiling rows themselves are at 100% by definition; show it.
  fmaRow.ofCeiling = { ceiling: 'peak fma', fraction: 1 };
  copyRow.ofCeiling = { ceiling: 'copy kernel', fraction: 1 };
  return { ceilings, rows };
}
