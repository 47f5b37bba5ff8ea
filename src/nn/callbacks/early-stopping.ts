/** keras.callbacks.EarlyStopping: stop when a metric stops improving; optionally restore the best weights. */
import { availableKeys, checkInt, checkModeOrWarn, checkRestoredMonitor, decodeNumber, encodeNumber, monitorValue, num } from './common.js';
import type { Callback, CallbackContext, JsonNumber, Logs, MonitorMode } from './common.js';

export interface EarlyStoppingOptions {
  monitor?: string;
  /** Improvements smaller than |minDelta| do not count (the sign is ignored, as in Keras). */
  minDelta?: number;
  patience?: number;
  mode?: MonitorMode;
  /** Training stops unless the monitored value beats this within `patience` epochs. */
  baseline?: number | null;
  /** Snapshot weights at the best epoch (ctx.snapshotWeights) and put them back at train end. */
  restoreBestWeights?: boolean;
  /** Epochs (0-based index) to skip before monitoring starts. */
  startFromEpoch?: number;
  verbose?: boolean | number;
}

export interface EarlyStoppingState {
  kind: 'EarlyStopping';
  monitor: string;
  wait: number;
  stoppedEpoch: number;
  best: JsonNumber;
  bestEpoch: number;
  stopTraining: boolean;
}

export class EarlyStopping implements Callback {
  readonly name = 'earlyStopping';
  readonly monitor: string;
  readonly patience: number;
  readonly verbose: boolean;
  readonly baseline: number | null;
  /** Signed like Keras: +|min_delta| in 'max' direction, -|min_delta| in 'min' direction. */
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly mode: MonitorMode;
  /** 'max' for mode 'max', or 'auto' with a monitor ending in acc / accuracy / auc. */
  readonly direction: 'min' | 'max';

  wait = 0;
  stoppedEpoch = 0;
  best = Infinity;
  bestEpoch = 0;
  bestWeights: unknown = null;
  /** Set when training should stop (Keras: model.stop_training = True). */
  stopTraining = false;
  private pendingWarnings: string[] = [];

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    this.patience = opts.patience ?? 0;
    checkInt('EarlyStopping patience', this.patience);
    this.verbose = Boolean(opts.verbose);
    this.baseline = opts.baseline ?? null;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.startFromEpoch = opts.startFromEpoch ?? 0;
    this.mode = checkModeOrWarn(opts.mode ?? 'auto', 'EarlyStopping', this.pendingWarnings);
    if (this.mode === 'min') this.direction = 'min';
    else if (this.mode === 'max') this.direction = 'max';
    else {
      const m = this.monitor;
      this.direction = m.endsWith('acc') || m.endsWith('accuracy') || m.endsWith('auc') ? 'max' : 'min';
    }
    const d = Math.abs(opts.minDelta ?? 0);
    this.minDelta = this.direction === 'max' ? d : -d;
    this.onTrainBegin();
  }

  /** Keras on_train_begin: allows re-use. Do not call it when resuming from restore(). */
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.direction === 'min' ? Infinity : -Infinity;
    this.bestWeights = null;
    this.bestEpoch = 0;
    this.stopTraining = false;
  }

  private isImprovement(value: number, reference: number): boolean {
    return this.direction === 'max' ? value - this.minDelta > reference : value - this.minDelta < reference;
  }

  private snapshot(ctx: CallbackContext): unknown {
    if (!ctx.snapshotWeights) {
      throw new Error('EarlyStopping({restoreBestWeights: true}) needs ctx.snapshotWeights() and ctx.restoreWeights()');
    }
    if (this.bestWeights !== null) ctx.disposeSnapshot?.(this.bestWeights);
    return ctx.snapshotWeights();
  }

  /** Keras on_epoch_end; sets this.stopTraining when training should end. Returns a warning if any. */
  onEpochEnd(epoch: number, logs: Logs, ctx: CallbackContext): string | undefined {
    const messages: string[] = [];
    for (const w of this.pendingWarnings.splice(0)) {
      ctx.log(w);
      messages.push(w);
    }
    const current = monitorValue(logs, this.monitor);
    if (current === undefined) {
      const w =
        `Early stopping conditioned on metric \`${this.monitor}\` which is not available. ` +
        `Available metrics are: ${availableKeys(logs)}`;
      ctx.log(w);
      messages.push(w);
    }
    const done = (): string | undefined => (messages.length ? messages.join('\n') : undefined);
    if (current === undefined || epoch < this.startFromEpoch) return done();

    if (this.restoreBestWeights && this.bestWeights === null) {
      // Keep the weights after the first monitored epoch in case no epoch ever improves.
      this.bestWeights = this.snapshot(ctx);
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.snapshot(ctx);
      // Only restart the wait if we beat both the baseline and our previous best.
      if (this.baseline === null || this.isImprovement(current, this.baseline)) this.wait = 0;
      return done();
    }
    // Only check after the first epoch.
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.stopTraining = true;
    }
    return done();
  }

  /**
   * Keras on_train_end: reports the stop (when verbose) and, with restoreBestWeights, puts the
   * best epoch's weights back (whether or not training stopped early). Returns the messages.
   */
  onTrainEnd(ctx: CallbackContext): string | undefined {
    const messages: string[] = [];
    if (this.stoppedEpoch > 0) {
      const msg = `Epoch ${this.stoppedEpoch + 1}: early stopping`;
      if (this.verbose) ctx.log(msg);
      messages.push(msg);
    }
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (!ctx.restoreWeights) {
        throw new Error('EarlyStopping({restoreBestWeights: true}) needs ctx.restoreWeights()');
      }
      const msg = `Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`;
      if (this.verbose) ctx.log(msg);
      messages.push(msg);
      ctx.restoreWeights(this.bestWeights);
      ctx.disposeSnapshot?.(this.bestWeights);
      this.bestWeights = null;
    }
    return messages.length ? messages.join('\n') : undefined;
  }

  state(): EarlyStoppingState {
    return {
      kind: 'EarlyStopping',
      monitor: this.monitor,
      wait: this.wait,
      stoppedEpoch: this.stoppedEpoch,
      best: encodeNumber(this.best),
      bestEpoch: this.bestEpoch,
      stopTraining: this.stopTraining,
    };
  }

  /**
   * Restore counters. Weight snapshots are not part of the JSON state: pass the best epoch's
   * weights (e.g. reloaded from the best checkpoint) as `bestWeights` to keep restoreBestWeights
   * working across a resume; otherwise the next monitored epoch takes a fresh snapshot.
   */
  restore(state: EarlyStoppingState, bestWeights: unknown = null): void {
    checkRestoredMonitor('EarlyStopping', this.monitor, state);
    const s = state as unknown as Record<string, unknown>;
    this.wait = num(s, 'wait');
    this.stoppedEpoch = num(s, 'stoppedEpoch');
    this.best = decodeNumber(state.best, 'best');
    this.bestEpoch = num(s, 'bestEpoch');
    this.stopTraining = Boolean(state.stopTraining);
    this.bestWeights = bestWeights;
  }
}
