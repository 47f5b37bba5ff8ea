import { describe, expect, it } from 'vitest';
import {
  BestTracker,
  EarlyStopping,
  ReduceLROnPlateau,
  type CallbackContext,
  type EarlyStoppingOptions,
  type Logs,
  type ReduceLROnPlateauOptions,
} from '../../src/nn/callbacks.js';

class FakeCtx implements CallbackContext {
  lr: number;
  logs: string[] = [];
  setLrCalls: number[] = [];
  weights = 'w-init';
  restored: unknown[] = [];
  constructor(lr: number) {
    this.lr = lr;
  }
  getLr(): number {
    return this.lr;
  }
  setLr(lr: number): void {
    this.lr = lr;
    this.setLrCalls.push(lr);
  }
  log(msg: string): void {
    this.logs.push(msg);
  }
  snapshotWeights(): unknown {
    return this.weights;
  }
  restoreWeights(s: unknown): void {
    this.restored.push(s);
    this.weights = s as string;
  }
}

/** Drive a ReduceLROnPlateau over a metric sequence; returns the LR in effect after each epoch. */
function runPlateau(opts: ReduceLROnPlateauOptions, values: number[], lr0: number, monitor = opts.monitor ?? 'val_loss') {
  const cb = new ReduceLROnPlateau(opts);
  const ctx = new FakeCtx(lr0);
  const lrAfter: number[] = [];
  const loggedLr: number[] = [];
  const reducedAt: number[] = [];
  values.forEach((v, epoch) => {
    const logs: Logs = { loss: 0.1, [monitor]: v };
    const before = ctx.setLrCalls.length;
    cb.onEpochEnd(epoch, logs, ctx);
    if (ctx.setLrCalls.length > before) reducedAt.push(epoch);
    loggedLr.push(logs.lr!);
    lrAfter.push(ctx.lr);
  });
  return { cb, ctx, lrAfter, loggedLr, reducedAt };
}

