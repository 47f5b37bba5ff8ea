/**
 * Adam (Keras and PyTorch conventions) and SGD (momentum, weight decay, Nesterov): three
 * steps with fixed random gradients written into p.grad, against float64 references of the
 * published update rules (src/kernels/optim/optim-ref.ts), including a learning-rate change
 * between steps; named, restorable state.
 *
 * Tolerances: the GPU keeps w, m, v in float32 between steps (one rounding each, ~6e-8
 * relative) and the update itself carries a few ulps of lr, so weights (|w| < 1.1) use
 * atol 3e-7, rtol 2e-6. Moments and momentum buffers are sums of gradient terms up to 2 in
 * size that partly cancel, so their error is a few ulps of 2 (2.4e-7) whatever their value:
 * atol 1e-6, rtol 1e-5.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autograd/tensor.js';
import { unary } from '../../src/kernels/elementwise/elementwise.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { adamRefStep, sgdRefStep, type AdamRefOptions } from '../../src/kernels/optim/optim-ref.js';
import { Adam, SGD, type Optimizer } from '../../src/nn/optim.js';
import { expectClose, gpu, randomArray, watchKernels } from '../helpers.js';

const W_TOL = { atol: 3e-7, rtol: 2e-6 };
const STATE_TOL = { atol: 1e-6, rtol: 1e-5 };
// Two lengths not multiples of 4, 8 or 256 (the scalar kernels; one over 256 elements so
// several workgroups run) and one a multiple of 4 (the vec4 kernels: 360 vec4s, 2 workgroups).
const SHAPES = [[37, 11], [13], [5, 3, 4, 24]];
const NAMES = ['dense.kernel', 'dense.bias', 'conv.kernel'];

function poisonPool(ctx: GpuContext, sizes: number[]): void {
  const ts = sizes.map((n) => Tensor.empty(ctx, [n]));
  for (const t of ts) unary(ctx, 'fill', t.buffer, t.buffer, t.size, NaN);
  for (const t of ts) t.dispose();
}

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

function makeParams(ctx: GpuContext, seed: number, init?: Float32Array[]): Tensor[] {
  return SHAPES.map((s, k) => {
    const t = Tensor.fromArray(ctx, init?.[k] ?? randomArray(sizeOf(s), seed + k), s, { persistent: true, requiresGrad: true });
    t.name = NAMES[k];
    return t;
  });
}

/** Fixed gradients of step `step` (1-based), written into p.grad. */
function gradsFor(step: number): Float32Array[] {
  return SHAPES.map((s, k) => randomArray(sizeOf(s), 1000 * step + k, -2, 2));
}

function setGrads(ctx: GpuContext, params: Tensor[], grads: Float32Array[]): void {
  params.forEach((p, k) => {
    if (!p.grad) p.grad = Tensor.fromArray(ctx, grads[k]!, p.shape, { persistent: true });
    else p.grad.write(grads[k]!);
  });
}

async function readAll(ts: Tensor[]): Promise<Float32Array[]> {
  return Promise.all(ts.map((t) => t.toArray()));
}

function release(params: Tensor[], opt: Optimizer): void {
  for (const p of params) {
    p.grad?.dispose();
    p.dispose();
  }
  opt.dispose();
}

