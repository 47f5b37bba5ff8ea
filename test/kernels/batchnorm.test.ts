import { describe, expect, it } from 'vitest';
import {
  batchNormBackward,
  batchNormInferenceForward,
  batchNormTrainForward,
} from '../../src/kernels/batchnorm/batchnorm.js';
import { batchNormBackwardRef, batchNormRef } from '../../src/kernels/batchnorm/batchnorm-ref.js';
import { batchNorm, batchNormConstants, type BatchNormOptions } from '../../src/autograd/ops/batchnorm.js';
import { Tensor, backward, tidy } from '../../src/autograd/index.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray, sampleIndices } from '../helpers.js';

// Tolerances (float32 kernels vs float64 reference):
// - y, dγ, dβ, running statistics: atol 1e-4, rtol 1e-3 (sums over ≤ 400 rows of O(1) terms,
//   chunked, so the float32 error stays ~1e-6 relative; the bound leaves room for |y| ~ 3).
// - dx: 2e-4 / 2e-3: the training gradient subtracts the two per-channel means from dy, a
//   cancellation that loses a few bits relative to |dy|·γ·invstd.
// - finite differences (float64, h = 1e-6, smooth function): 1e-6 absolute + 1e-5 relative.
const TOL = { atol: 1e-4, rtol: 1e-3 };
const DX_TOL = { atol: 2e-4, rtol: 2e-3 };
const FD_TOL = { atol: 1e-6, rtol: 1e-5 };

const shapes = [
  { shape: [3, 7, 9, 5], chunkRows: 16 }, // R = 189: 12 chunks, the last one short
  { shape: [2, 6, 5, 13], chunkRows: undefined }, // R = 60: the default chunking (one chunk)
  { shape: [6, 7], chunkRows: 4 }, // dense [N, C]
  // C a multiple of 4: the vec4 kernels.
  { shape: [2, 5, 7, 8], chunkRows: 16 }, // R = 70: 5 chunks, the last one short
  { shape: [10, 12], chunkRows: 3 },
];