describe('ReduceLROnPlateau', () => {
  it('val_accuracy plateau with patience 2, factor 0.5 (auto -> max)', () => {
    // epoch 0: 0.60 > -inf            -> best 0.60, wait 0
    // epoch 1: 0.65 > 0.60 + 1e-4     -> best 0.65, wait 0
    // epoch 2: 0.65 not > 0.6501      -> wait 1
    // epoch 3: 0.64                   -> wait 2 >= 2: lr 1e-3 -> 5e-4, wait 0
    // epoch 4: 0.66 > 0.6501          -> best 0.66, wait 0
    // epoch 5: 0.66                   -> wait 1
    // epoch 6: 0.66                   -> wait 2: lr 5e-4 -> 2.5e-4, wait 0
    // epoch 7: 0.66                   -> wait 1
    // epoch 8: 0.70                   -> best 0.70, wait 0
    const r = runPlateau({ monitor: 'val_accuracy', patience: 2, factor: 0.5 }, [0.6, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.7], 1e-3);
    expect(r.cb.direction).toBe('max');
    expect(r.reducedAt).toEqual([3, 6]);
    expect(r.lrAfter).toEqual([1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4, 2.5e-4, 2.5e-4, 2.5e-4]);
    // logs.lr holds the LR used during the epoch (read before the reduction), as in Keras.
    expect(r.loggedLr).toEqual([1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4, 2.5e-4, 2.5e-4]);
    expect(r.cb.best).toBe(0.7);
    expect(r.cb.wait).toBe(0);
  });

  it('the same numbers under val_loss are minimised (auto -> min)', () => {
    // epoch 0 sets best 0.60; every later value is >= 0.5999, so wait grows 1, 2 -> reduce,
    // and reductions land on epochs 2, 4, 6, 8.
    const r = runPlateau({ monitor: 'val_loss', patience: 2, factor: 0.5 }, [0.6, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.66, 0.7], 1e-3);
    expect(r.cb.direction).toBe('min');
    expect(r.reducedAt).toEqual([2, 4, 6, 8]);
    expect(r.ctx.lr).toBeCloseTo(1e-3 / 16, 15);
  });

  it('explicit mode overrides the name heuristic', () => {
    expect(new ReduceLROnPlateau({ monitor: 'val_accuracy', mode: 'min' }).direction).toBe('min');
    expect(new ReduceLROnPlateau({ monitor: 'val_loss', mode: 'max' }).direction).toBe('max');
    // 'acc' anywhere in the name means max for ReduceLROnPlateau
    expect(new ReduceLROnPlateau({ monitor: 'val_acc_gap' }).direction).toBe('max');
  });

  it('cooldown: counter decrements at the start of each epoch end, so cooldown 2 skips one epoch', () => {
    // patience 1, cooldown 2, constant val_loss:
    // e0: best 1.0
    // e1: wait 1 >= 1 -> lr 1 -> 0.5, cooldown_counter = 2
    // e2: counter 2 -> 1 (wait 0); still in cooldown -> nothing
    // e3: counter 1 -> 0; not in cooldown, wait 1 -> lr 0.5 -> 0.25, counter = 2
    // e4: counter -> 1
    // e5: counter -> 0, wait 1 -> lr 0.125
    // e6: counter -> 1
    const r = runPlateau({ patience: 1, cooldown: 2, factor: 0.5 }, [1, 1, 1, 1, 1, 1, 1], 1);
    expect(r.reducedAt).toEqual([1, 3, 5]);
    expect(r.lrAfter).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    expect(r.cb.cooldownCounter).toBe(1);
  });

  it('cooldown: improvements during cooldown still update best', () => {
    // patience 1, cooldown 3:
    // e0: best 1.0          e1: 1.0 -> wait 1 -> reduce (1 -> 0.5), counter 3
    // e2: counter 2, 0.9 improves -> best 0.9
    // e3: counter 1, 0.95 no improvement, in cooldown -> nothing
    // e4: counter 0, 0.95 -> wait 1 -> reduce (0.5 -> 0.25), counter 3
    const r = runPlateau({ patience: 1, cooldown: 3, factor: 0.5 }, [1, 1, 0.9, 0.95, 0.95], 1);
    expect(r.reducedAt).toEqual([1, 4]);
    expect(r.cb.best).toBe(0.9);
  });

  it('minLr floors the LR and stops further reductions (wait keeps counting)', () => {
    // factor 0.1, patience 1, minLr 2e-5, lr 1e-3:
    // e1: 1e-3 -> max(1e-4, 2e-5) = 1e-4     e2: 1e-4 -> max(1e-5, 2e-5) = 2e-5
    // e3: lr 2e-5 is not > float32(2e-5): no change, wait stays 1     e4: wait 2
    const r = runPlateau({ patience: 1, factor: 0.1, minLr: 2e-5 }, [1, 1, 1, 1, 1], 1e-3);
    expect(r.reducedAt).toEqual([1, 2]);
    expect(r.ctx.setLrCalls[0]).toBeCloseTo(1e-4, 18);
    expect(r.ctx.setLrCalls[1]).toBe(2e-5);
    expect(r.ctx.lr).toBe(2e-5);
    expect(r.cb.wait).toBe(2);
  });

  it('compares the LR with minLr in float32 like Keras', () => {
    // lr 1, factor 0.1: after four reductions the LR is 1.0000000000000003e-4 in double precision.
    // That is above minLr = 1e-4 as doubles, but equal once both are float32 (Keras keeps the LR
    // in a float32 variable and compares with np.float32(min_lr)), so e5 and e6 change nothing.
    const r = runPlateau({ patience: 1, factor: 0.1, minLr: 1e-4 }, [1, 1, 1, 1, 1, 1, 1], 1);
    expect(r.reducedAt).toEqual([1, 2, 3, 4]);
    expect(r.ctx.lr).toBe(1 * 0.1 * 0.1 * 0.1 * 0.1);
  });

  it('minDelta: changes smaller than minDelta are not improvements', () => {
    // minDelta 0.01, patience 1:
    // e0 best 1.0; e1 0.995 not < 0.99 -> reduce; e2 0.985 < 0.99 -> best; e3 0.97 < 0.975 -> best
    const withDelta = runPlateau({ patience: 1, factor: 0.5, minDelta: 0.01 }, [1, 0.995, 0.985, 0.97], 1);
    expect(withDelta.reducedAt).toEqual([1]);
    expect(withDelta.cb.best).toBe(0.97);
    const noDelta = runPlateau({ patience: 1, factor: 0.5, minDelta: 0 }, [1, 0.995, 0.985, 0.97], 1);
    expect(noDelta.reducedAt).toEqual([]);
  });

  it('default minDelta 1e-4: an improvement of 5e-5 does not count', () => {
    const r = runPlateau({ patience: 1, factor: 0.5 }, [0.5, 0.49995], 1);
    expect(r.reducedAt).toEqual([1]);
  });

  it('verbose logs the Keras message; the message is returned either way', () => {
    const cb = new ReduceLROnPlateau({ patience: 0, factor: 0.5, verbose: 1 });
    const ctx = new FakeCtx(0.5);
    expect(cb.onEpochEnd(0, { val_loss: 1 }, ctx)).toBeUndefined(); // improvement from inf
    const msg = cb.onEpochEnd(1, { val_loss: 1 }, ctx);
    expect(msg).toBe('Epoch 2: ReduceLROnPlateau reducing learning rate to 0.25.');
    expect(ctx.logs).toEqual([msg]);
    const quiet = new ReduceLROnPlateau({ patience: 0, factor: 0.5 });
    const qctx = new FakeCtx(0.5);
    quiet.onEpochEnd(0, { val_loss: 1 }, qctx);
    expect(quiet.onEpochEnd(1, { val_loss: 1 }, qctx)).toMatch(/reducing learning rate to 0.25/);
    expect(qctx.logs).toEqual([]);
  });

  it('missing monitor: warning, no crash, no state change', () => {
    const cb = new ReduceLROnPlateau({ patience: 1 });
    const ctx = new FakeCtx(0.1);
    const msg = cb.onEpochEnd(0, { loss: 0.3, accuracy: 0.9 }, ctx);
    expect(msg).toBe(
      'Learning rate reduction is conditioned on metric `val_loss` which is not available. Available metrics are: loss,accuracy,lr',
    );
    expect(ctx.logs).toEqual([msg]);
    expect(cb.best).toBe(Infinity);
    expect(cb.wait).toBe(0);
    expect(ctx.lr).toBe(0.1);
  });

  it('rejects factor >= 1 and warns about an unknown mode', () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow('ReduceLROnPlateau does not support a factor >= 1.0. Got 1');
    expect(() => new ReduceLROnPlateau({ factor: 2.5 })).toThrow(/factor >= 1.0/);
    const cb = new ReduceLROnPlateau({ mode: 'bogus' as never, monitor: 'val_accuracy' });
    expect(cb.mode).toBe('auto');
    expect(cb.direction).toBe('max');
    const ctx = new FakeCtx(1);
    cb.onEpochEnd(0, { val_accuracy: 0.5 }, ctx);
    expect(ctx.logs).toEqual(['Learning rate reduction mode bogus is unknown, fallback to auto mode.']);
  });

  it('state/restore mid-sequence gives the identical LR trajectory', () => {
    const opts: ReduceLROnPlateauOptions = { patience: 2, cooldown: 1, factor: 0.5, minDelta: 0.001 };
    const values = [0.9, 0.8, 0.8, 0.81, 0.79, 0.8, 0.8, 0.8, 0.7, 0.71, 0.71, 0.72, 0.72];
    const full = runPlateau(opts, values, 1);
    // reductions: e3 (wait 2), e6 (wait 2), e10 and e12 (cooldown 1 is consumed at the next epoch end)
    expect(full.reducedAt).toEqual([3, 6, 10, 12]);
    for (let k = 1; k < values.length; k++) {
      const first = new ReduceLROnPlateau(opts);
      const ctx = new FakeCtx(1);
      for (let e = 0; e < k; e++) first.onEpochEnd(e, { val_loss: values[e]! }, ctx);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = new ReduceLROnPlateau(opts);
      resumed.restore(saved);
      const lrAfter = full.lrAfter.slice(0, k);
      for (let e = k; e < values.length; e++) {
        resumed.onEpochEnd(e, { val_loss: values[e]! }, ctx);
        lrAfter.push(ctx.lr);
      }
      expect(lrAfter, `resume after epoch ${k - 1}`).toEqual(full.lrAfter);
    }
    // Without the restored state the outcome differs (so the test above can fail).
    const ctx = new FakeCtx(1);
    const a = new ReduceLROnPlateau(opts);
    for (let e = 0; e < 3; e++) a.onEpochEnd(e, { val_loss: values[e]! }, ctx);
    const fresh = new ReduceLROnPlateau(opts);
    const lrs = full.lrAfter.slice(0, 3);
    for (let e = 3; e < values.length; e++) {
      fresh.onEpochEnd(e, { val_loss: values[e]! }, ctx);
      lrs.push(ctx.lr);
    }
    expect(lrs).not.toEqual(full.lrAfter);
  });

  it('restore refuses a state for another monitor', () => {
    const a = new ReduceLROnPlateau({ monitor: 'val_loss' });
    const b = new ReduceLROnPlateau({ monitor: 'loss' });
    expect(() => b.restore(a.state())).toThrow(/monitors "loss"/);
  });
});

