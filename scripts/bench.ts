/**
 * npm run bench — measures the engine's kernels on this machine's WebGPU adapter and prints
 * one table (and, with --json, the same as JSON). `npm run bench -- --help` lists the options.
 *
 * First line: the adapter measured. Rows: the machine's ceilings (peak FMA, copy bandwidth;
 * scripts/bench/ceilings.ts), GEMM variants compared interleaved (scripts/bench/gemm.ts),
 * element-wise ops and the reduce, then the groups of other modules, each imported when its
 * group runs (literal dynamic imports, so an esbuild bundle holds them: scripts/device/):
 *   conv    scripts/bench/conv.ts     convBenchCases(batch, size), convPass(ctx, case, pass) → { launch, flops, dispose }
 *   layers  scripts/bench/layers.ts   layerBenchCases, benchLayer(ctx, case, reps)
 *   step    scripts/bench/step.ts     benchStep(ctx, { batch, size, reps, warmup }) — training step and inference
 *   loader  scripts/bench-loader.ts   benchLoader({ size, batchSize, epochs }) — CPU data pipeline
 *   tfjs    scripts/bench/tfjs.ts     benchTfjsStep({ backend, batch, size, reps }) — TensorFlow.js peer
 * A failing group (e.g. tfjs where TensorFlow.js is not installed) is reported under "skipped"
 * and the rest still runs.
 *
 * Timing (scripts/bench/report.ts): GPU timestamp queries where the adapter has
 * 'timestamp-query' for the rows timed here (ceilings, GEMM, element-wise, reduce, and the
 * conv passes); the layers/step/loader modules time themselves with the wall clock (the
 * "timer" column says which). The machine may be shared:
 * compare variants by the speed-up column (interleaved ratios), not by absolute times.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { GpuContext } from '../src/kernels/context.js';
import { binary, unary } from '../src/kernels/elementwise/elementwise.js';
import { reduceMiddle } from '../src/kernels/reduce/reduce.js';
import { createNodeContext, runMain, UserError } from '../src/platform/node-gpu.js';
import { packageVersion } from './lib/version.js';
import { intAtLeast } from './lib/args.js';
import { measureCeilings } from './bench/ceilings.js';
import { DEFAULT_GEMM_SHAPES, benchGemm, parseGemmShapes, parseGemmVariants } from './bench/gemm.js';
import {
  type BenchReport,
  type BenchRow,
  type Ceilings,
  type TimeOptions,
  formatTable,
  machineInfo,
  makeRow,
  median,
  pickTimer,
  timeKernel,
  writeJson,
} from './bench/report.js';

const GROUPS = ['ceilings', 'gemm', 'elementwise', 'reduce', 'conv', 'layers', 'step', 'loader', 'tfjs'] as const;
type Group = (typeof GROUPS)[number];
/** Run when --only is not given: everything on the GPU. loader (CPU) and tfjs (a peer framework) on request. */
const DEFAULT_GROUPS: Group[] = ['ceilings', 'gemm', 'elementwise', 'reduce', 'conv', 'layers', 'step'];

interface Opts {
  only: Group[];
  reps: number;
  warmup: number;
  compare?: 'tfjs' | 'torch';
  compareBackend: string;
  gemmVariant: string;
  gemmSizes?: string;
  elements: number;
  batchSize: number;
  imageSize: number[];
  /** Old names of batchSize and imageSize, still accepted (hidden from --help). */
  batch?: number;
  sizes?: number[];
  timer: 'auto' | 'gpu' | 'wall';
  cpuTime: boolean;
  quietMain: boolean;
  ceilings: boolean;
  tfjsBackend: string;
  json?: string;
}

const positiveInt = intAtLeast(1);
const nonNegativeInt = intAtLeast(0);

function sizeList(v: string): number[] {
  return v.split(',').map((s) => positiveInt(s));
}

