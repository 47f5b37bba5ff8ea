/**
 * Callbacks as objects in the fit loop: it holds a list and knows none by name. Checked on
 * the GPU with a small network: EarlyStopping's train-end message prints and
 * restore_best_weights puts back exactly the best epoch's weights; a user's own callback
 * sees the logs in order and its state survives an interruption and resume.
 */
import { describe, expect, it } from 'vitest';
import { EarlyStopping, type Callback, type Logs } from '../../src/nn/callbacks.js';
import { fit, type Batch, type BatchSet, type BatchStream, type FitPosition } from '../../src/nn/fit.js';
import { buildModel } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu, rng } from '../helpers.js';

const SIZE = 67;
const BATCH = 2;

function makeBatch(g: number): Batch {
  const r = rng(500 + g);
  const x = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => r());
  return { x, y: Float32Array.from({ length: BATCH }, (_, b) => (g + b) % 2), batchSize: BATCH };
}
const stream = (): BatchStream => {
  let g = 0;
  return { seek: (n) => void (g = n), next: async () => makeBatch(g++) };
};
const validation: BatchSet = { batches: () => 1, batch: async (i) => makeBatch(900 + i) };

/** Sets logs.score from a fixed sequence: a monitor whose best epoch the test chooses. */
function scoreCallback(scores: number[]): Callback {
  return { name: 'score', onEpochEnd: (epoch: number, logs: Logs) => void (logs.score = scores[epoch]!) };
}

describe('fit with callback objects', () => {
  it("EarlyStopping(restore_best_weights) ends on the best epoch's weights and says so", async () => {
    const ctx = await gpu();
    const model = buildModel({ variant: 'tutorial', imageSize: SIZE, width: 0.125 }).build(ctx, 2);
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-3 }));
    const read = () => Promise.all(model.params().map((p) => p.tensor.toArray()));
    const after: Float32Array[][] = [];
    const recorder: Callback = { name: 'recorder', onEpochEnd: async (e: number) => void (after[e] = await read()) };
    const messages: string[] = [];
    const result = await fit(trainer, stream(), validation, {
      epochs: 10,
      stepsPerEpoch: 2,
      seed: 1,
      // Best at epoch index 1 (0.2); no improvement for 2 epochs → stops after epoch index 3.
      callbacks: [scoreCallback([0.5, 0.2, 0.6, 0.7, 0.1]), recorder, new EarlyStopping({ monitor: 'score', mode: 'min', patience: 2, restoreBestWeights: true, verbose: 1 })],
      hooks: { log: (m) => messages.push(m) },
    });
    expect(result.history.epoch).toEqual([1, 2, 3, 4]);
    expect(messages).toEqual(['Epoch 4: early stopping', 'Restoring model weights from the end of the best epoch: 2.']);
    const final = await read();
    // The weights moved after epoch 2, and the restored ones are epoch 2's, bit for bit.
    expect(after[3]!.some((w, i) => w.some((v, k) => v !== after[1]![i]![k]))).toBe(true);
    final.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(after[1]![i]!)));
    trainer.dispose();
    model.dispose();
  });

  it("a user's callback keeps its state across an interruption and --resume", async () => {
    const ctx = await gpu();
    const model = buildModel({ variant: 'tutorial', imageSize: SIZE, width: 0.125 }).build(ctx, 3);
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-4 }));
    const counter = () => {
      let seen: number[] = [];
      return {
        name: 'counter',
        get seen() {
          return seen;
        },
        onTrainBegin: () => void (seen = []),
        onEpochEnd: (_e: number, logs: Logs) => void seen.push(Math.round(logs.loss! * 1e6)),
        state: () => ({ seen }),
        restore: (s: { seen: number[] }) => void (seen = [...s.seen]),
      };
    };
    const whole = counter();
    await fit(trainer, stream(), validation, { epochs: 3, stepsPerEpoch: 2, seed: 1, callbacks: [whole] });
    expect(whole.seen).toHaveLength(3);

    // Two callbacks with one name would share saved state: refused.
    await expect(fit(trainer, stream(), validation, { epochs: 1, stepsPerEpoch: 1, seed: 1, callbacks: [counter(), counter()] })).rejects.toThrow(
      /two callbacks are named 'counter'/,
    );

    let steps = 0;
    let saved: FitPosition | null = null;
    const first = counter();
    const r1 = await fit(trainer, stream(), validation, {
      epochs: 3,
      stepsPerEpoch: 2,
      seed: 1,
      callbacks: [first],
      hooks: { onBatchEnd: () => void steps++, shouldStop: () => steps >= 3, saveCheckpoint: async (p) => void (saved = structuredClone(p)) },
    });
    expect(r1.interrupted).toBe(true);
    expect(first.seen).toHaveLength(1);
    expect((saved as FitPosition | null)!.callbacks).toEqual({ counter: { seen: first.seen } });
    const second = counter();
    await fit(trainer, stream(), validation, { epochs: 3, stepsPerEpoch: 2, seed: 1, callbacks: [second], resume: saved! });
    expect(second.seen).toHaveLength(3);
    expect(second.seen[0]).toBe(first.seen[0]);
    trainer.dispose();
    model.dispose();
  });
});