/** Drive an EarlyStopping; returns the epoch at which stopTraining became true (or null). */
function runEarly(opts: EarlyStoppingOptions, values: number[], ctx = new FakeCtx(1)) {
  const cb = new EarlyStopping(opts);
  const monitor = opts.monitor ?? 'val_loss';
  let stoppedAt: number | null = null;
  for (let epoch = 0; epoch < values.length; epoch++) {
    ctx.weights = `w${epoch}`;
    cb.onEpochEnd(epoch, { loss: 0.1, [monitor]: values[epoch]! }, ctx);
    if (cb.stopTraining) {
      stoppedAt = epoch;
      break;
    }
  }
  return { cb, ctx, stoppedAt };
}

describe('EarlyStopping', () => {
  it('patience 2 on val_loss', () => {
    // e0: wait 1, 0.9 < inf -> best, wait 0      e1: wait 1, 0.8 -> best, wait 0
    // e2: wait 1, 0.85 no                         e3: wait 2 >= 2 -> stop at epoch 3
    const r = runEarly({ patience: 2 }, [0.9, 0.8, 0.85, 0.82, 0.7]);
    expect(r.stoppedAt).toBe(3);
    expect(r.cb.stoppedEpoch).toBe(3);
    expect(r.cb.best).toBe(0.8);
    expect(r.cb.bestEpoch).toBe(1);
    expect(r.cb.onTrainEnd(r.ctx)).toBe('Epoch 4: early stopping');
  });

  it('patience 0 stops at the first non-improving epoch, but never at epoch 0', () => {
    expect(runEarly({}, [1.0, 1.1, 0.5]).stoppedAt).toBe(1);
    // NaN at epoch 0 is not an improvement, yet the "epoch > 0" guard prevents a stop.
    const r = runEarly({}, [NaN, 0.5, 0.4, 0.4]);
    expect(r.stoppedAt).toBe(3);
  });

  it('minDelta sign is ignored and applies in the monitored direction (val_accuracy -> max)', () => {
    // minDelta -0.01 -> |0.01|, max direction: improvement means current - 0.01 > best.
    // e0: improve (best 0.5); e1: 0.505 - 0.01 = 0.495 not > 0.5 -> wait 1 >= 1 -> stop.
    const r = runEarly({ monitor: 'val_accuracy', patience: 1, minDelta: -0.01 }, [0.5, 0.505, 0.52, 0.525]);
    expect(r.cb.direction).toBe('max');
    expect(r.cb.minDelta).toBe(0.01);
    expect(r.stoppedAt).toBe(1);
    // Without minDelta each value improves, so it never stops.
    expect(runEarly({ monitor: 'val_accuracy', patience: 1 }, [0.5, 0.505, 0.52, 0.525]).stoppedAt).toBeNull();
    // In min direction the stored delta is negative.
    expect(new EarlyStopping({ minDelta: 0.01 }).minDelta).toBe(-0.01);
  });

  it('auto mode uses the name ending: acc / accuracy / auc -> max', () => {
    expect(new EarlyStopping({ monitor: 'val_acc' }).direction).toBe('max');
    expect(new EarlyStopping({ monitor: 'val_accuracy' }).direction).toBe('max');
    expect(new EarlyStopping({ monitor: 'val_auc' }).direction).toBe('max');
    expect(new EarlyStopping({ monitor: 'val_loss' }).direction).toBe('min');
    // unlike ReduceLROnPlateau, a name merely containing "acc" is minimised
    expect(new EarlyStopping({ monitor: 'val_acc_gap' }).direction).toBe('min');
  });

  it('baseline: improvements that do not beat the baseline do not reset the wait', () => {
    // baseline 0.5, patience 2:
    // e0: wait 1, 0.8 improves best but not the baseline -> wait stays 1 (returns, no stop check)
    // e1: wait 2, 0.7 same                    e2: wait 3, 0.6 same
    // e3: wait 4, 0.4 beats best and baseline -> wait 0
    // e4: wait 1, 0.45 no improvement          e5: wait 2 >= 2 -> stop
    const r = runEarly({ patience: 2, baseline: 0.5 }, [0.8, 0.7, 0.6, 0.4, 0.45, 0.46, 0.3]);
    expect(r.stoppedAt).toBe(5);
    expect(r.cb.best).toBe(0.4);
    // Never reaching the baseline: e0 wait 1, e1 wait 2 (improves, returns), e2 wait 3 no improvement -> stop.
    expect(runEarly({ patience: 2, baseline: 0.5 }, [0.8, 0.7, 0.75, 0.76]).stoppedAt).toBe(2);
  });

  it('restoreBestWeights snapshots at the best epoch and restores at train end', () => {
    // e0: first snapshot (w0), improves -> w0   e1: 0.4 improves -> snapshot w1
    // e2: wait 1      e3: wait 2 -> stop; onTrainEnd restores w1 (best epoch index 1 -> "epoch 2")
    const r = runEarly({ patience: 2, restoreBestWeights: true, verbose: 1 }, [0.5, 0.4, 0.45, 0.47, 0.1]);
    expect(r.stoppedAt).toBe(3);
    expect(r.cb.bestWeights).toBe('w1');
    const msg = r.cb.onTrainEnd(r.ctx);
    expect(msg).toBe('Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.');
    expect(r.ctx.restored).toEqual(['w1']);
    expect(r.ctx.logs).toEqual(['Epoch 4: early stopping', 'Restoring model weights from the end of the best epoch: 2.']);
    // Also restores when training ran to completion without stopping.
    const done = runEarly({ patience: 5, restoreBestWeights: true }, [0.5, 0.3, 0.4]);
    expect(done.stoppedAt).toBeNull();
    done.cb.onTrainEnd(done.ctx);
    expect(done.ctx.restored).toEqual(['w1']);
  });

  it('restoreBestWeights without weight hooks is a clear error', () => {
    const cb = new EarlyStopping({ restoreBestWeights: true });
    const ctx: CallbackContext = { getLr: () => 1, setLr: () => {}, log: () => {} };
    expect(() => cb.onEpochEnd(0, { val_loss: 1 }, ctx)).toThrow(/snapshotWeights/);
  });

  it('startFromEpoch skips the warm-up epochs', () => {
    // epochs 0, 1 ignored; e2: wait 1, improves -> 0; e3: wait 1 >= 0 -> stop
    const r = runEarly({ startFromEpoch: 2 }, [1, 2, 3, 4]);
    expect(r.stoppedAt).toBe(3);
    expect(r.cb.bestEpoch).toBe(2);
  });

  it('missing monitor warns and changes nothing', () => {
    const cb = new EarlyStopping({ patience: 0 });
    const ctx = new FakeCtx(1);
    const msg = cb.onEpochEnd(3, { loss: 0.2, accuracy: 0.9 }, ctx);
    expect(msg).toBe('Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss,accuracy');
    expect(ctx.logs).toEqual([msg]);
    expect(cb.wait).toBe(0);
    expect(cb.stopTraining).toBe(false);
  });

  it('state/restore mid-sequence gives the identical stop epoch', () => {
    const opts: EarlyStoppingOptions = { patience: 3, baseline: 0.6, minDelta: 0.005 };
    const values = [0.9, 0.8, 0.7, 0.65, 0.55, 0.56, 0.552, 0.549, 0.56, 0.57, 0.58];
    const full = runEarly(opts, values);
    expect(full.stoppedAt).toBe(7);
    for (let k = 1; k <= 7; k++) {
      const a = new EarlyStopping(opts);
      const ctx = new FakeCtx(1);
      for (let e = 0; e < k; e++) a.onEpochEnd(e, { val_loss: values[e]! }, ctx);
      const b = new EarlyStopping(opts);
      b.restore(JSON.parse(JSON.stringify(a.state())));
      let stoppedAt: number | null = null;
      for (let e = k; e < values.length && stoppedAt === null; e++) {
        b.onEpochEnd(e, { val_loss: values[e]! }, ctx);
        if (b.stopTraining) stoppedAt = e;
      }
      expect(stoppedAt, `resume after epoch ${k - 1}`).toBe(7);
      expect(b.best).toBe(full.cb.best);
    }
    // A fresh instance resumed at epoch 5 would decide differently (it would stop at epoch 9).
    const fresh = new EarlyStopping(opts);
    let stoppedAt: number | null = null;
    for (let e = 5; e < values.length && stoppedAt === null; e++) {
      fresh.onEpochEnd(e, { val_loss: values[e]! }, new FakeCtx(1));
      if (fresh.stopTraining) stoppedAt = e;
    }
    expect(stoppedAt).toBe(9);
  });
});

