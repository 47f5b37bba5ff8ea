/**
 * The fit loop with Keras's meanings: `epochs`, `stepsPerEpoch` (batches per epoch drawn
 * from an endless, reshuffling stream), `validationSteps`, callbacks at epoch end, a
 * history of loss/accuracy/lr per epoch. Platform-neutral: data arrives through a
 * BatchStream, progress and checkpoints go through hooks the caller provides.
 *
 * Determinism for resume: the data order is a function of (seed, global batch index), the
 * dropout masks of (seed, global step), so a run restored from a checkpoint (weights,
 * optimizer state, callback state, lr, position, partial-epoch sums) continues exactly as
 * the uninterrupted run would have.
 */
import type { Callback, CallbackContext, Logs } from './callbacks.js';
import { Tensor } from '../autograd/tensor.js';
import { mixSeed } from './random.js';
import type { StepResult, Trainer } from './trainer.js';
import { updateBatchNorm } from './update-bn.js';

export interface Batch {
  x: Float32Array;
  y: Float32Array;
  batchSize: number;
  /** Dataset indices of the images, where the source knows them (logs, tests). */
  indices?: readonly number[];
}

/** An endless stream of training batches; `seek` positions it at a global batch index. */
export interface BatchStream {
  seek(globalBatch: number): void;
  next(): Promise<Batch>;
}

/**
 * Validation data as Keras's `fit(validation_data=generator, validation_steps=N)` sees it: an
 * endless sequence of batches, `batches()` of them per pass over the data (each pass in a new
 * order when the source shuffles). `batch(i)` is the i-th batch of that sequence, any i ≥ 0,
 * so epoch e's validation, batches e·N … e·N+N−1, is the next N batches after epoch e−1's:
 * successive epochs validate on different images, and a resumed run on the same ones.
 */
export interface BatchSet {
  batches(): number;
  batch(i: number): Promise<Batch>;
}

export interface History {
  epoch: number[];
  loss: number[];
  accuracy: number[];
  val_loss: number[];
  val_accuracy: number[];
  lr: number[];
  seconds: number[];
}

export function emptyHistory(): History {
  return { epoch: [], loss: [], accuracy: [], val_loss: [], val_accuracy: [], lr: [], seconds: [] };
}

/** Where a run stands: everything besides tensors that a resume needs. */
export interface FitPosition {
  /** 0-based epoch in progress. */
  epoch: number;
  /** Steps of that epoch already done. */
  stepInEpoch: number;
  /** Steps done over the whole run (drives data order and dropout seeds). */
  globalStep: number;
  /** Running sums of the epoch in progress. */
  lossSum: number;
  correct: number;
  seen: number;
  epochSeconds: number;
  lr: number;
  history: History;
  callbacks: Record<string, unknown>;
  stopped: boolean;
}

export interface ProgressInfo {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
}

export interface FitHooks {
  onEpochBegin?(epoch: number, epochs: number): void;
  onBatchEnd?(p: ProgressInfo): void;
  onValidationBegin?(steps: number): void;
  /** Before the epoch-end re-estimate of batch norm's statistics (FitOptions.batchNormUpdate). */
  onBatchNormUpdateBegin?(batches: number): void;
  onEpochEnd?(epoch: number, logs: Logs, summary: string): void;
  log?(msg: string): void;
  /**
   * Called after each completed epoch, on interruption, and mid-epoch as `checkpointEvery`
   * asks ('periodic'), with the position to save; a run resumed from any of them continues
   * from that exact step.
   */
  saveCheckpoint?(pos: FitPosition, reason: 'epoch' | 'interrupt' | 'periodic'): Promise<void>;
  /** Polled between steps: true after Ctrl-C. */
  shouldStop?(): boolean;
}

export interface FitOptions {
  epochs: number;
  stepsPerEpoch: number;
  validationSteps?: number;
  seed: number;
  /**
   * Called in order at each epoch end, after the epoch's logs are complete and before its
   * checkpoint is saved (so a resumed run continues with their decisions). Names must be unique:
   * a callback's saved state is kept under its name.
   */
  callbacks?: Callback[];
  hooks?: FitHooks;
  /** Resume from here (from a checkpoint). */
  resume?: FitPosition;
  /**
   * Mid-epoch checkpoints (Keras BackupAndRestore's save_freq): every `steps` global steps
   * and/or every `seconds` of training, besides the one at each epoch end.
   */
  checkpointEvery?: { steps?: number; seconds?: number };
  /**
   * At each epoch end, before validation: re-estimate batch norm's moving statistics over
   * `batches` batches of `data` (un-augmented training images; src/nn/update-bn.ts says why).
   * Epoch e uses batches e·N … e·N+N−1 of its endless sequence. Training itself is unchanged
   * (training mode normalises with batch statistics), so are resumed runs.
   */
  batchNormUpdate?: { data: BatchSet; batches: number };
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly globalStep: number,
    readonly value: number,
  ) {
    super(
      `the loss became ${value} at epoch ${epoch + 1}, step ${step + 1} (global step ${globalStep + 1}); ` +
        `training stopped. The last checkpoint saved before it is intact. ` +
        `Try a lower learning rate, or check the input data.`,
    );
  }
}