/** Parses bench's options; the old --batch and --sizes stand in for --batch-size and --image-size. */
export function parseBenchOptions(argv: readonly string[] = process.argv): Opts {
  const o = benchCommand().parse(argv as string[]).opts<Opts>();
  if (o.batch !== undefined) o.batchSize = o.batch;
  if (o.sizes !== undefined) o.imageSize = o.sizes;
  delete o.batch;
  delete o.sizes;
  return o;
}

function list<T extends string>(allowed: readonly T[]) {
  return (v: string): T[] => {
    const out = v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of out) if (!allowed.includes(s as T)) throw new InvalidArgumentError(`unknown '${s}' (choose from ${allowed.join(', ')})`);
    return out as T[];
  };
}

export function benchCommand(): Command {
  return new Command('bench')
    .version(packageVersion())
    .description(
      "Benchmark this engine's kernels on the machine's WebGPU adapter: median time, spread, rate and share of " +
        'the ceilings (peak FMA, copy bandwidth) measured in the same run.',
    )
    .addOption(
      new Option('--only <groups>', `comma-separated groups: ${GROUPS.join(', ')}`).argParser(list(GROUPS)).default(DEFAULT_GROUPS, DEFAULT_GROUPS.join(',')),
    )
    .option('--reps <n>', 'timed repetitions per row (median and spread over them)', positiveInt, 10)
    .option('--warmup <n>', 'untimed launches before timing (the first compiles the pipelines)', nonNegativeInt, 1)
    .option(
      '--gemm-variant <list>',
      'GEMM kernels to compare, interleaved, first = baseline of the speed-up column: naive, blocked4x4, blocked8x8, sg8, sg16, sg32, sg16m, tiled, tiled64, tiled32, auto, or all',
      'blocked8x8,auto',
    )
    .option('--gemm-sizes <list>', 'GEMM shapes MxNxK[nn|nt|tn|tt], comma-separated (default: 1024x1024x1024 and conv1 lowered, 23328x48x363)')
    .option('--elements <n>', 'tensor size (floats) for the element-wise, reduce and copy rows', positiveInt, 1 << 24)
    .option('--batch-size <n>', 'batch for the conv, layers and step rows', positiveInt, 8)
    .addOption(new Option('--batch <n>').argParser(positiveInt).hideHelp())
    .addOption(
      new Option('--image-size <list>', 'image sizes (comma-separated) for the conv, step and loader rows')
        .argParser(sizeList)
        .default([224, 112], '224,112'),
    )
    .addOption(new Option('--sizes <list>').argParser(sizeList).hideHelp())
    .addOption(new Option('--timer <kind>', 'gpu: timestamp queries; wall: clock around a sync; auto: gpu when available').choices(['auto', 'gpu', 'wall']).default('auto'))
    .option('--cpu-time', "add each row's CPU time of the driver's worker threads (lavapipe; Linux), robust to other load; GEMM speed-ups then use it", false)
    .option(
      '--quiet-main',
      "lower the main thread's priority while it waits for the GPU, so the polling of Dawn's Node bindings does not take CPU from lavapipe's workers (Linux; timed rows of this script only)",
      false,
    )
    .option('--no-ceilings', 'do not measure the ceilings (otherwise measured whenever a row reports its share of them)')
    .option('--tfjs-backend <name>', 'TensorFlow.js backend for the tfjs group: wasm, cpu or webgpu', 'wasm')
    .addOption(new Option('--compare <peer>', 'after the table, time our whole steps against a peer framework on the same network, alternating: tfjs (TensorFlow.js, same adapter) or torch (PyTorch on the CPU cores: python3-torch)').choices(['tfjs', 'torch']))
    .option('--compare-backend <list>', 'TensorFlow.js backends for --compare: webgpu, wasm, cpu', 'webgpu')
    .option('--json <file>', 'also write the results as JSON')
    .showHelpAfterError();
}

