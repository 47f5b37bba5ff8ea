/**
 * A/B of convolution tunings on the whole training step and inference, interleaved in one
 * process (the only way to compare on a shared, noisy machine: a slow phase hits every
 * setting of a round alike).
 *
 *   npx tsx scripts/bench/tuning-ab.ts --set subgroupConv=false,true [--rounds 6] [--steps 3]
 *       [--image-size 224] [--batch-size 8] [--json FILE]
 *
 * Each round runs every setting once: 2 untimed steps (the trainer's step-wait policy
 * relearns the step time, a new setting compiles its pipelines), then --steps timed ones.
 * Prints each setting's median over rounds of the round medians, and its ratio to the first,
 * for the wall time and for the CPU time of the driver's worker threads per step (Linux: on
 * lavapipe that is the kernels' work, which other processes on the machine do not stretch;
 * the steadier of the two on a shared box).
 * --set takes one ConvTuning field (src/kernels/conv2d/tuning.ts) and its values, booleans
 * or numbers.
 */
import { writeFileSync } from 'node:fs';
import { type ConvTuning, setConvTuning } from '../../src/kernels/conv2d/conv2d.js';
import { DEFAULT_CONV } from '../../src/kernels/conv2d/tuning.js';
import { UserError, createNodeContext, runMain } from '../../src/platform/node-gpu.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { BATCH_SIZE, IMAGE_SIZE, flagValue, intAtLeast } from '../lib/args.js';
import { median, workerCpuMs } from './report.js';
import { stepFixture } from './step.js';

export type TuningValue = boolean | number;

/** `FIELD=V1,V2,...` → the ConvTuning field and its values (booleans or numbers, by the field's type). */
export function parseSet(spec: string | undefined): { field: keyof ConvTuning; values: TuningValue[] } {
  const m = spec ? /^(\w+)=(.+)$/.exec(spec) : null;
  if (!m) throw new UserError('--set FIELD=V1,V2,... is required, e.g. --set subgroupConv=false,true');
  const field = m[1] as keyof ConvTuning;
  const current = DEFAULT_CONV[field];
  if (typeof current !== 'boolean' && typeof current !== 'number') {
    throw new UserError(`--set: ${m[1]} is not a boolean or numeric field of the convolution tuning (src/kernels/conv2d/tuning.ts)`);
  }
  const values = m[2]!.split(',').map((v) => {
    if (typeof current === 'boolean') {
      if (v !== 'true' && v !== 'false') throw new UserError(`--set ${field}: '${v}' is not true or false`);
      return v === 'true';
    }
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw new UserError(`--set ${field}: '${v}' is not a number`);
    return n;
  });
  if (values.length < 2) throw new UserError(`--set ${field}: give two or more values to compare`);
  return { field, values };
}

export interface TuningAbOptions {
  field: keyof ConvTuning;
  values: TuningValue[];
  rounds: number;
  steps: number;
  size: number;
  batch: number;
  /** Width multiplier of the tutorial network (1 = the tutorial's; tests use less). */
  width?: number;
  onRound?: (line: string) => void;
}

export interface TuningAbSetting {
  value: TuningValue;
  medianMs: number;
  ratioToFirst: number;
  roundMs: number[];
  workerCpuMs: number | null;
  cpuRatioToFirst: number | null;
  roundWorkerCpuMs: number[];
}

