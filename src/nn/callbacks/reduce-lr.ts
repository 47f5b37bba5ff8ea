/** keras.callbacks.ReduceLROnPlateau: lower the learning rate when a metric stops improving. */
import { availableKeys, checkInt, checkModeOrWarn, checkRestoredMonitor, decodeNumber, encodeNumber, monitorValue, num, pyNum } from './common.js';
import type { Callback, CallbackContext, JsonNumber, Logs, MonitorMode } from './common.js';

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

export class ReduceLROnPlateau implements Callback {
  readonly name = 'reduceLr';
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