/** Element-wise rows: each moves 8 bytes per element (read + write; a bias is negligible). */
async function benchElementwise(ctx: GpuContext, n: number, o: TimeOptions, ceilings: Ceilings): Promise<BenchRow[]> {
  const x = ctx.newStorage(n * 4);
  const y = ctx.newStorage(n * 4);
  const C = 1024;
  const rowsN = Math.max(1, Math.floor(n / C)) * C; // the broadcast add needs whole rows
  const bias = ctx.newStorage(C * 4);
  ctx.upload(x, new Float32Array(n).map((_, i) => ((i % 251) - 125) / 50));
  ctx.upload(bias, new Float32Array(C).fill(0.5));
  const cases: Array<[string, string, () => void]> = [
    ['relu', `[${n}]`, () => unary(ctx, 'relu', x, y, n)],
    ['add bias', `[${rowsN / C}×${C}] + [${C}]`, () => binary(ctx, 'axpby', x, bias, y, rowsN, C)],
    ['sigmoid', `[${n}]`, () => unary(ctx, 'sigmoid', x, y, n)],
  ];
  const rows: BenchRow[] = [];
  for (const [kernel, shape, launch] of cases) {
    const t = await timeKernel(ctx, launch, o);
    const elements = kernel === 'add bias' ? rowsN : n;
    rows.push(
      makeRow(
        { group: 'elementwise', kernel, shape, timer: t.timer, ms: t.ms, bytes: 8 * elements, workerCpuMs: t.workerCpuMs ? median(t.workerCpuMs) : undefined },
        ceilings,
      ),
    );
  }
  for (const b of [x, y, bias]) ctx.pool.release(b);
  return rows;
}

/** The reduce as the bias gradients use it: column sums of an [R, B] matrix (reads 4 bytes per element). */
async function benchReduce(ctx: GpuContext, n: number, o: TimeOptions, ceilings: Ceilings): Promise<BenchRow[]> {
  const B = 1024;
  const R = Math.floor(n / B);
  const x = ctx.newStorage(R * B * 4);
  const out = ctx.newStorage(B * 4);
  ctx.upload(x, new Float32Array(R * B).fill(0.25));
  const t = await timeKernel(ctx, () => reduceMiddle(ctx, x, out, 1, R, B), o);
  ctx.pool.release(x);
  ctx.pool.release(out);
  return [
    makeRow(
      {
        group: 'reduce',
        kernel: 'reduce (column sums)',
        shape: `[${R}×${B}] → [${B}]`,
        timer: t.timer,
        ms: t.ms,
        bytes: 4 * (R * B + B),
        workerCpuMs: t.workerCpuMs ? median(t.workerCpuMs) : undefined,
      },
      ceilings,
    ),
  ];
}

// ---- Plug-in groups. Each returns rows; the contracts are the modules' current exports. ----

type ConvModule = typeof import('./bench/conv.js');
type LayersModule = typeof import('./bench/layers.js');
type StepModule = typeof import('./bench/step.js');
type LoaderModule = typeof import('./bench-loader.js');
type TfjsModule = typeof import('./bench/tfjs.js');

async function benchConvGroup(ctx: GpuContext, m: ConvModule, o: Opts, t: TimeOptions, ceilings: Ceilings): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of o.imageSize) {
    for (const c of m.convBenchCases(o.batchSize, size)) {
      for (const pass of ['forward', 'backwardData', 'backwardWeights'] as const) {
        // Timed like the GEMM rows (GPU timestamps: the sum of the pass's dispatches).
        const { launch, flops, dispose } = m.convPass(ctx, c, pass);
        try {
          const r = await timeKernel(ctx, launch, t);
          rows.push(
            makeRow(
              {
                group: 'conv', kernel: `conv ${pass}`, shape: `${c.name} x[${c.x.join('×')}] w[${c.w.join('×')}]`,
                timer: r.timer, ms: r.ms, flops, workerCpuMs: r.workerCpuMs ? median(r.workerCpuMs) : undefined,
              },
              ceilings,
            ),
          );
        } finally {
          dispose();
        }
      }
    }
  }
  return rows;
}

async function benchLayersGroup(ctx: GpuContext, m: LayersModule, o: Opts, ceilings: Ceilings): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of m.layerBenchCases) {
    const { ms, bytes } = await m.benchLayer(ctx, c, o.reps);
    rows.push(makeRow({ group: 'layers', kernel: `${c.layer} ${c.pass}`, shape: `[${c.shape.join('×')}]`, timer: 'wall', ms, bytes }, ceilings));
  }
  return rows;
}

