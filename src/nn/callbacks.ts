/**
 * Keras-compatible training callbacks as pure logic over epoch-end logs (platform-neutral).
 *
 * The decision rules mirror tf.keras (TF 2.x / tf-keras `callbacks.py`) line by line:
 *  - ReduceLROnPlateau  (keras.callbacks.ReduceLROnPlateau)
 *  - EarlyStopping      (keras.callbacks.EarlyStopping, tf-keras ≥ 2.13 flavour: an improving epoch
 *                        never stops training; best weights are restored at train end)
 *  - BestTracker        (the save_best_only decision of keras.callbacks.ModelCheckpoint)
 *
 * Epoch indices are 0-based like Keras's `on_epoch_end(epoch, logs)`; messages print epoch + 1.
 * A monitored quantity missing from the logs produces a warning (through ctx.log, and as the
 * return value) instead of an exception, as in Keras.
 *
 * Each callback has state()/restore() returning/accepting a JSON-safe object so an interrupted
 * run can resume with identical decisions (±Infinity and NaN are encoded as strings).
 */

export type Logs = Record<string, number>;
export type MonitorMode = 'auto' | 'min' | 'max';

export interface CallbackContext {
  getLr(): number;
  setLr(lr: number): void;
  log(msg: string): void;
  /** Capture the model weights (any opaque value); needed by EarlyStopping({restoreBestWeights}). */
  snapshotWeights?(): unknown;
  /** Put back weights captured by snapshotWeights. */
  restoreWeights?(snapshot: unknown): void;
}

/** Number that survives JSON.stringify: non-finite values become strings. */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

export function encodeNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function decodeNumber(v: JsonNumber | null | undefined, what = 'value'): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  throw new Error(`callback state: ${what} is not a number (${JSON.stringify(v)})`);
}

