/**
 * GEMM rows: every requested kernel variant on every requested shape, interleaved per shape
 * (round r runs variant 0, 1, 2, … once each) so the speed-ups are ratios measured under the
 * same machine load; the first variant is the baseline.
 *
 * Default shapes: 1024³, and AlexNet's first convolution lowered to a matrix product
 * (M = 8·54·54 = 23,328 output pixels at batch 8, N = 48 filters, K = 11·11·3 = 363).
 */
import type { GpuContext } from '../../src/kernels/context.js';
import { GEMM_VARIANTS, type GemmVariant, type GemmVariantName, gemm, hasSubgroupGemm } from '../../src/kernels/gemm/gemm.js';
import { type BenchRow, type Ceilings, type TimeOptions, makeRow, median, randomSigned as random, timeInterleaved } from './report.js';

export interface GemmBenchShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Shown in the table, e.g. "conv1 lowered". */
  name?: string;
}

export const DEFAULT_GEMM_SHAPES: GemmBenchShape[] = [
  { M: 1024, N: 1024, K: 1024 },
  { M: 8 * 54 * 54, N: 48, K: 11 * 11 * 3, name: 'conv1 lowered' },
];

/** Parses "1024x1024x1024,23328x48x363nt": MxNxK, optional suffix nn|nt|tn|tt (transA, transB). */
export function parseGemmShapes(spec: string): GemmBenchShape[] {
  return spec.split(',').map((s) => {
    const m = /^(\d+)x(\d+)x(\d+)(nn|nt|tn|tt)?$/.exec(s.trim());
    if (!m) throw new Error(`bad GEMM shape '${s}': expected MxNxK with an optional nn|nt|tn|tt suffix, e.g. 1024x1024x1024nt`);
    const t = m[4] ?? 'nn';
    return { M: Number(m[1]), N: Number(m[2]), K: Number(m[3]), transA: t[0] === 't', transB: t[1] === 't' };
  });
}

export function parseGemmVariants(spec: string): GemmVariantName[] {
  const names = Object.keys(GEMM_VARIANTS) as GemmVariantName[];
  if (spec === 'all') return names;
  return spec.split(',').map((s) => {
    const n = s.trim() as GemmVariantName;
    if (!names.includes(n)) throw new Error(`unknown GEMM variant '${s}' (known: ${names.join(', ')}, all)`);
    return n;
  });
}

export function shapeLabel(s: GemmBenchShape): string {
  const t = s.transA || s.transB ? ` ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}` : '';
  return `${s.M}×${s.N}×${s.K}${t}${s.name ? ` (${s.name})` : ''}`;
}

export async function benchGemm(
  ctx: GpuContext,
  shapes: GemmBenchShape[],
  variants: GemmVariantName[],
  o: TimeOptions,
  ceilings: Ceilings,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Subgroup variants need subgroups of ≥ 8 lanes; without them, compare the others.
  const missing = hasSubgroupGemm(ctx) ? [] : variants.filter((n) => (GEMM_VARIANTS[n] as GemmVariant).kind === 'subgroup');
  if (missing.length) console.error(`bench: gemm: this adapter has no subgroups of ≥ 8 lanes; skipping ${missing.join(', ')} (auto runs blocked4x4)`);
  variants = variants.filter((n) => !missing.includes(n));
  for (const s of shapes) {
    const { M, N, K } = s;
    const a = ctx.newStorage(M * K * 4);
    const b = ctx.newStorage(K * N * 4);
    const c = ctx.newStorage(M * N * 4);
    ctx.upload(a, random(M * K, 1));
    ctx.upload(b, random(K * N, 2));
    const launch = (v: GemmVariant) => () => gemm(ctx, a, b, c, { M, N, K, transA: s.transA, transB: s.transB }, v);
    const { timings, speedups } = await timeInterleaved(
      ctx,
      variants.map((n) => launch(GEMM_VARIANTS[n])),
      o,
    );
    variants.forEach((name, k) => {
      const t = timings[k]!;
      rows.push(
        makeRow(
          {
            group: 'gemm',
            kernel: 'gemm',
            shape: shapeLabel(s),
            variant: name,
            timer: t.timer,
            ms: t.ms,
            flops: 2 * M * N * K,
            workerCpuMs: t.workerCpuMs ? median(t.workerCpuMs) : undefined,
            speedup: variants.length > 1 && k > 0 ? { vs: variants[0]!, value: speedups[k]! } : undefined,
          },
          ceilings,
        ),
      );
    });
    for (const buf of [a, b, c]) ctx.pool.release(buf);
  }
  return rows;
}