async function benchStepGroup(ctx: GpuContext, m: StepModule, o: Opts): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of o.imageSize) {
    // The trainer learns its step time over a few steps (it sleeps rather than spin while the
    // GPU works): warm up at least 6 steps so the rows show the steady state.
    for (const r of await m.benchStep(ctx, { batch: o.batchSize, size, reps: o.reps, warmup: Math.max(6, o.warmup) })) {
      rows.push(
        makeRow({
          group: 'step',
          kernel: r.mode === 'train' ? 'training step' : 'inference',
          shape: `${r.variant} b${r.batch} ${r.size}×${r.size}`,
          timer: 'wall',
          ms: r.ms,
          images: r.batch,
          note: r.buffersCreatedAfterWarmup > 0 ? `${r.buffersCreatedAfterWarmup} buffers created after warm-up` : undefined,
        }),
      );
    }
  }
  return rows;
}

async function benchLoaderGroup(m: LoaderModule, o: Opts): Promise<BenchRow[]> {
  const size = o.imageSize[0]!;
  const r = await m.benchLoader({ size, batchSize: o.batchSize, epochs: Math.max(1, Math.min(o.reps, 3)) });
  return [
    makeRow({
      group: 'loader',
      kernel: 'data loader (cached epoch, CPU)',
      shape: `${r.images} images ${r.size}×${r.size} b${r.batchSize}, ${r.workers} workers`,
      timer: 'wall',
      ms: r.cachedEpochSeconds.map((s) => (1000 * s * r.batchSize) / r.images),
      images: r.batchSize,
      note: 'ms per batch',
    }),
  ];
}

