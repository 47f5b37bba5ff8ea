/**
 * The fit loop end to end on the GPU with a small tutorial network: learning, resume equal to
 * an uninterrupted run, save → load → predict bit-identical, damaged checkpoints refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, loadOptimizerState, loadWeights, readTrainingState, saveModel, saveTrainingCheckpoint } from '../../src/io/checkpoint.js';
import { BestTracker, ReduceLROnPlateau } from '../../src/nn/callbacks.js';
import { fit, NonFiniteLossError, type Batch, type BatchSet, type BatchStream, type FitPosition } from '../../src/nn/fit.js';
import { buildModel, type ModelOptions } from '../../src/nn/models.js';
import { Adam } from '../../src/nn/optim.js';
import { Trainer } from '../../src/nn/trainer.js';
import { gpu, rng } from '../helpers.js';

const SIZE = 67; // the smallest input the tutorial network takes
const OPTS: ModelOptions = { variant: 'tutorial', imageSize: SIZE, width: 0.125 };
const BATCH = 4;

/** Image b of global batch g: a bright or dark square (label 1 / 0) on noise — learnable. */
function makeBatch(g: number): Batch {
  const r = rng(1000 + g);
  const x = new Float32Array(BATCH * SIZE * SIZE * 3);
  const y = new Float32Array(BATCH);
  for (let b = 0; b < BATCH; b++) {
    const label = (g * BATCH + b) % 2;
    y[b] = label;
    for (let i = 0; i < SIZE * SIZE * 3; i++) x[b * SIZE * SIZE * 3 + i] = r() * 0.3;
    for (let yy = 20; yy < 47; yy++)
      for (let xx = 20; xx < 47; xx++)
        for (let c = 0; c < 3; c++) x[b * SIZE * SIZE * 3 + (yy * SIZE + xx) * 3 + c] += label ? 0.7 : 0;
  }
  return { x, y, batchSize: BATCH };
}

function stream(): BatchStream {
  let g = 0;
  return {
    seek(n) {
      g = n;
    },
    async next() {
      return makeBatch(g++);
    },
  };
}

const validation: BatchSet = { batches: () => 2, batch: async (i) => makeBatch(10_000 + i) };

async function weights(model: ReturnType<typeof buildModel>): Promise<Float32Array[]> {
  return Promise.all(model.params().map((p) => p.tensor.toArray()));
}

