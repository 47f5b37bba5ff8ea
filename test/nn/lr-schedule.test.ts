/**
 * The warm-up + cosine schedule against its closed form, and in the fit loop: the optimizer's
 * rate at every step is the schedule's, also after a resume.
 */
import { describe, expect, it } from 'vitest';
import { LrSchedule, scheduledLr, type Callback } from '../../src/nn/callbacks.js';
import { fit, type BatchStream, type FitPosition } from '../../src/nn/fit.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu } from '../helpers.js';

describe('learning-rate schedule', () => {
  it('linear warm-up to the peak, then half a cosine down to the floor', () => {
    const o = { shape: 'cosine' as const, lr: 1e-3, minLr: 1e-5, totalSteps: 110, warmupSteps: 10 };
    expect(scheduledLr(o, 0)).toBeCloseTo(1e-4, 12);
    expect(scheduledLr(o, 4)).toBeCloseTo(5e-4, 12);
    expect(scheduledLr(o, 9)).toBeCloseTo(1e-3, 12);
    expect(scheduledLr(o, 10)).toBeCloseTo(1e-3, 12);
    expect(scheduledLr(o, 60)).toBeCloseTo(1e-5 + (1e-3 - 1e-5) * 0.5, 12); // half way: cos(π/2) = 0
    expect(scheduledLr(o, 85)).toBeCloseTo(1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + Math.cos(0.75 * Math.PI)), 12);
    expect(scheduledLr(o, 110)).toBeCloseTo(1e-5, 12);
    expect(scheduledLr({ ...o, shape: 'constant' }, 50)).toBe(1e-3);
    expect(() => new LrSchedule({ ...o, warmupSteps: 200 })).toThrow(/warmupSteps/);
  });

  it('fit sets the rate of every step, and a resumed run continues the curve', async () => {
    const ctx = await gpu();
    const size = 67;
    const model = buildModel({ variant: 'tutorial', imageSize: size, width: 0.125 }).build(ctx, 1);
    const opt = new Adam({ lr: 1 });
    const trainer = new Trainer(ctx, model, opt);
    const seen: number[] = [];
    const spy: Callback = { name: 'spy', onBatchBegin: () => void 0 };
    const train: BatchStream = {
      seek() {},
      next: async () => {
        seen.push(opt.lr);
        return { x: new Float32Array(2 * size * size * 3).fill(0.5), y: Float32Array.from([0, 1]), batchSize: 2 };
      },
    };
    const o = { shape: 'cosine' as const, lr: 1e-3, minLr: 0, totalSteps: 12, warmupSteps: 3 };
    let saved: FitPosition | null = null;
    let steps = 0;
    await fit(trainer, train, null, {
      epochs: 3,
      stepsPerEpoch: 4,
      seed: 1,
      callbacks: [new LrSchedule(o), spy],
      hooks: { onBatchEnd: () => void steps++, shouldStop: () => steps >= 5, saveCheckpoint: async (p) => void (saved = structuredClone(p)) },
    });
    opt.lr = 123; // whatever the rate was, the schedule sets it again on resume
    await fit(trainer, train, null, { epochs: 3, stepsPerEpoch: 4, seed: 1, callbacks: [new LrSchedule(o)], resume: saved! });
    expect(seen).toHaveLength(12);
    seen.forEach((lr, step) => expect(lr, `step ${step}`).toBeCloseTo(scheduledLr(o, step), 15));
    trainer.dispose();
    model.dispose();
  });
});