describe('Adam', () => {
  const cases: Array<{ name: string; opts: ConstructorParameters<typeof Adam>[0]; ref: AdamRefOptions }> = [
    { name: 'keras', opts: { lr: 0.01 }, ref: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, convention: 'keras' } },
    {
      name: 'pytorch',
      opts: { lr: 0.01, convention: 'pytorch' },
      ref: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, convention: 'pytorch' },
    },
    {
      name: 'pytorch, β=(0.8, 0.95), ε=1e-3, weight decay 0.1',
      opts: { lr: 0.01, convention: 'pytorch', beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.1 },
      ref: { lr: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-3, convention: 'pytorch', weightDecay: 0.1 },
    },
    {
      name: 'keras, ε=0.1 (large enough that its placement matters)',
      opts: { lr: 0.01, epsilon: 0.1 },
      ref: { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 0.1, convention: 'keras' },
    },
  ];
  for (const c of cases)
    it(`${c.name}: three steps (lr changed before step 3) match the float64 rule`, async () => {
      const ctx = await gpu();
      poisonPool(ctx, Array(6).fill(sizeOf(SHAPES[0]!)));
      const params = makeParams(ctx, 7);
      const opt = new Adam(c.opts);
      const kernels = watchKernels(ctx);
      const w = (await readAll(params)).map((a) => Float64Array.from(a));
      const m = w.map((a) => new Float64Array(a.length));
      const v = w.map((a) => new Float64Array(a.length));
      let pipelines = 0;
      for (let t = 1; t <= 3; t++) {
        const lr = t === 3 ? 0.03 : 0.01;
        opt.lr = lr;
        const g = gradsFor(t);
        setGrads(ctx, params, g);
        opt.step(params);
        for (let k = 0; k < params.length; k++) adamRefStep(w[k]!, m[k]!, v[k]!, g[k]!, t, { ...c.ref, lr });
        if (t === 2) pipelines = ctx.stats.pipelinesCreated;
      }
      expect(opt.iterations).toBe(3);
      // The learning-rate change recompiled nothing.
      expect(ctx.stats.pipelinesCreated).toBe(pipelines);
      const got = await readAll(params);
      const state = opt.stateTensors();
      expect(Object.keys(state).sort()).toEqual(['conv.kernel.m', 'conv.kernel.v', 'dense.bias.m', 'dense.bias.v', 'dense.kernel.m', 'dense.kernel.v']);
      // Both widths ran ('fill' zeroes the new state).
      expect([...new Set(kernels.names)].filter((k) => k !== 'fill').sort()).toEqual(['adam', 'adam-vec4']);
      for (let k = 0; k < params.length; k++) {
        expectClose(got[k]!, w[k]!, W_TOL, `${NAMES[k]} after 3 steps`);
        expectClose(await state[`${NAMES[k]}.m`]!.toArray(), m[k]!, STATE_TOL, `${NAMES[k]}.m`);
        expectClose(await state[`${NAMES[k]}.v`]!.toArray(), v[k]!, STATE_TOL, `${NAMES[k]}.v`);
      }
      kernels.stop();
      release(params, opt);
    });

  it('the two conventions differ (ε inside vs outside the bias correction) and defaults follow Keras', async () => {
    const keras = new Adam();
    const torch = new Adam({ convention: 'pytorch' });
    expect(keras.config()).toEqual({ name: 'Adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, convention: 'keras', weightDecay: 0 });
    expect(torch.config()).toMatchObject({ epsilon: 1e-8, convention: 'pytorch' });
    // Same ε = 0.1: float64 references disagree, so the convention test above can fail.
    const w1 = Float64Array.of(0.5);
    const w2 = Float64Array.of(0.5);
    const base = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 0.1 };
    adamRefStep(w1, new Float64Array(1), new Float64Array(1), [0.01], 1, { ...base, convention: 'keras' });
    adamRefStep(w2, new Float64Array(1), new Float64Array(1), [0.01], 1, { ...base, convention: 'pytorch' });
    expect(Math.abs(w1[0]! - w2[0]!)).toBeGreaterThan(1e-3);
    expect(() => new Adam({ lr: -1 })).toThrow(/learning rate/);
    expect(() => new Adam({ beta1: 1 })).toThrow(/beta1/);
  });

  it('skips params whose grad is null; state is created lazily, zero-filled', async () => {
    const ctx = await gpu();
    const params = makeParams(ctx, 17);
    const frozen = Tensor.fromArray(ctx, randomArray(9, 3), [9], { persistent: true, requiresGrad: true });
    frozen.name = 'frozen';
    const opt = new Adam({ lr: 0.01 });
    expect(opt.stateTensors()).toEqual({});
    setGrads(ctx, params, gradsFor(1));
    opt.step([...params, frozen]);
    expect(Object.keys(opt.stateTensors())).not.toContain('frozen.m');
    expectClose(await frozen.toArray(), randomArray(9, 3), { atol: 0, rtol: 0 }, 'frozen param');
    // initState on poisoned pool buffers: all zeros.
    poisonPool(ctx, Array(4).fill(9));
    opt.initState([frozen]);
    expect(await opt.stateTensors()['frozen.m']!.toArray()).toEqual(new Float32Array(9));
    expect(await opt.stateTensors()['frozen.v']!.toArray()).toEqual(new Float32Array(9));
    frozen.dispose();
    release(params, opt);
  });

  it('state saved after 2 steps and restored into a new optimizer gives an identical step 3', async () => {
    const ctx = await gpu();
    const a = makeParams(ctx, 27);
    const optA = new Adam({ lr: 0.02 });
    for (let t = 1; t <= 2; t++) {
      setGrads(ctx, a, gradsFor(t));
      optA.step(a);
    }
    // Save: named state, the step count and the weights.
    const saved: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(optA.stateTensors())) saved[name] = await t.toArray();
    const iterations = optA.iterations;
    const weights = await readAll(a);

    const restore = (withIterations: boolean): [Tensor[], Optimizer] => {
      const b = makeParams(ctx, 0, weights);
      const optB = new Adam({ lr: 0.02 });
      optB.initState(b);
      const targets = optB.stateTensors();
      expect(Object.keys(targets).sort()).toEqual(Object.keys(saved).sort());
      for (const [name, t] of Object.entries(targets)) t.write(saved[name]!);
      if (withIterations) optB.setIterations(iterations);
      return [b, optB];
    };
    const [b, optB] = restore(true);
    const [c, optC] = restore(false);
    for (const [ps, opt] of [[a, optA], [b, optB], [c, optC]] as const) {
      setGrads(ctx, ps, gradsFor(3));
      opt.step(ps);
    }
    expect(optB.iterations).toBe(3);
    const [wa, wb, wc] = [await readAll(a), await readAll(b), await readAll(c)];
    for (let k = 0; k < a.length; k++) {
      expect(wb[k], `${NAMES[k]} after restore`).toEqual(wa[k]);
      // Without the step count, the bias correction of step 1 is used: different weights.
      expect(wc[k]).not.toEqual(wa[k]);
    }
    release(a, optA);
    release(b, optB);
    release(c, optC);
  });
});