describe('BestTracker (ModelCheckpoint save_best_only)', () => {
  function decisions(t: BestTracker, monitor: string, values: number[]): boolean[] {
    return values.map((v, e) => t.update(e, { [monitor]: v }));
  }

  it('val_accuracy: strict improvement, no min_delta', () => {
    const t = new BestTracker({ monitor: 'val_accuracy' });
    expect(t.direction).toBe('max');
    expect(decisions(t, 'val_accuracy', [0.5, 0.5, 0.6, 0.55, 0.6000001])).toEqual([true, false, true, false, true]);
    expect(t.best).toBe(0.6000001);
    expect(t.bestEpoch).toBe(4);
  });

  it('val_loss: minimised, initial best +Infinity', () => {
    const t = new BestTracker({ monitor: 'val_loss' });
    expect(t.best).toBe(Infinity);
    expect(decisions(t, 'val_loss', [0.7, 0.7, 0.69, 0.71])).toEqual([true, false, true, false]);
  });

  it('initialValueThreshold must be beaten first', () => {
    const t = new BestTracker({ monitor: 'val_accuracy', initialValueThreshold: 0.65 });
    expect(decisions(t, 'val_accuracy', [0.6, 0.65, 0.66])).toEqual([false, false, true]);
  });

  it('verbose messages and missing-monitor warning', () => {
    const t = new BestTracker({ monitor: 'val_loss', verbose: 1 });
    const ctx = new FakeCtx(1);
    expect(t.update(0, { val_loss: 0.7 }, ctx)).toBe(true);
    expect(t.update(1, { val_loss: 0.8 }, ctx)).toBe(false);
    expect(t.update(2, { loss: 0.1 }, ctx)).toBe(false);
    expect(ctx.logs).toEqual([
      'Epoch 1: val_loss improved from inf to 0.70000, saving model',
      'Epoch 2: val_loss did not improve from 0.70000',
      'Can save best model only with val_loss available, skipping.',
    ]);
  });

  it('state/restore keeps the best across a resume', () => {
    const a = new BestTracker({ monitor: 'val_accuracy' });
    decisions(a, 'val_accuracy', [0.5, 0.7]);
    const b = new BestTracker({ monitor: 'val_accuracy' });
    b.restore(JSON.parse(JSON.stringify(b.state())));
    expect(b.update(2, { val_accuracy: 0.6 })).toBe(true); // fresh: -inf -> anything is best
    const c = new BestTracker({ monitor: 'val_accuracy' });
    c.restore(JSON.parse(JSON.stringify(a.state())));
    expect(c.bestEpoch).toBe(1);
    expect(c.update(2, { val_accuracy: 0.6 })).toBe(false);
    expect(c.update(3, { val_accuracy: 0.71 })).toBe(true);
  });
});
