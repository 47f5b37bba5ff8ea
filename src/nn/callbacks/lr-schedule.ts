/**
 * A learning-rate schedule set at every step (Keras's LearningRateScheduler, per batch as
 * PyTorch's schedulers are usually stepped): linear warm-up, then cosine decay to `minLr`
 * (SGDR without restarts), or a constant rate after the warm-up. A pure function of the
 * global step, so a resumed run follows the same curve without saved state.
 */
import type { Callback, CallbackContext } from './common.js';

export type ScheduleShape = 'cosine' | 'constant';

export interface LrScheduleOptions {
  shape: ScheduleShape;
  /** Peak learning rate (reached at the end of the warm-up). */
  lr: number;
  /** Steps of the whole run (epochs × steps per epoch). */
  totalSteps: number;
  /** Steps of linear warm-up from lr / warmupSteps to lr (0 = none). */
  warmupSteps?: number;
  /** Floor of the cosine decay. */
  minLr?: number;
}

export function scheduledLr(o: LrScheduleOptions, step: number): number {
  const warm = o.warmupSteps ?? 0;
  if (step < warm) return (o.lr * (step + 1)) / warm;
  if (o.shape === 'constant') return o.lr;
  const min = o.minLr ?? 0;
  const span = Math.max(1, o.totalSteps - warm);
  const t = Math.min(1, (step - warm) / span);
  return min + (o.lr - min) * 0.5 * (1 + Math.cos(Math.PI * t));
}

export class LrSchedule implements Callback {
  readonly name = 'lrSchedule';
  constructor(readonly options: LrScheduleOptions) {
    const { lr, totalSteps, warmupSteps = 0, minLr = 0 } = options;
    if (!(lr > 0) || !(minLr >= 0) || minLr > lr) throw new Error(`LrSchedule: need 0 ≤ minLr ≤ lr and lr > 0 (got lr ${lr}, minLr ${minLr})`);
    if (!(Number.isInteger(totalSteps) && totalSteps > 0)) throw new Error(`LrSchedule: totalSteps must be a positive integer, got ${totalSteps}`);
    if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps <= totalSteps)) {
      throw new Error(`LrSchedule: warmupSteps must be an integer in 0..${totalSteps}, got ${warmupSteps}`);
    }
  }

  onBatchBegin(globalStep: number, ctx: CallbackContext): void {
    ctx.setLr(scheduledLr(this.options, globalStep));
  }
}