export interface FitResult {
  history: History;
  position: FitPosition;
  interrupted: boolean;
}

/** Loss and accuracy over `steps` batches of `data` (at most one pass), starting at batch `start`. */
export async function evaluate(
  trainer: Trainer,
  data: BatchSet,
  steps?: number,
  onStep?: (i: number, n: number) => void,
  start = 0,
): Promise<{ loss: number; accuracy: number; seen: number }> {
  const n = Math.min(steps ?? data.batches(), data.batches());
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const b = await data.batch(start + i);
    const r = await trainer.evalStep(b.x, b.y, b.batchSize);
    lossSum += r.loss * r.batchSize;
    correct += r.correct;
    seen += r.batchSize;
    onStep?.(i + 1, n);
  }
  return { loss: seen ? lossSum / seen : NaN, accuracy: seen ? correct / seen : NaN, seen };
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4);
}

export async function fit(trainer: Trainer, train: BatchStream, validation: BatchSet | null, o: FitOptions): Promise<FitResult> {
  const opt = trainer.optimizer;
  if (!opt) throw new Error('fit: the trainer has no optimizer');
  const hooks = o.hooks ?? {};
  const log = hooks.log ?? (() => {});
  for (const old of ['reduceLr', 'earlyStopping', 'best'] as const) {
    if ((o as unknown as Record<string, unknown>)[old]) throw new Error(`fit: '${old}' is gone; pass callbacks as a list: fit(..., { callbacks: [new ReduceLROnPlateau(...), ...] })`);
  }
  const callbacks = o.callbacks ?? [];
  const names = new Set<string>();
  for (const c of callbacks) {
    if (names.has(c.name)) throw new Error(`fit: two callbacks are named '${c.name}' (each needs its own name for its saved state)`);
    names.add(c.name);
  }
  const params = trainer.model.params().map((p) => p.tensor);
  const cbCtx: CallbackContext = {
    getLr: () => opt.lr,
    setLr: (lr: number) => {
      opt.lr = lr;
    },
    log,
    // Weight snapshots (EarlyStopping's restore_best_weights) are copies on the GPU: no readback.
    snapshotWeights: () =>
      params.map((t) => {
        const copy = Tensor.empty(t.ctx, t.shape, { persistent: true, name: 'snapshot' });
        t.ctx.copy(t.buffer, copy.buffer, t.size * 4);
        return copy;
      }),
    restoreWeights: (snap) => (snap as Tensor[]).forEach((c, i) => c.ctx.copy(c.buffer, params[i]!.buffer, c.size * 4)),
    disposeSnapshot: (snap) => {
      const copies = snap as Tensor[];
      copies[0]?.ctx.flush(); // copies recorded from or into them run before their buffers go back to the pool
      copies.forEach((c) => c.dispose());
    },
    get globalStep() {
      return pos.globalStep;
    },
  };
  const pos: FitPosition = o.resume
    ? structuredClone(o.resume)
    : {
        epoch: 0,
        stepInEpoch: 0,
        globalStep: 0,
        lossSum: 0,
        correct: 0,
        seen: 0,
        epochSeconds: 0,
        lr: opt.lr,
        history: emptyHistory(),
        callbacks: {},
        stopped: false,
      };
  if (o.resume) {
    opt.lr = pos.lr;
    const saved = pos.callbacks as Record<string, never>;
    for (const c of callbacks) if (saved[c.name] !== undefined) c.restore?.(saved[c.name]);
  } else {
    for (const c of callbacks) c.onTrainBegin?.(cbCtx);
  }
  const snapshotCallbacks = () => {
    pos.callbacks = Object.fromEntries(callbacks.filter((c) => c.state).map((c) => [c.name, c.state!()]));
    pos.lr = opt.lr;
  };

  train.seek(pos.globalStep);
  let interrupted = false;
  const every = o.checkpointEvery ?? {};
  let lastSave = performance.now();
  const periodicDue = (now: number) =>
    (every.steps !== undefined && every.steps > 0 && pos.globalStep % every.steps === 0) ||
    (every.seconds !== undefined && every.seconds > 0 && now - lastSave >= every.seconds * 1000);
  while (pos.epoch < o.epochs && !pos.stopped) {
    const epoch = pos.epoch;
    if (pos.stepInEpoch === 0) hooks.onEpochBegin?.(epoch, o.epochs);
    const t0 = performance.now() - pos.epochSeconds * 1000;
    let imagesTimed = 0;
    let timedStart = performance.now();
    while (pos.stepInEpoch < o.stepsPerEpoch) {
      if (hooks.shouldStop?.()) {
        interrupted = true;
        break;
      }
      for (const c of callbacks) c.onBatchBegin?.(pos.globalStep, cbCtx);
      const batch = await train.next();
      let r: StepResult;
      r = await trainer.trainStep(batch.x, batch.y, batch.batchSize, mixSeed(o.seed, pos.globalStep));
      if (!Number.isFinite(r.loss)) {
        throw new NonFiniteLossError(epoch, pos.stepInEpoch, pos.globalStep, r.loss);
      }
      pos.lossSum += r.loss * r.batchSize;
      pos.correct += r.correct;
      pos.seen += r.batchSize;
      pos.stepInEpoch++;
      pos.globalStep++;
      imagesTimed += r.batchSize;
      const now = performance.now();
      pos.epochSeconds = (now - t0) / 1000;
      hooks.onBatchEnd?.({
        epoch,
        epochs: o.epochs,
        step: pos.stepInEpoch,
        steps: o.stepsPerEpoch,
        loss: pos.lossSum / pos.seen,
        accuracy: pos.correct / pos.seen,
        imagesPerSecond: imagesTimed / Math.max((now - timedStart) / 1000, 1e-9),
        elapsedSeconds: pos.epochSeconds,
      });
      if (pos.stepInEpoch === 1) {
        // The first step compiles pipelines; rate the rest.
        imagesTimed = 0;
        timedStart = now;
      }
      // The epoch's last step is saved at its end, with the epoch's logs.
      if (pos.stepInEpoch < o.stepsPerEpoch && hooks.saveCheckpoint && periodicDue(now)) {
        snapshotCallbacks();
        await hooks.saveCheckpoint(pos, 'periodic');
        lastSave = performance.now();
      }
    }
    if (interrupted) break;

    const logs: Logs = { loss: pos.lossSum / pos.seen, accuracy: pos.correct / pos.seen };
    if (o.batchNormUpdate) {
      const { data, batches } = o.batchNormUpdate;
      hooks.onBatchNormUpdateBegin?.(batches);
      await updateBatchNorm(trainer, batches, (k) => data.batch(epoch * batches + k));
    }
    if (validation) {
      const steps = Math.min(o.validationSteps ?? validation.batches(), validation.batches());
      hooks.onValidationBegin?.(steps);
      // The next `steps` batches of the endless validation sequence (see BatchSet).
      const v = await evaluate(trainer, validation, steps, undefined, epoch * steps);
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
    }
    logs.lr = opt.lr;
    const seconds = (performance.now() - t0) / 1000;
    const h = pos.history;
    h.epoch.push(epoch + 1);
    h.loss.push(logs.loss!);
    h.accuracy.push(logs.accuracy!);
    h.val_loss.push(logs.val_loss ?? NaN);
    h.val_accuracy.push(logs.val_accuracy ?? NaN);
    h.lr.push(opt.lr);
    h.seconds.push(seconds);

    const parts = [`${Math.round(seconds)}s`, `loss: ${fmt(logs.loss!)}`, `accuracy: ${fmt(logs.accuracy!)}`];
    if (validation) parts.push(`val_loss: ${fmt(logs.val_loss!)}`, `val_accuracy: ${fmt(logs.val_accuracy!)}`);
    parts.push(`lr: ${opt.lr.toExponential(2)}`);
    const summary = `Epoch ${epoch + 1}/${o.epochs} - ${parts.join(' - ')}`;
    hooks.onEpochEnd?.(epoch, logs, summary);

    // Callbacks print their own messages through cbCtx.log when verbose (as Keras's do).
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, cbCtx);

    pos.epoch++;
    pos.stepInEpoch = 0;
    pos.lossSum = 0;
    pos.correct = 0;
    pos.seen = 0;
    pos.epochSeconds = 0;
    pos.stopped = callbacks.some((c) => c.stopTraining);
    snapshotCallbacks();
    await hooks.saveCheckpoint?.(pos, 'epoch');
    lastSave = performance.now();
  }
  if (interrupted) {
    snapshotCallbacks();
    await hooks.saveCheckpoint?.(pos, 'interrupt');
  } else {
    // The run is over (all epochs, or stopped early): Keras's on_train_end.
    for (const c of callbacks) await c.onTrainEnd?.(cbCtx);
  }
  return { history: pos.history, position: pos, interrupted };
}