/** Python-style number text: 'inf', '-inf', 'nan', else JS shortest round-trip. */
function pyNum(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** Python `'{:.5f}'.format(v)`. */
function pyFixed5(v: number): string {
  return Number.isFinite(v) ? v.toFixed(5) : pyNum(v);
}

function monitorValue(logs: Logs | undefined, monitor: string): number | undefined {
  const v = logs?.[monitor];
  return typeof v === 'number' ? v : undefined;
}

function availableKeys(logs: Logs | undefined): string {
  return Object.keys(logs ?? {}).join(',');
}

function checkModeOrWarn(mode: string, who: string, warnings: string[]): MonitorMode {
  if (mode === 'auto' || mode === 'min' || mode === 'max') return mode;
  warnings.push(`${who} mode ${mode} is unknown, fallback to auto mode.`);
  return 'auto';
}

function checkInt(name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
}

function checkRestoredMonitor(kind: string, expected: string, state: { kind?: unknown; monitor?: unknown }): void {
  if (state.kind !== kind) throw new Error(`callback state: expected a ${kind} state, got ${JSON.stringify(state.kind)}`);
  if (state.monitor !== expected) {
    throw new Error(`callback state: ${kind} monitors "${expected}" but the saved state is for "${String(state.monitor)}"`);
  }
}

function num(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`callback state: "${key}" is not a finite number`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// ReduceLROnPlateau
// ---------------------------------------------------------------------------------------------

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** new_lr = lr * factor; must be < 1. */
  factor?: number;
  patience?: number;
  mode?: MonitorMode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  /** Log the reduction message through ctx.log. */
  verbose?: boolean | number;
}

export interface ReduceLROnPlateauState {
  kind: 'ReduceLROnPlateau';
  monitor: string;
  best: JsonNumber;
  wait: number;
  cooldownCounter: number;
}

export class ReduceLROnPlateau {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: boolean;
  /** Mode after validation (an unknown mode falls back to 'auto' with a warning). */
  readonly mode: MonitorMode;
  /** Resolved direction: 'max' when mode is 'max', or 'auto' and the monitor name contains "acc". */
  readonly direction: 'min' | 'max';

  best = 0;
  wait = 0;
  cooldownCounter = 0;
  private pendingWarnings: string[] = [];

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    const factor = opts.factor ?? 0.1;
    if (factor >= 1.0) throw new Error(`ReduceLROnPlateau does not support a factor >= 1.0. Got ${factor}`);
    this.factor = factor;
    this.minLr = opts.minLr ?? 0;
    this.minDelta = opts.minDelta ?? 1e-4;
    this.patience = opts.patience ?? 10;
    this.cooldown = opts.cooldown ?? 0;
    checkInt('ReduceLROnPlateau patience', this.patience);
    checkInt('ReduceLROnPlateau cooldown', this.cooldown);
    this.verbose = Boolean(opts.verbose);
    this.mode = checkModeOrWarn(opts.mode ?? 'auto', 'Learning rate reduction', this.pendingWarnings);
    this.direction = this.mode === 'min' || (this.mode === 'auto' && !this.monitor.includes('acc')) ? 'min' : 'max';
    this.reset();
  }

  /** Keras `_reset`: best = ±inf, wait = 0, cooldown counter = 0. */
  reset(): void {
    this.best = this.direction === 'min' ? Infinity : -Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  /** Keras calls _reset at on_train_begin. Do not call it when resuming from restore(). */
  onTrainBegin(): void {
    this.reset();
  }

  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  private isImprovement(current: number, best: number): boolean {
    return this.direction === 'min' ? current < best - this.minDelta : current > best + this.minDelta;
  }

  /**
   * Keras on_epoch_end. Also writes logs.lr = current learning rate (before any reduction), as
   * Keras does. Returns the reduction message or a warning, if any.
   */
  onEpochEnd(epoch: number, logs: Logs, ctx: CallbackContext): string | undefined {
    const messages: string[] = [];
    for (const w of this.pendingWarnings.splice(0)) {
      ctx.log(w);
      messages.push(w);
    }
    logs.lr = ctx.getLr();
    const current = monitorValue(logs, this.monitor);
    if (current === undefined) {
      const w =
        `Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. ` +
        `Available metrics are: ${availableKeys(logs)}`;
      ctx.log(w);
      messages.push(w);
    } else {
      if (this.inCooldown()) {
        this.cooldownCounter -= 1;
        this.wait = 0;
      }
      if (this.isImprovement(current, this.best)) {
        this.best = current;
        this.wait = 0;
      } else if (!this.inCooldown()) {
        this.wait += 1;
        if (this.wait >= this.patience) {
          const oldLr = ctx.getLr();
          // Keras compares the float32 optimizer variable with np.float32(min_lr).
          if (Math.fround(oldLr) > Math.fround(this.minLr)) {
            const newLr = Math.max(oldLr * this.factor, this.minLr);
            ctx.setLr(newLr);
            const msg = `Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pyNum(newLr)}.`;
            if (this.verbose) ctx.log(msg);
            messages.push(msg);
            this.cooldownCounter = this.cooldown;
            this.wait = 0;
          }
        }
      }
    }
    return messages.length ? messages.join('\n') : undefined;
  }

  state(): ReduceLROnPlateauState {
    return {
      kind: 'ReduceLROnPlateau',
      monitor: this.monitor,
      best: encodeNumber(this.best),
      wait: this.wait,
      cooldownCounter: this.cooldownCounter,
    };
  }

  restore(state: ReduceLROnPlateauState): void {
    checkRestoredMonitor('ReduceLROnPlateau', this.monitor, state);
    const s = state as unknown as Record<string, unknown>;
    this.best = decodeNumber(state.best, 'best');
    this.wait = num(s, 'wait');
    this.cooldownCounter = num(s, 'cooldownCounter');
  }
}

// ---------------------------------------------------------------------------------------------
// EarlyStopping
// ---------------------------------------------------------------------------------------------

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

export class EarlyStopping {
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

// ---------------------------------------------------------------------------------------------
// BestTracker (ModelCheckpoint save_best_only decision)
// ---------------------------------------------------------------------------------------------

export interface BestTrackerOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** Keras initial_value_threshold: the value to beat before the first save. */
  initialValueThreshold?: number;
  verbose?: boolean | number;
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
export class BestTracker {
  readonly monitor: string;
  readonly mode: MonitorMode;
  readonly direction: 'min' | 'max';
  readonly verbose: boolean;
  best: number;
  /** 0-based epoch of the current best, or null before any. */
  bestEpoch: number | null = null;
  private readonly initial: number;
  private pendingWarnings: string[] = [];

  constructor(opts: BestTrackerOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    this.mode = checkModeOrWarn(opts.mode ?? 'auto', 'ModelCheckpoint', this.pendingWarnings);
    if (this.mode === 'min') this.direction = 'min';
    else if (this.mode === 'max') this.direction = 'max';
    else this.direction = this.monitor.includes('acc') || this.monitor.startsWith('fmeasure') ? 'max' : 'min';
    this.verbose = Boolean(opts.verbose);
    this.initial = opts.initialValueThreshold ?? (this.direction === 'min' ? Infinity : -Infinity);
    this.best = this.initial;
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
