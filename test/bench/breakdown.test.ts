/**
 * The step breakdown (scripts/bench/breakdown.ts) on a small network: its parts add up to the
 * step's wall time, the wrapped context methods are restored, and the GPU time is grouped by op.
 */
import { describe, expect, it } from 'vitest';
import { breakdownStep, formatBreakdown, opOf } from '../../scripts/bench/breakdown.js';
import { gpu } from '../helpers.js';

describe('step breakdown', () => {
  it('names the op of a dispatch label', () => {
    expect(opOf('conv2d-dx[8×26×26×128 · 5×5]')).toBe('conv2d-dx');
    expect(opOf('adam (3200×1024)')).toBe('adam');
    expect(opOf('fill')).toBe('fill');
  });

  it('splits a step into recording, sleep and wait that add up to its wall time', async () => {
    const ctx = await gpu();
    const dispatch = ctx.dispatch;
    const b = await breakdownStep(ctx, { size: 67, width: 0.25, batch: 2, reps: 3, warmup: 2 });
    expect(ctx.dispatch).toBe(dispatch);
    expect(b.wallMs).toBeGreaterThan(0);
    // Medians of each part need not add up exactly; each is within the wall time.
    for (const part of [b.recordMs, b.sleepMs, b.waitMs]) {
      expect(part).toBeGreaterThanOrEqual(0);
      expect(part).toBeLessThanOrEqual(b.wallMs + 1e-6);
    }
    // Every dispatch happens while the step is recorded, so per step (and so in the median)
    // dispatch time ≤ recording time. The last flush (the submit) comes after recording ends.
    expect(b.dispatchMs).toBeLessThanOrEqual(b.recordMs + 1e-6);
    expect(b.flushMs).toBeGreaterThan(0);
    expect(b.dispatches).toBeGreaterThan(40);
    expect(b.submits).toBeGreaterThanOrEqual(1);
    if (ctx.info.hasTimestamps) {
      const ops = b.gpuByOp.map((r) => r.op);
      expect(ops).toContain('adam');
      expect(b.gpuByOp.reduce((s, r) => s + r.count, 0)).toBe(b.dispatches);
      expect(b.gpuTotalMs).toBeCloseTo(b.gpuByOp.reduce((s, r) => s + r.ms, 0), 6);
    }
    expect(formatBreakdown(b)).toContain('after submit: host asleep');
  });
});
