/**
 * Re-estimating batch norm's moving statistics (src/nn/update-bn.ts) against a float64 CPU
 * reference: on random batches, each layer's moving mean and variance must become the plain
 * average over the batches of its input's batch mean and unbiased batch variance — the first
 * layer's input is the images, the second's what the (training-mode) network before it
 * produced. The moving statistics start as NaN, so none of their old value may survive, and the
 * trainable weights must not move. In fit (FitOptions.batchNormUpdate) it runs at each epoch
 * end, on that epoch's batches, before validation.
 */
import { describe, expect, it } from 'vitest';
import { Sequential } from '../../src/nn/sequential.js';
import { BatchNorm } from '../../src/nn/layers/batchnorm.js';
import { Dense } from '../../src/nn/layers/dense.js';
import { Flatten } from '../../src/nn/layers/simple.js';
import { Trainer } from '../../src/nn/trainer.js';
import { batchNormLayerCount, updateBatchNorm } from '../../src/nn/update-bn.js';
import { evaluate, fit, type BatchSet, type BatchStream } from '../../src/nn/fit.js';
import { Adam } from '../../src/nn/optim.js';
import { expectClose, gpu, randomArray } from '../helpers.js';

const H = 3, W = 2, C = 3, B = 4, BATCHES = 3, UNITS = 5, EPS = 1e-3;

/** Per-channel batch mean, biased and unbiased variance of rows × channels values. */
function stats(x: Float64Array, rows: number, ch: number) {
  const mean = new Float64Array(ch), biased = new Float64Array(ch), unbiased = new Float64Array(ch);
  for (let c = 0; c < ch; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * ch + c]!;
    mean[c] = s / rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (x[r * ch + c]! - mean[c]!) ** 2;
    biased[c] = q / rows;
    unbiased[c] = q / (rows - 1);
  }
  return { mean, biased, unbiased };
}

function normalise(x: Float64Array, rows: number, ch: number, gamma: Float32Array, beta: Float32Array): Float64Array {
  const { mean, biased } = stats(x, rows, ch);
  return x.map((v, i) => gamma[i % ch]! * ((v - mean[i % ch]!) / Math.sqrt(biased[i % ch]! + EPS)) + beta[i % ch]!);
}