describe('SGD', () => {
  const cases = [
    { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: false },
    { lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true },
    { lr: 0.05, momentum: 0.5, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0, weightDecay: 0.01, nesterov: false },
  ];
  for (const c of cases)
    it(`momentum ${c.momentum}, weight decay ${c.weightDecay}, nesterov ${c.nesterov}: three steps (lr changed) match`, async () => {
      const ctx = await gpu();
      poisonPool(ctx, Array(6).fill(sizeOf(SHAPES[0]!)));
      const params = makeParams(ctx, 37);
      const opt = new SGD(c);
      const kernels = watchKernels(ctx);
      const w = (await readAll(params)).map((x) => Float64Array.from(x));
      const bufs: Array<Float64Array | null> = w.map(() => null);
      let pipelines = 0;
      for (let t = 1; t <= 3; t++) {
        const lr = t === 3 ? 0.2 : c.lr;
        opt.lr = lr;
        const g = gradsFor(t);
        setGrads(ctx, params, g);
        opt.step(params);
        for (let k = 0; k < params.length; k++) bufs[k] = sgdRefStep(w[k]!, bufs[k]!, g[k]!, { ...c, lr });
        if (t === 2) pipelines = ctx.stats.pipelinesCreated;
      }
      expect(ctx.stats.pipelinesCreated).toBe(pipelines);
      const got = await readAll(params);
      const state = opt.stateTensors();
      expect(Object.keys(state).sort()).toEqual(c.momentum ? ['conv.kernel.momentum', 'dense.bias.momentum', 'dense.kernel.momentum'] : []);
      const name = c.momentum ? 'sgd-momentum' : 'sgd';
      // Both widths ran ('fill' zeroes the new state).
      expect([...new Set(kernels.names)].filter((k) => k !== 'fill').sort()).toEqual([name, `${name}-vec4`]);
      for (let k = 0; k < params.length; k++) {
        expectClose(got[k]!, w[k]!, W_TOL, `${NAMES[k]} after 3 steps`);
        if (c.momentum) expectClose(await state[`${NAMES[k]}.momentum`]!.toArray(), bufs[k]!, STATE_TOL, `${NAMES[k]}.momentum`);
      }
      kernels.stop();
      release(params, opt);
    });

  it('defaults and validation', () => {
    expect(new SGD().config()).toEqual({ name: 'SGD', lr: 0.01, momentum: 0, weightDecay: 0, nesterov: false });
    expect(() => new SGD({ nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD({ momentum: -0.1 })).toThrow(/momentum/);
  });

  it('momentum buffer restored into a new optimizer gives an identical next step', async () => {
    const ctx = await gpu();
    const cfg = { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 };
    const a = makeParams(ctx, 47);
    const optA = new SGD(cfg);
    for (let t = 1; t <= 2; t++) {
      setGrads(ctx, a, gradsFor(t));
      optA.step(a);
    }
    const saved: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(optA.stateTensors())) saved[name] = await t.toArray();
    const b = makeParams(ctx, 0, await readAll(a));
    const optB = new SGD(cfg);
    optB.initState(b);
    for (const [name, t] of Object.entries(optB.stateTensors())) t.write(saved[name]!);
    optB.setIterations(optA.iterations);
    for (const [ps, opt] of [[a, optA], [b, optB]] as const) {
      setGrads(ctx, ps, gradsFor(3));
      opt.step(ps);
    }
    const [wa, wb] = [await readAll(a), await readAll(b)];
    for (let k = 0; k < a.length; k++) expect(wb[k]).toEqual(wa[k]);
    release(a, optA);
    release(b, optB);
  });
});