describe('fit', () => {
  it('learns, and a resumed run ends exactly where an uninterrupted one does', async () => {
    const ctx = await gpu();
    const run = async (stopAtGlobalStep: number | null, resumeFrom?: string) => {
      const model = buildModel(OPTS).build(ctx, 7);
      const opt = new Adam({ lr: 1e-3 });
      const trainer = new Trainer(ctx, model, opt);
      let resume: FitPosition | undefined;
      if (resumeFrom) {
        const st = readTrainingState(resumeFrom);
        loadWeights(resumeFrom, model, st.step);
        loadOptimizerState(resumeFrom, opt.stateTensors(), st.step);
        opt.setIterations(st.optimizer.iterations);
        resume = st.position;
      }
      const dir = mkdtempSync(join(tmpdir(), 'fit-'));
      let steps = 0;
      const result = await fit(trainer, stream(), validation, {
        epochs: 3,
        stepsPerEpoch: 10,
        seed: 3,
        callbacks: [new ReduceLROnPlateau({ monitor: 'val_loss', patience: 1, factor: 0.5 }), new BestTracker({ monitor: 'val_accuracy' })],
        resume,
        hooks: {
          onBatchEnd: () => {
            steps++;
          },
          shouldStop: () => stopAtGlobalStep !== null && steps >= stopAtGlobalStep,
          saveCheckpoint: async (pos) => {
            await saveTrainingCheckpoint(dir, model, { modelOptions: OPTS, classNames: ['a', 'b'], preprocessing: { imageSize: SIZE, rescale: 1, resize: 'nearest' }, step: pos.globalStep }, opt.stateTensors(), {
              position: pos,
              optimizer: { config: opt.config(), iterations: opt.iterations },
              options: {},
            });
          },
        },
      });
      return { result, dir, w: await weights(model), model };
    };
    const full = await run(null);
    expect(full.result.history.epoch).toEqual([1, 2, 3]);
    // The square task is easy: the loss falls and validation beats chance.
    expect(full.result.history.loss[2]!).toBeLessThan(full.result.history.loss[0]!);
    expect(full.result.history.val_accuracy[2]!).toBeGreaterThan(0.75);

    const first = await run(14); // stops mid-epoch 2 (after global step 14)
    expect(first.result.interrupted).toBe(true);
    expect(first.result.position.globalStep).toBe(14);
    const second = await run(null, first.dir);
    expect(second.result.history.epoch).toEqual([1, 2, 3]);
    second.w.forEach((w, i) => {
      const ref = full.w[i]!;
      let maxDiff = 0;
      for (let k = 0; k < w.length; k++) maxDiff = Math.max(maxDiff, Math.abs(w[k]! - ref[k]!));
      // Same kernels, same order of operations: identical up to float32 noise.
      expect(maxDiff, `param ${full.model.params()[i]!.name}`).toBeLessThan(1e-5);
    });
    expect(second.result.history.loss).toEqual(full.result.history.loss.map((v) => expect.closeTo(v, 5)));
    expect(second.result.history.lr).toEqual(full.result.history.lr);
  });

  it('save → load → predict gives bit-identical outputs; damaged files are refused', async () => {
    const ctx = await gpu();
    const model = buildModel(OPTS).build(ctx, 11);
    const dir = mkdtempSync(join(tmpdir(), 'save-'));
    await saveModel(dir, model, { modelOptions: OPTS, classNames: ['cats', 'dogs'], preprocessing: { imageSize: SIZE, rescale: 1 / 255, resize: 'nearest' }, step: 0 });
    const b = makeBatch(5);
    const before = await new Trainer(ctx, model, null).logits(b.x, BATCH);
    const { model: loaded, manifest } = loadModel(dir, ctx);
    expect(manifest.classNames).toEqual(['cats', 'dogs']);
    const after = await new Trainer(ctx, loaded, null).logits(b.x, BATCH);
    expect(Array.from(after)).toEqual(Array.from(before));

    const bytes = readFileSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    expect(() => loadModel(dir, ctx)).toThrow(/damaged or truncated/);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    writeFileSync(join(dir, 'model.json'), json.slice(0, 50));
    expect(() => loadModel(dir, ctx)).toThrow(/damaged/);
    // A model of another width does not match: names the tensors and shapes.
    writeFileSync(join(dir, 'model.json'), json.replaceAll('"width": 0.125', '"width": 0.25'));
    expect(() => loadModel(dir, ctx)).toThrow(/shape \[11, 11, 3, 6\], expected \[11, 11, 3, 12\]/);
  });

  it('a NaN loss stops the run naming the step; the last good checkpoint stays', async () => {
    const ctx = await gpu();
    const model = buildModel(OPTS).build(ctx, 5);
    const opt = new Adam({ lr: 1e-3 });
    const trainer = new Trainer(ctx, model, opt);
    let g = 0;
    // Global step 5 (epoch 2, step 3) carries a NaN label. (A NaN pixel would not do: the
    // first conv's fused ReLU maps NaN to 0 on this backend, as max(NaN, 0) may.)
    const poisoned: BatchStream = {
      seek: (n) => void (g = n),
      next: async () => {
        const b = makeBatch(g);
        if (g++ === 5) b.y[1] = NaN;
        return b;
      },
    };
    const saved: number[] = [];
    const err = await fit(trainer, poisoned, null, {
      epochs: 3,
      stepsPerEpoch: 3,
      seed: 1,
      hooks: { saveCheckpoint: async (pos) => void saved.push(pos.globalStep) },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/the loss became NaN at epoch 2, step 3 \(global step 6\)/);
    // Only the checkpoint of the completed first epoch was written; nothing after the NaN.
    expect(saved).toEqual([3]);
    model.dispose();
  });
});
