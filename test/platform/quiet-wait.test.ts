/**
 * The quiet host wait (src/platform/quiet-wait.ts): the main thread sits at nice 19 exactly
 * while it waits, gets its priority back afterwards (also when the wait fails), and the trainer
 * waits through the context's hostWait, which the Node platform sets on a software adapter.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { quietHostWait } from '../../src/platform/quiet-wait.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu } from '../helpers.js';

const root = process.platform === 'linux' && process.getuid?.() === 0;

describe('quiet host wait', () => {
  it('runs the wait at nice 19 and restores the priority, also after a failure; offered only where it can restore', async () => {
    const wait = quietHostWait({});
    const before = os.getPriority(0);
    if (root) expect(wait).not.toBeNull();
    if (!wait) {
      // Off: because this process may not lower its nice value again (the probe's reason).
      expect(() => {
        os.setPriority(0, Math.min(before + 1, 19));
        os.setPriority(0, before);
      }).toThrow();
      return;
    }
    const during = await wait(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return os.getPriority(0);
    });
    expect(during).toBe(19);
    expect(os.getPriority(0)).toBe(before);
    await expect(wait(() => Promise.reject(new Error('lost')))).rejects.toThrow('lost');
    expect(os.getPriority(0)).toBe(before);
  });

  it('is off with ALEXNET_QUIET_WAIT=0', () => {
    expect(quietHostWait({ ALEXNET_QUIET_WAIT: '0' })).toBeNull();
  });

  it('the trainer waits for each step through ctx.hostWait, which Node sets on a software adapter', async () => {
    const ctx = await gpu();
    if (root && /llvmpipe|lavapipe|swiftshader/i.test(ctx.info.adapter)) {
      // Not the context's default pass-through: the quiet one, which changes the priority.
      let seen = -100;
      await ctx.hostWait(async () => void (seen = os.getPriority(0)));
      expect(seen).toBe(19);
    }
    const model = buildModel({ variant: 'tutorial', imageSize: 67, width: 0.125 }).build(ctx, 1);
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-3 }));
    const original = ctx.hostWait;
    let waits = 0;
    ctx.hostWait = (w) => {
      waits++;
      return original(w);
    };
    try {
      const x = new Float32Array(2 * 67 * 67 * 3).map((_, i) => ((i * 7919) % 255) / 255);
      const r = await trainer.trainStep(x, new Float32Array([0, 1]), 2, 0);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(waits).toBe(1);
      await trainer.logits(x, 2);
      expect(waits).toBe(2);
    } finally {
      ctx.hostWait = original;
      trainer.dispose();
      model.dispose();
    }
  });
});