async function benchTfjsGroup(m: TfjsModule, o: Opts): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const backend = o.tfjsBackend as Parameters<TfjsModule['benchTfjsStep']>[0]['backend'];
  for (const size of o.imageSize) {
    const r = await m.benchTfjsStep({ backend, batch: o.batchSize, size, reps: o.reps, warmup: Math.max(1, o.warmup) });
    for (const [kernel, ms] of [
      ['tfjs training step', r.trainMs],
      ['tfjs inference', r.inferMs],
    ] as const) {
      rows.push(makeRow({ group: 'tfjs', kernel, shape: `tutorial b${o.batchSize} ${size}×${size}`, variant: r.backend, timer: 'wall', ms, images: o.batchSize }));
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const o = parseBenchOptions();
  let gemmShapes;
  let gemmVariants;
  try {
    gemmShapes = o.gemmSizes ? parseGemmShapes(o.gemmSizes) : DEFAULT_GEMM_SHAPES;
    gemmVariants = parseGemmVariants(o.gemmVariant);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const ctx = await createNodeContext();
  console.log(`adapter: ${ctx.info.adapter}`);
  console.log(`kernels: ${ctx.kernelPath} (ALEXNET_KERNELS); limits: ${ctx.info.limits} (ALEXNET_GPU_LIMITS)`);
  const timer = pickTimer(ctx, o.timer);
  const machine = machineInfo();
  console.log(
    `timer: ${timer === 'gpu-timestamp' ? 'GPU timestamp queries' : 'wall clock around a sync'}; ${o.reps} reps, ${o.warmup} warm-up; ` +
      `${machine.cpus} CPUs, load average ${machine.loadAverage1m.toFixed(2)}${machine.lpNumThreads ? `, LP_NUM_THREADS=${machine.lpNumThreads}` : ''}` +
      `${o.quietMain ? '; main thread niced while waiting' : ctx.hostWaitKind === 'quiet' ? '; host waits niced, as the trainer does' : ''}`,
  );
  const t: TimeOptions = { reps: o.reps, warmup: o.warmup, timer, cpuTime: o.cpuTime, quietMain: o.quietMain };
  const rows: BenchRow[] = [];
  const skipped: BenchReport['skipped'] = [];
  let ceilings: Ceilings = {};
  const want = new Set(o.only);
  // Rows report their share of the ceilings, so measure those whenever such rows run.
  if (o.ceilings && ['gemm', 'elementwise', 'reduce', 'conv', 'layers'].some((g) => want.has(g as Group))) want.add('ceilings');

  const run = async (group: Group, f: () => Promise<BenchRow[]>) => {
    if (!want.has(group)) return;
    const started = performance.now();
    try {
      rows.push(...(await f()));
      console.error(`bench: ${group} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (e) {
      const reason = (e as Error).message;
      skipped.push({ group, reason });
      console.error(`bench: ${group} failed, skipped: ${reason}`);
    }
  };

  await run('ceilings', async () => {
    const r = await measureCeilings(ctx, { ...t, copyElements: o.elements });
    ceilings = r.ceilings;
    return r.rows;
  });
  await run('gemm', () => benchGemm(ctx, gemmShapes, gemmVariants, t, ceilings));
  await run('elementwise', () => benchElementwise(ctx, o.elements, t, ceilings));
  await run('reduce', () => benchReduce(ctx, o.elements, t, ceilings));
  await run('conv', async () => {
    const m: ConvModule = await import('./bench/conv.js');
    return benchConvGroup(ctx, m, o, t, ceilings);
  });
  await run('layers', async () => {
    const m: LayersModule = await import('./bench/layers.js');
    return benchLayersGroup(ctx, m, o, ceilings);
  });
  await run('step', async () => {
    const m: StepModule = await import('./bench/step.js');
    return benchStepGroup(ctx, m, o);
  });
  await run('loader', async () => {
    const m: LoaderModule = await import('./bench-loader.js');
    return benchLoaderGroup(m, o);
  });
  await run('tfjs', async () => {
    const m: TfjsModule = await import('./bench/tfjs.js');
    return benchTfjsGroup(m, o);
  });

  console.log(formatTable(rows, { cpuTime: o.cpuTime }));
  for (const s of skipped) console.log(`skipped ${s.group}: ${s.reason}`);
  let comparison: unknown = undefined;
  if (o.compare === 'torch') {
    const { compareWithTorch } = await import('./bench/compare.js');
    console.log(`\ncompare: tutorial AlexNet, batch ${o.batchSize}, ${o.imageSize[0]}×${o.imageSize[0]}, ours vs PyTorch on ${process.env.ALEXNET_TORCH_DEVICE ? `the device ${process.env.ALEXNET_TORCH_DEVICE} (ALEXNET_TORCH_DEVICE)` : 'the CPU'}`);
    try {
      comparison = await compareWithTorch(ctx, { batch: o.batchSize, size: o.imageSize[0]!, reps: Math.max(2, Math.min(o.reps, 5)) });
    } catch (e) {
      throw new UserError((e as Error).message);
    }
  }
  if (o.compare === 'tfjs') {
    const { compareWithTfjs } = await import('./bench/compare.js');
    console.log(`\ncompare: tutorial AlexNet, batch ${o.batchSize}, ${o.imageSize[0]}×${o.imageSize[0]}, ours vs TensorFlow.js (${o.compareBackend})`);
    comparison = await compareWithTfjs(ctx, { batch: o.batchSize, size: o.imageSize[0]!, reps: Math.max(2, Math.min(o.reps, 5)), backends: o.compareBackend.split(',') });
  }
  if (o.json) {
    const report: BenchReport = {
      adapter: ctx.info.adapter,
      kernelPath: ctx.kernelPath,
      limits: ctx.info.limits ?? 'adapter',
      features: ctx.info.features,
      timer,
      date: new Date().toISOString(),
      machine,
      options: { ...o },
      ceilings,
      rows,
      skipped,
      ...(comparison ? { comparison } : {}),
    };
    writeJson(o.json, report);
    console.log(`wrote ${o.json}`);
  }
}

/** The command as an entry point, for a bundle whose file is not this one (scripts/device/). */
export function benchCli(): Promise<never> {
  return runMain(main);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void benchCli();