function size(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

function params(C: number, seed: number) {
  return {
    gamma: randomArray(C, seed, 0.5, 1.5),
    beta: randomArray(C, seed + 1, -0.5, 0.5),
    rm: randomArray(C, seed + 2, -0.2, 0.2),
    rv: randomArray(C, seed + 3, 0.5, 2),
  };
}

describe('batchNorm kernels vs float64 reference', () => {
  shapes.forEach(({ shape, chunkRows }, si) =>
    [true, false].forEach((training) =>
      it(`[${shape.join('×')}] ${training ? 'training' : 'inference'}${chunkRows ? ` chunks of ${chunkRows}` : ''}`, async () => {
        const ctx = await gpu();
        const C = shape[shape.length - 1]!;
        const R = size(shape) / C;
        // Per-channel offsets and scales so the statistics differ by channel.
        const x = randomArray(R * C, 10 + si, -2, 2).map((v, i) => 0.7 * v * (1 + (i % C) / C) + ((i % C) - 2) * 0.3);
        const dyv = randomArray(R * C, 20 + si);
        const pr = params(C, 30 + si);
        const eps = 1e-3;
        const keep = 0.9;
        const X = Tensor.fromArray(ctx, x, shape);
        const G = Tensor.fromArray(ctx, pr.gamma, [C]);
        const B = Tensor.fromArray(ctx, pr.beta, [C]);
        const RM = Tensor.fromArray(ctx, pr.rm, [C]);
        const RV = Tensor.fromArray(ctx, pr.rv, [C]);
        const S = poisoned(ctx, [4, C]);
        const Y = poisoned(ctx, shape);
        const DY = Tensor.fromArray(ctx, dyv, shape);
        const DX = poisoned(ctx, shape);
        const DG = poisoned(ctx, [C]);
        const DB = poisoned(ctx, [C]);
        const bufs = { x: X.buffer, gamma: G.buffer, beta: B.buffer, runMean: RM.buffer, runVar: RV.buffer, stats: S.buffer, y: Y.buffer };
        if (training) batchNormTrainForward(ctx, bufs, { R, C, eps, keep, chunkRows });
        else batchNormInferenceForward(ctx, bufs, { R, C, eps, chunkRows });
        batchNormBackward(
          ctx,
          { x: X.buffer, dy: DY.buffer, stats: S.buffer, dx: DX.buffer, dgamma: DG.buffer, dbeta: DB.buffer },
          { R, C, training, chunkRows },
        );
        const o = { R, C, training, eps, keep };
        const ref = batchNormRef(x, pr.gamma, pr.beta, pr.rm, pr.rv, o);
        expectClose(await Y.toArray(), ref.y, TOL, 'y');
        // In place: updated in training, untouched in inference.
        expectClose(await RM.toArray(), ref.runMean, TOL, 'runningMean');
        expectClose(await RV.toArray(), ref.runVar, TOL, 'runningVar');
        const bref = batchNormBackwardRef(x, dyv, pr.gamma, ref, o);
        expectClose(await DX.toArray(), bref.dx, DX_TOL, 'dx');
        expectClose(await DG.toArray(), bref.dgamma, TOL, 'dgamma');
        expectClose(await DB.toArray(), bref.dbeta, TOL, 'dbeta');

        // The reference gradients against central differences of L = Σ dy·y (in training the
        // batch statistics depend on x; the running statistics are inputs, not outputs, here).
        const L = (xs: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
          dot(dyv, batchNormRef(xs, g, b, pr.rm, pr.rv, o).y);
        const idx = sampleIndices(R * C, 40, 40 + si);
        const nx = numericGrad((xs) => L(xs, pr.gamma, pr.beta), x, { indices: idx });
        expectClose(nx.grad, idx.map((i) => bref.dx[i]!), FD_TOL, 'dx vs finite differences');
        const ng = numericGrad((gs) => L(x, gs, pr.beta), pr.gamma);
        expectClose(ng.grad, bref.dgamma, FD_TOL, 'dgamma vs finite differences');
        const nb = numericGrad((bs) => L(x, pr.gamma, bs), pr.beta);
        expectClose(nb.grad, bref.dbeta, FD_TOL, 'dbeta vs finite differences');
        [X, G, B, RM, RV, S, Y, DY, DX, DG, DB].forEach((t) => t.dispose());
      }),
    ),
  );

  for (const C of [3, 4])
  it(`variance is sound with a large common offset (E[x²] − E[x]² would lose it), C = ${C}`, async () => {
    const ctx = await gpu();
    // mean ≈ 100, std ≈ 0.1: E[x²] ≈ 1e4 has a float32 ulp of 1e-3, a tenth of the variance.
    const R = 400;
    const x = randomArray(R * C, 5, -0.17, 0.17).map((v) => 100 + v);
    const pr = params(C, 6);
    const X = Tensor.fromArray(ctx, x, [R, C]);
    const G = Tensor.fromArray(ctx, pr.gamma, [C]);
    const B = Tensor.fromArray(ctx, pr.beta, [C]);
    const RM = Tensor.fromArray(ctx, pr.rm, [C]);
    const RV = Tensor.fromArray(ctx, pr.rv, [C]);
    const S = poisoned(ctx, [4, C]);
    const Y = poisoned(ctx, [R, C]);
    const o = { R, C, eps: 1e-5, keep: 0, chunkRows: 64 };
    batchNormTrainForward(ctx, { x: X.buffer, gamma: G.buffer, beta: B.buffer, runMean: RM.buffer, runVar: RV.buffer, stats: S.buffer, y: Y.buffer }, o);
    const ref = batchNormRef(x, pr.gamma, pr.beta, pr.rm, pr.rv, { ...o, training: true });
    // y inherits the float32 rounding of x − mean at 100 (ulp 7.6e-6) divided by std 0.1.
    expectClose(await Y.toArray(), ref.y, { atol: 3e-4, rtol: 1e-3 }, 'y');
    expectClose(await RV.toArray(), ref.runVar, { atol: 0, rtol: 1e-4 }, 'running variance (keep 0: the batch variance)');
    [X, G, B, RM, RV, S, Y].forEach((t) => t.dispose());
  });
});

describe('batchNorm op (autograd)', () => {
  it('resolves the momentum conventions', () => {
    expect(batchNormConstants({ training: true })).toEqual({ keep: 0.99, eps: 1e-3 });
    expect(batchNormConstants({ training: true, convention: 'pytorch' })).toEqual({ keep: 0.9, eps: 1e-5 });
    expect(batchNormConstants({ training: true, convention: 'pytorch', momentum: 0.3, epsilon: 1e-4 })).toEqual({ keep: 0.7, eps: 1e-4 });
    expect(batchNormConstants({ training: true, momentum: 0.8 })).toEqual({ keep: 0.8, eps: 1e-3 });
    expect(() => batchNormConstants({ training: true, momentum: 1.5 })).toThrow(/momentum/);
  });

  const conventions: Array<{ name: string; opts: Omit<BatchNormOptions, 'training'>; shape: number[] }> = [
    { name: 'keras defaults', opts: {}, shape: [3, 5, 4, 6] },
    { name: 'keras momentum 0.6', opts: { momentum: 0.6 }, shape: [3, 5, 4, 8] },
    { name: 'pytorch defaults', opts: { convention: 'pytorch' }, shape: [3, 5, 4, 8] },
    { name: 'pytorch momentum 0.3', opts: { convention: 'pytorch', momentum: 0.3 }, shape: [3, 5, 4, 6] },
  ];
  for (const { name, opts, shape } of conventions)
    it(`${name} [${shape.join('×')}]: 3 training steps update the running statistics, then inference uses them`, async () => {
      const ctx = await gpu();
      const C = shape[3]!;
      const R = 60;
      const pr = params(C, 50);
      const { keep, eps } = batchNormConstants({ training: true, ...opts });
      const G = Tensor.fromArray(ctx, pr.gamma, [C], { persistent: true, requiresGrad: true });
      const B = Tensor.fromArray(ctx, pr.beta, [C], { persistent: true, requiresGrad: true });
      const RM = Tensor.fromArray(ctx, pr.rm, [C], { persistent: true });
      const RV = Tensor.fromArray(ctx, pr.rv, [C], { persistent: true });
      let rm: ArrayLike<number> = pr.rm;
      let rv: ArrayLike<number> = pr.rv;
      for (let step = 0; step < 3; step++) {
        const x = randomArray(R * C, 60 + step, -1, 3);
        const dyv = randomArray(R * C, 70 + step);
        const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true });
        const y = tidy(() => {
          const out = batchNorm(X, G, B, RM, RV, { training: true, ...opts });
          backward(out, Tensor.fromArray(ctx, dyv, shape));
          return out;
        });
        const o = { R, C, training: true, eps, keep };
        const ref = batchNormRef(x, pr.gamma, pr.beta, rm, rv, o);
        const bref = batchNormBackwardRef(x, dyv, pr.gamma, ref, o);
        expectClose(await y.toArray(), ref.y, TOL, `y (step ${step})`);
        expectClose(await X.grad!.toArray(), bref.dx, DX_TOL, `dx (step ${step})`);
        expectClose(await G.grad!.toArray(), bref.dgamma, TOL, `dgamma (step ${step})`);
        expectClose(await B.grad!.toArray(), bref.dbeta, TOL, `dbeta (step ${step})`);
        rm = ref.runMean;
        rv = ref.runVar;
        [X, X.grad!, y].forEach((t) => t.dispose());
      }
      expectClose(await RM.toArray(), rm, { atol: 1e-5, rtol: 1e-4 }, 'running mean after 3 steps');
      expectClose(await RV.toArray(), rv, { atol: 1e-5, rtol: 1e-4 }, 'running variance after 3 steps');

      // Inference: running statistics, affine gradient, statistics left as they are.
      const x = randomArray(R * C, 80, -1, 3);
      const dyv = randomArray(R * C, 81);
      const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true });
      const y = tidy(() => {
        const out = batchNorm(X, G, B, RM, RV, { training: false, ...opts });
        backward(out, Tensor.fromArray(ctx, dyv, shape));
        return out;
      });
      const o = { R, C, training: false, eps, keep };
      const ref = batchNormRef(x, pr.gamma, pr.beta, rm, rv, o);
      const bref = batchNormBackwardRef(x, dyv, pr.gamma, ref, o);
      expectClose(await y.toArray(), ref.y, TOL, 'y (inference)');
      expectClose(await X.grad!.toArray(), bref.dx, DX_TOL, 'dx (inference)');
      expectClose(await G.grad!.toArray(), bref.dgamma, TOL, 'dgamma (inference)');
      expectClose(await B.grad!.toArray(), bref.dbeta, TOL, 'dbeta (inference)');
      expectClose(await RM.toArray(), rm, { atol: 1e-5, rtol: 1e-4 }, 'running mean unchanged by inference');
      expectClose(await RV.toArray(), rv, { atol: 1e-5, rtol: 1e-4 }, 'running variance unchanged by inference');
      [X, X.grad!, y, G, B, RM, RV, G.grad!, B.grad!].forEach((t) => t.dispose());
    });

  it('training steps reach a steady state with no new GPU buffers (scratch is pooled)', async () => {
    const ctx = await gpu();
    const shape = [2, 6, 6, 12];
    const C = 12;
    const pr = params(C, 90);
    const G = Tensor.fromArray(ctx, pr.gamma, [C], { persistent: true, requiresGrad: true });
    const B = Tensor.fromArray(ctx, pr.beta, [C], { persistent: true, requiresGrad: true });
    const RM = Tensor.fromArray(ctx, pr.rm, [C], { persistent: true });
    const RV = Tensor.fromArray(ctx, pr.rv, [C], { persistent: true });
    const X = Tensor.fromArray(ctx, randomArray(2 * 6 * 6 * 12, 91), shape, { persistent: true, requiresGrad: true });
    const dy = Tensor.fromArray(ctx, randomArray(2 * 6 * 6 * 12, 92), shape, { persistent: true });
    const step = async () => {
      tidy(() => void backward(batchNorm(X, G, B, RM, RV, { training: true }), dy));
      await ctx.sync();
    };
    await step();
    await step();
    const before = ctx.stats.buffersCreated;
    await step();
    await step();
    expect(ctx.stats.buffersCreated).toBe(before);
    [G, B, RM, RV, X, dy, G.grad!, B.grad!, X.grad!].forEach((t) => t.dispose());
  });

  it('rejects mismatched parameters and single-row training', async () => {
    const ctx = await gpu();
    const X = Tensor.fromArray(ctx, randomArray(12, 1), [2, 6]);
    const p6 = Tensor.fromArray(ctx, randomArray(6, 2, 0.5, 1), [6]);
    const p5 = Tensor.fromArray(ctx, randomArray(5, 3, 0.5, 1), [5]);
    expect(() => batchNorm(X, p5, p6, p6, p6, { training: true })).toThrow(/gamma \[5\] does not match 6 channels/);
    const X1 = Tensor.fromArray(ctx, randomArray(6, 4), [1, 6]);
    expect(() => batchNorm(X1, p6, p6, p6, p6, { training: true })).toThrow(/more than one value per channel/);
    [X, X1, p6, p5].forEach((t) => t.dispose());
  });
});