/** Runs the interleaved rounds; per mode (train, inference), each setting's medians and ratios. */
export async function tuningAb(ctx: GpuContext, o: TuningAbOptions): Promise<Array<{ mode: 'train' | 'inference'; settings: TuningAbSetting[] }>> {
  const { field, values, batch, size } = o;
  const { trainer, x, y, dispose } = stepFixture(ctx, { size, batch, width: o.width });
  const modes = ['train', 'inference'] as const;
  // perRound[mode][setting] = that round's median ms (wall) / worker CPU ms per step.
  const perRound = modes.map(() => values.map(() => [] as number[]));
  const cpuRound = modes.map(() => values.map(() => [] as number[]));
  let step = 0;
  try {
    for (let r = 0; r < o.rounds; r++) {
      for (const [vi, value] of values.entries()) {
        const prev = setConvTuning(ctx, { [field]: value });
        try {
          for (const [mi, mode] of modes.entries()) {
            const run = () => (mode === 'train' ? trainer.trainStep(x, y, batch, step++) : trainer.evalStep(x, y, batch));
            for (let i = 0; i < 2; i++) await run();
            const ms: number[] = [];
            const cpu: number[] = [];
            for (let i = 0; i < o.steps; i++) {
              const c0 = workerCpuMs();
              const t0 = performance.now();
              await run();
              ms.push(performance.now() - t0);
              const c1 = workerCpuMs();
              if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
            }
            perRound[mi]![vi]!.push(median(ms));
            if (cpu.length) cpuRound[mi]![vi]!.push(median(cpu));
          }
        } finally {
          setConvTuning(ctx, prev);
        }
      }
      o.onRound?.(`round ${r + 1}: ` + modes.map((m, mi) => `${m} ${values.map((v, vi) => `${field}=${v} ${perRound[mi]![vi]!.at(-1)!.toFixed(0)}`).join(', ')}`).join('; '));
    }
  } finally {
    dispose();
  }
  return modes.map((mode, mi) => ({
    mode,
    settings: values.map((value, vi) => {
      const med = median(perRound[mi]![vi]!);
      const cpu = cpuRound[mi]![vi]!;
      const cpuMed = cpu.length ? median(cpu) : null;
      return {
        value, medianMs: med, ratioToFirst: med / median(perRound[mi]![0]!), roundMs: perRound[mi]![vi]!,
        workerCpuMs: cpuMed, cpuRatioToFirst: cpuMed === null ? null : cpuMed / median(cpuRound[mi]![0]!), roundWorkerCpuMs: cpu,
      };
    }),
  }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { field, values } = parseSet(flagValue(args, ['set']));
  const int = (names: readonly string[], d: string, min: number): number => {
    try {
      return intAtLeast(min)(flagValue(args, names) ?? d);
    } catch (e) {
      throw new UserError(`--${names[0]}: ${(e as Error).message}`);
    }
  };
  const rounds = int(['rounds'], '6', 1);
  const steps = int(['steps'], '3', 1);
  const size = int(IMAGE_SIZE, '224', 67);
  const batch = int(BATCH_SIZE, '8', 1);
  const json = flagValue(args, ['json']);

  const ctx = await createNodeContext();
  console.log(`adapter: ${ctx.info.adapter}; kernels: ${ctx.kernelPath}; tutorial b${batch} ${size}×${size}; ${rounds} rounds × ${steps} steps`);
  const result = await tuningAb(ctx, { field, values, rounds, steps, size, batch, onRound: (line) => console.log(line) });
  console.log(`| mode | ${values.map((v) => `${field}=${v} ms`).join(' | ')} | ${values.slice(1).map((v) => `${v} / ${values[0]}`).join(' | ')} |`);
  console.log(`|---|${values.map(() => '---:').join('|')}|${values.slice(1).map(() => '---:').join('|')}|`);
  for (const r of result) {
    console.log(`| ${r.mode} | ${r.settings.map((s) => s.medianMs.toFixed(1)).join(' | ')} | ${r.settings.slice(1).map((s) => s.ratioToFirst.toFixed(3)).join(' | ')} |`);
    if (r.settings[0]!.workerCpuMs !== null) {
      console.log(
        `| ${r.mode}, worker CPU | ${r.settings.map((s) => s.workerCpuMs!.toFixed(1)).join(' | ')} | ${r.settings.slice(1).map((s) => s.cpuRatioToFirst!.toFixed(3)).join(' | ')} |`,
      );
    }
  }
  if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info.adapter, field, size, batch, rounds, steps, result }, null, 2) + '\n');
}

if (process.argv[1]?.endsWith('tuning-ab.ts')) void runMain(main);
