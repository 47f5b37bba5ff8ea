/**
 * What the callbacks share: the Callback interface the fit loop calls, the context it passes,
 * JSON-safe numbers for saved state, and Keras's message formatting and monitor checks.
 *
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
  /** Release a snapshot that is no longer needed (GPU copies). */
  disposeSnapshot?(snapshot: unknown): void;
  /** Steps done over the whole run (for callbacks that save something). */
  globalStep?: number;
}

/**
 * A training callback, as Keras has them: the fit loop holds a list and knows none by name.
 * Each hook is optional; `stopTraining` ends the run after the current epoch (Keras's
 * `model.stop_training`); `state()` / `restore()` carry the callback across a resume, stored
 * under `name` in the checkpoint.
 */
export interface Callback {
  readonly name: string;
  /** A new run (not called when resuming: restore() is). */
  onTrainBegin?(ctx: CallbackContext): void;
  /** Before each training step, with the run's global step index (0-based). */
  onBatchBegin?(globalStep: number, ctx: CallbackContext): void;
  onEpochEnd?(epoch: number, logs: Logs, ctx: CallbackContext): unknown;
  /** After the last epoch (or an early stop); not after an interruption, which resumes later. */
  onTrainEnd?(ctx: CallbackContext): unknown;
  readonly stopTraining?: boolean;
  state?(): unknown;
  restore?(state: never): void;
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
export function pyNum(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** Python `'{:.5f}'.format(v)`. */
export function pyFixed5(v: number): string {
  return Number.isFinite(v) ? v.toFixed(5) : pyNum(v);
}

export function monitorValue(logs: Logs | undefined, monitor: string): number | undefined {
  const v = logs?.[monitor];
  return typeof v === 'number' ? v : undefined;
}

export function availableKeys(logs: Logs | undefined): string {
  return Object.keys(logs ?? {}).join(',');
}

export function checkModeOrWarn(mode: string, who: string, warnings: string[]): MonitorMode {
  if (mode === 'auto' || mode === 'min' || mode === 'max') return mode;
  warnings.push(`${who} mode ${mode} is unknown, fallback to auto mode.`);
  return 'auto';
}

export function checkInt(name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
}

export function checkRestoredMonitor(kind: string, expected: string, state: { kind?: unknown; monitor?: unknown }): void {
  if (state.kind !== kind) throw new Error(`callback state: expected a ${kind} state, got ${JSON.stringify(state.kind)}`);
  if (state.monitor !== expected) {
    throw new Error(`callback state: ${kind} monitors "${expected}" but the saved state is for "${String(state.monitor)}"`);
  }
}

export function num(state: Record<string, unknown>, key: string): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`callback state: "${key}" is not a finite number`);
  return v;
}