describe('updateBatchNorm (precise BN)', () => {
  it('makes every layer\'s moving statistics the average of its batch statistics (float64 reference)', async () => {
    const ctx = await gpu();
    const model = new Sequential('bn-test', [H, W, C], 'sigmoid')
      .add(new BatchNorm())
      .add(new Flatten())
      .add(new Dense({ units: UNITS, activation: 'relu' }))
      .add(new BatchNorm())
      .add(new Dense({ units: 1 }))
      .build(ctx, 3);
    expect(batchNormLayerCount(model)).toBe(2);
    const byName = Object.fromEntries(model.params().map((p) => [p.name, p.tensor]));
    // Random (not built) γ, β and dense weights; NaN moving statistics.
    byName['batchnorm1.gamma']!.write(randomArray(C, 11, 0.5, 1.5));
    byName['batchnorm1.beta']!.write(randomArray(C, 12));
    byName['dense1.bias']!.write(randomArray(UNITS, 13, 0, 0.5));
    for (const p of model.params()) if (p.name.includes('moving')) p.tensor.write(new Float32Array(p.tensor.size).fill(NaN));
    const trainable = await Promise.all(model.trainableParams().map((p) => p.tensor.toArray()));

    const g1 = await byName['batchnorm1.gamma']!.toArray();
    const b1 = await byName['batchnorm1.beta']!.toArray();
    const k1 = await byName['dense1.kernel']!.toArray();
    const bias1 = await byName['dense1.bias']!.toArray();
    const batches = Array.from({ length: BATCHES }, (_, k) => randomArray(B * H * W * C, 100 + k, -2, 3));
    const want = [
      { mean: new Float64Array(C), variance: new Float64Array(C) },
      { mean: new Float64Array(UNITS), variance: new Float64Array(UNITS) },
    ];
    for (const x of batches) {
      const x64 = Float64Array.from(x);
      const s1 = stats(x64, B * H * W, C);
      const y1 = normalise(x64, B * H * W, C, g1, b1); // training mode: batch statistics
      const d = new Float64Array(B * UNITS);
      for (let n = 0; n < B; n++)
        for (let j = 0; j < UNITS; j++) {
          let s = bias1[j]!;
          for (let i = 0; i < H * W * C; i++) s += y1[n * H * W * C + i]! * k1[i * UNITS + j]!;
          d[n * UNITS + j] = Math.max(0, s);
        }
      const s2 = stats(d, B, UNITS);
      [s1, s2].forEach((s, l) => s.mean.forEach((_, c) => {
        want[l]!.mean[c]! += s.mean[c]! / BATCHES;
        want[l]!.variance[c]! += s.unbiased[c]! / BATCHES;
      }));
    }

    const seen: number[] = [];
    await updateBatchNorm(new Trainer(ctx, model, null), BATCHES, (k) => ({ x: batches[k]!, batchSize: B }), (done) => seen.push(done));
    expect(seen).toEqual([1, 2, 3]);
    for (const [l, name] of ['batchnorm1', 'batchnorm2'].entries()) {
      expectClose(await byName[`${name}.moving_mean`]!.toArray(), want[l]!.mean, { atol: 1e-5, rtol: 1e-4 }, `${name} moving mean`);
      expectClose(await byName[`${name}.moving_variance`]!.toArray(), want[l]!.variance, { atol: 1e-5, rtol: 1e-4 }, `${name} moving variance`);
    }
    const after = await Promise.all(model.trainableParams().map((p) => p.tensor.toArray()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(trainable[i]!)));
    model.dispose();
  });

  it('refuses a model without batch norm, and batches of one image only', async () => {
    const ctx = await gpu();
    const plain = new Sequential('plain', [2, 2, 1], 'sigmoid').add(new Flatten()).add(new Dense({ units: 1 })).build(ctx, 1);
    await expect(updateBatchNorm(new Trainer(ctx, plain, null), 1, () => ({ x: new Float32Array(8), batchSize: 2 }))).rejects.toThrow(/no batch normalisation layers/);
    const bn = new Sequential('bn', [2, 2, 1], 'sigmoid').add(new BatchNorm()).add(new Flatten()).add(new Dense({ units: 1 })).build(ctx, 1);
    await expect(updateBatchNorm(new Trainer(ctx, bn, null), 1, () => ({ x: new Float32Array(4), batchSize: 1 }))).rejects.toThrow(/no batch of at least 2 images/);
    plain.dispose();
    bn.dispose();
  });

  it('fit: each epoch end re-estimates from that epoch\'s batches, before validating', async () => {
    const ctx = await gpu();
    const model = new Sequential('fit-bn', [H, W, C], 'sigmoid').add(new BatchNorm()).add(new Flatten()).add(new Dense({ units: 1 })).build(ctx, 4);
    const image = (i: number) => randomArray(B * H * W * C, 500 + i, -1, 2);
    const labels = (i: number) => Float32Array.from({ length: B }, (_, k) => (i + k) % 2);
    let g = 0;
    const train: BatchStream = { seek: (n) => void (g = n), next: async () => ({ x: image(g), y: labels(g++), batchSize: B }) };
    const asked: number[] = [];
    const bnData: BatchSet = { batches: () => 5, batch: async (i) => (asked.push(i), { x: image(1000 + i), y: labels(i), batchSize: B }) };
    const validation: BatchSet = { batches: () => 2, batch: async (i) => ({ x: image(2000 + i), y: labels(i), batchSize: B }) };
    const trainer = new Trainer(ctx, model, new Adam({ lr: 1e-2 }));
    const r = await fit(trainer, train, validation, { epochs: 2, stepsPerEpoch: 3, seed: 1, batchNormUpdate: { data: bnData, batches: 2 } });
    expect(asked).toEqual([0, 1, 2, 3]); // epoch e: batches 2e, 2e+1 of the endless sequence
    const mean = new Float64Array(C), variance = new Float64Array(C);
    for (const i of [2, 3]) {
      const s = stats(Float64Array.from(image(1000 + i)), B * H * W, C);
      s.mean.forEach((m, c) => ((mean[c]! += m / 2), (variance[c]! += s.unbiased[c]! / 2)));
    }
    const byName = Object.fromEntries(model.params().map((p) => [p.name, p.tensor]));
    expectClose(await byName['batchnorm1.moving_mean']!.toArray(), mean, { atol: 1e-5, rtol: 1e-4 }, 'moving mean');
    expectClose(await byName['batchnorm1.moving_variance']!.toArray(), variance, { atol: 1e-5, rtol: 1e-4 }, 'moving variance');
    // The last epoch's validation ran with these statistics (nothing trained after it).
    const v = await evaluate(trainer, validation, 2, undefined, 2);
    expect(r.history.val_loss[1]).toBeCloseTo(v.loss, 6);
    model.dispose();
  });
});
