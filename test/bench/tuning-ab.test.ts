/**
 * The tuning A/B (scripts/bench/tuning-ab.ts): interleaved rounds on a small network give
 * every setting a time per mode and restore the context's tuning; bad --set values are one
 * line before the GPU is opened.
 */
import { describe, expect, it } from 'vitest';
import { parseSet, tuningAb } from '../../scripts/bench/tuning-ab.js';
import { convTuning } from '../../src/kernels/conv2d/tuning.js';
import { run } from '../cli/run.js';
import { gpu } from '../helpers.js';

describe('tuning A/B', () => {
  it('times both settings of each round in both modes and leaves the tuning as it was', async () => {
    const ctx = await gpu();
    const before = { ...convTuning(ctx) };
    const lines: string[] = [];
    const result = await tuningAb(ctx, {
      field: 'subgroupConv', values: [false, true], rounds: 2, steps: 1, size: 67, batch: 2, width: 0.25, onRound: (l) => lines.push(l),
    });
    expect(result.map((r) => r.mode)).toEqual(['train', 'inference']);
    for (const r of result) {
      expect(r.settings.map((s) => s.value)).toEqual([false, true]);
      for (const s of r.settings) {
        expect(s.roundMs).toHaveLength(2);
        expect(s.medianMs).toBeGreaterThan(0);
        expect(s.ratioToFirst).toBeCloseTo(s.medianMs / r.settings[0]!.medianMs, 9);
      }
      expect(r.settings[0]!.ratioToFirst).toBe(1);
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^round 1: train subgroupConv=false \d+, subgroupConv=true \d+; inference /);
    expect(convTuning(ctx)).toEqual(before);
  });

  it('parses --set by the field type and refuses what it cannot compare', () => {
    expect(parseSet('subgroupConv=false,true')).toEqual({ field: 'subgroupConv', values: [false, true] });
    expect(parseSet('wgradRowColumnsVec4=8,16')).toEqual({ field: 'wgradRowColumnsVec4', values: [8, 16] });
    const bad: Array<[string | undefined, RegExp]> = [
      [undefined, /--set FIELD=V1,V2,\.\.\. is required/],
      ['rowKernels=1,2', /rowKernels is not a boolean or numeric field/],
      ['nothing=1,2', /nothing is not a boolean or numeric field/],
      ['subgroupConv=yes,no', /'yes' is not true or false/],
      ['gemmPixels=8,x', /'x' is not a number/],
      ['gemmPixels=8,', /'' is not a number/],
      ['gemmPixels=8', /give two or more values/],
    ];
    for (const [spec, message] of bad) expect(() => parseSet(spec), String(spec)).toThrow(message);
  });

  it('bad input from the command line: one line, exit 1, before any GPU work', async () => {
    for (const [args, message] of [
      [['--set', 'subgroupConv=maybe,true'], /^error: --set subgroupConv: 'maybe' is not true or false$/m],
      [['--set', 'subgroupConv=false,true', '--rounds', '0'], /^error: --rounds: expected a positive integer$/m],
    ] as Array<[string[], RegExp]>) {
      const r = await run('bench/tuning-ab.ts', args);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(message);
      expect(r.out).not.toMatch(/\n\s+at |adapter:/);
    }
  });
});
