/** The save_best_only decision of keras.callbacks.ModelCheckpoint, and the callback that saves the best model. */
import { checkModeOrWarn, checkRestoredMonitor, decodeNumber, encodeNumber, monitorValue, pyFixed5 } from './common.js';
import type { Callback, CallbackContext, JsonNumber, Logs, MonitorMode } from './common.js';

export interface BestTrackerOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** Keras initial_value_threshold: the value to beat before the first save. */
  initialValueThreshold?: number;
  verbose?: boolean | number;
  /** As a callback: called when an epoch is a new best — save the model here (ModelCheckpoint). */
  save?: (epoch: number, logs: Logs, ctx: CallbackContext) => Promise<void> | void;
}

export interface BestTrackerState {
  kind: 'BestTracker';
  monitor: string;
  best: JsonNumber;
  bestEpoch: number | null;
}

/**
 * Decides whether an epoch is a new best, exactly like ModelCheckpoint(save_best_only=True):
 * strict comparison, no min_delta; 'auto' means 'max' when the monitor name contains "acc" or
 * starts with "fmeasure", else 'min'; the initial best is ±Infinity (or initialValueThreshold).
 * The fit loop does the saving when update() returns true.
 */
export class BestTracker implements Callback {
  readonly name = 'best';
  readonly monitor: string;
  readonly mode: MonitorMode;
  readonly direction: 'min' | 'max';
  readonly verbose: boolean;
  best: number;
  /** 0-based epoch of the current best, or null before any. */
  bestEpoch: number | null = null;
  private readonly initial: number;
  private pendingWarnings: string[] = [];
  private readonly save: BestTrackerOptions['save'];

  constructor(opts: BestTrackerOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    this.mode = checkModeOrWarn(opts.mode ?? 'auto', 'ModelCheckpoint', this.pendingWarnings);
    if (this.mode === 'min') this.direction = 'min';
    else if (this.mode === 'max') this.direction = 'max';
    else this.direction = this.monitor.includes('acc') || this.monitor.startsWith('fmeasure') ? 'max' : 'min';
    this.verbose = Boolean(opts.verbose);
    this.initial = opts.initialValueThreshold ?? (this.direction === 'min' ? Infinity : -Infinity);
    this.best = this.initial;
    this.save = opts.save;
  }

  /** As a callback: record the epoch, and save when it is a new best. */
  onEpochEnd(epoch: number, logs: Logs, ctx: CallbackContext): Promise<void> | void {
    if (this.update(epoch, logs, ctx) && this.save) return this.save(epoch, logs, ctx);
  }

  reset(): void {
    this.best = this.initial;
    this.bestEpoch = null;
  }

  /** Would `value` be a new best (without recording it)? */
  isImprovement(value: number): boolean {
    return this.direction === 'min' ? value < this.best : value > this.best;
  }

  /**
   * Record this epoch's logs; returns true when the monitored value is a new best (save now).
   * Logs Keras's "improved from … to …" / "did not improve" lines when verbose; a missing
   * monitor is always reported and returns false.
   */
  update(epoch: number, logs: Logs, ctx?: Pick<CallbackContext, 'log'>): boolean {
    for (const w of this.pendingWarnings.splice(0)) ctx?.log(w);
    const current = monitorValue(logs, this.monitor);
    if (current === undefined) {
      ctx?.log(`Can save best model only with ${this.monitor} available, skipping.`);
      return false;
    }
    if (this.isImprovement(current)) {
      if (this.verbose) {
        ctx?.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${pyFixed5(this.best)} to ${pyFixed5(current)}, saving model`);
      }
      this.best = current;
      this.bestEpoch = epoch;
      return true;
    }
    if (this.verbose) ctx?.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${pyFixed5(this.best)}`);
    return false;
  }

  state(): BestTrackerState {
    return { kind: 'BestTracker', monitor: this.monitor, best: encodeNumber(this.best), bestEpoch: this.bestEpoch };
  }

  restore(state: BestTrackerState): void {
    checkRestoredMonitor('BestTracker', this.monitor, state);
    this.best = decodeNumber(state.best, 'best');
    const be = state.bestEpoch;
    if (be !== null && (typeof be !== 'number' || !Number.isInteger(be))) {
      throw new Error('callback state: "bestEpoch" must be an integer or null');
    }
    this.bestEpoch = be;
  }
}
