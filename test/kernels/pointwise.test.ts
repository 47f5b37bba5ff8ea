/**
 * The pointwise table (src/kernels/elementwise/pointwise.ts), one row per activation,
 * generated from the table itself: every entry's forward and backward kernels against its
 * float64 reference on random inputs (outputs poisoned with NaN), its reference derivative
 * against central finite differences of its reference, the differentiable op through the
 * tape, and the activation fused into the GEMM and convolution epilogues and as a layer
 * option (Dense, Conv2D; fused when the backward reads only y, the op after the kernel
 * otherwise) — forward and the gradients of L = Σ y ⊙ W against finite differences of a
 * float64 model of the layer.
 *
 * Independent checks: erf64 against published values (Abramowitz & Stegun, Table 7.1).
 *
 * Tolerances. Forward/backward kernels: a few float32 operations per element, plus for gelu
 * the A&S 7.1.26 erf (|error| ≤ 1.5e-7, times |x|/2 ≤ 3 in gelu and times 1 plus
 * |x|·φ(x) ≤ 0.25 in its derivative): atol 1e-6, rtol 1e-5. Reference derivative vs finite
 * differences (float64, h = 1e-5, inputs ≥ 1e-3 away from kinks): atol 1e-7, rtol 1e-6.
 * Layer gradients: sums of ≤ 36 products of values ≤ ~3, float32: atol 2e-5, rtol 2e-4.
 */
import { describe, expect, it } from 'vitest';
import { activation } from '../../src/autograd/ops/activation.js';
import { conv2d } from '../../src/autograd/ops/conv2d.js';
import { dense } from '../../src/autograd/ops/matmul.js';
import { mul, sum } from '../../src/autograd/ops/basic.js';
import { backward } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { activationBackward, activationForward } from '../../src/kernels/elementwise/elementwise.js';
import { ACTIVATIONS, type ActivationDef, type ActivationName, erf64 } from '../../src/kernels/elementwise/pointwise.js';
import { gemm, gemmRef } from '../../src/kernels/gemm/gemm.js';
import { Dense } from '../../src/nn/layers/dense.js';
import { Activation as ActivationLayer } from '../../src/nn/layers/simple.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray, rng } from '../helpers.js';

const KERNEL_TOL = { atol: 1e-6, rtol: 1e-5 };
const FD_TOL = { atol: 1e-7, rtol: 1e-6 };
const LAYER_TOL = { atol: 2e-5, rtol: 2e-4 };
const table = ACTIVATIONS as readonly ActivationDef[];

/** Random inputs in [-6, 6] kept ≥ 1e-3 away from 0 (the kink of relu and leaky_relu). */
function inputs(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, -6, 6);
  return x.map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
}

describe('erf64 (the references’ erf) against Abramowitz & Stegun Table 7.1', () => {
  it('values to 1e-12', () => {
    const table71: Array<[number, number]> = [
      [0.1, 0.112462916018285], [0.5, 0.520499877813047], [1, 0.842700792949715],
      [1.5, 0.966105146475311], [2, 0.995322265018953], [2.5, 0.999593047982555], [3, 0.999977909503001],
    ];
    for (const [x, want] of table71) {
      expect(Math.abs(erf64(x) - want)).toBeLessThan(1e-12);
      expect(Math.abs(erf64(-x) + want)).toBeLessThan(1e-12);
    }
  });
});

describe.each(table.map((a) => [a.name, a] as const))('%s', (name, a) => {
  const act = name as ActivationName;

  it('reference derivative = finite differences of the reference', () => {
    const x = Array.from(inputs(200, 7), Number);
    const fd = x.map((v) => (a.ref(v + 1e-5) - a.ref(v - 1e-5)) / 2e-5);
    expectClose(x.map(a.dref), fd, FD_TOL, `${name}'`);
  });

  it('forward and backward kernels against the float64 reference', async () => {
    const ctx = await gpu();
    const n = 1003;
    const x = inputs(n, 11);
    const g = randomArray(n, 12, -2, 2);
    const X = Tensor.fromArray(ctx, x, [n]);
    const G = Tensor.fromArray(ctx, g, [n]);
    const Y = poisoned(ctx, [n]);
    activationForward(ctx, act, X.buffer, Y.buffer, n);
    expectClose(await Y.toArray(), Array.from(x, (v) => a.ref(v)), KERNEL_TOL, `${name}(x)`);
    const DX = poisoned(ctx, [n]);
    activationBackward(ctx, act, G.buffer, a.backward.from === 'x' ? X.buffer : Y.buffer, DX.buffer, n);
    expectClose(await DX.toArray(), Array.from(x, (v, i) => g[i]! * a.dref(v)), KERNEL_TOL, `d${name}`);
    [X, G, Y, DX].forEach((t) => t.dispose());
  });

  it('the differentiable op: y and dL/dx for L = Σ y ⊙ W', async () => {
    const ctx = await gpu();
    const n = 257;
    const x = inputs(n, 21);
    const w = randomArray(n, 22);
    const X = Tensor.fromArray(ctx, x, [n], { requiresGrad: true });
    const W = Tensor.fromArray(ctx, w, [n]);
    const Y = activation(X, act);
    backward(sum(mul(Y, W)));
    expectClose(await Y.toArray(), Array.from(x, (v) => a.ref(v)), KERNEL_TOL, 'y');
    const fd = numericGrad((v) => dot(Array.from(v, a.ref), w), x, { h: 1e-5 }).grad;
    expectClose(await X.grad!.toArray(), fd, { atol: 1e-5, rtol: 1e-4 }, 'dL/dx');
    [X, W, Y].forEach((t) => t.dispose());
  });

  it('fused into the GEMM epilogue (bias, then the activation)', async () => {
    const ctx = await gpu();
    const [M, N, K] = [9, 13, 7];
    const A = randomArray(M * K, 31, -2, 2);
    const B = randomArray(K * N, 32, -2, 2);
    const bias = randomArray(N, 33);
    const [TA, TB, TBias] = [Tensor.fromArray(ctx, A, [M, K]), Tensor.fromArray(ctx, B, [K, N]), Tensor.fromArray(ctx, bias, [N])];
    const C = poisoned(ctx, [M, N]);
    gemm(ctx, TA.buffer, TB.buffer, C.buffer, { M, N, K, bias: TBias.buffer, activation: act });
    const want = gemmRef(A, B, { M, N, K, bias }).map((v) => a.ref(v));
    expectClose(await C.toArray(), want, { atol: 1e-5, rtol: 1e-4 }, `gemm+${name}`);
    [TA, TB, TBias, C].forEach((t) => t.dispose());
  });

  it(`Dense layer activation '${name}' and conv2d's: y, dL/dW and dL/dx against finite differences`, async () => {
    const ctx = await gpu();
    // Dense: [4, 6] · [6, 5] + b.
    const [B, I, O] = [4, 6, 5];
    const x = randomArray(B * I, 41);
    const layer = new Dense({ units: O, activation: act });
    layer.build(ctx, [I], rng(7));
    const [kernel] = layer.params();
    const wv = Float64Array.from(await kernel!.tensor.toArray());
    const X = Tensor.fromArray(ctx, x, [B, I], { requiresGrad: true });
    const Wl = randomArray(B * O, 42);
    const Y = layer.forward(X, { training: true, stepSeed: 0 });
    backward(sum(mul(Y, Tensor.fromArray(ctx, Wl, [B, O]))));
    const model = (xv: ArrayLike<number>, kv: ArrayLike<number>) => gemmRef(xv, kv, { M: B, N: O, K: I }).map((v) => a.ref(v));
    expectClose(await Y.toArray(), model(x, wv), LAYER_TOL, 'dense y');
    expectClose(await X.grad!.toArray(), numericGrad((v) => dot(model(v, wv), Wl), x, { h: 1e-5 }).grad, LAYER_TOL, 'dense dL/dx');
    expectClose(await kernel!.tensor.grad!.toArray(), numericGrad((v) => dot(model(x, v), Wl), wv, { h: 1e-5 }).grad, LAYER_TOL, 'dense dL/dW');
    layer.dispose();

    // conv2d 3×3 'same' over [1, 4, 5, 2] → 3 channels, no bias: y = act(conv).
    const xs = [1, 4, 5, 2];
    const ws = [3, 3, 2, 3];
    const cx = randomArray(40, 43);
    const cw = randomArray(54, 44);
    const CX = Tensor.fromArray(ctx, cx, xs, { requiresGrad: true });
    const CW = Tensor.fromArray(ctx, cw, ws, { requiresGrad: true });
    const CY = conv2d(CX, CW, null, { padding: 'same', activation: act });
    const CL = randomArray(60, 45);
    backward(sum(mul(CY, Tensor.fromArray(ctx, CL, [1, 4, 5, 3]))));
    const convRef = (xv: ArrayLike<number>, wv2: ArrayLike<number>) => {
      const y = new Float64Array(60);
      for (let h = 0; h < 4; h++)
        for (let w = 0; w < 5; w++)
          for (let co = 0; co < 3; co++) {
            let s = 0;
            for (let kh = 0; kh < 3; kh++)
              for (let kw = 0; kw < 3; kw++) {
                const ih = h + kh - 1;
                const iw = w + kw - 1;
                if (ih < 0 || ih >= 4 || iw < 0 || iw >= 5) continue;
                for (let ci = 0; ci < 2; ci++) s += xv[(ih * 5 + iw) * 2 + ci]! * wv2[((kh * 3 + kw) * 2 + ci) * 3 + co]!;
              }
            y[(h * 5 + w) * 3 + co] = a.ref(s);
          }
      return y;
    };
    expectClose(await CY.toArray(), convRef(cx, cw), LAYER_TOL, 'conv y');
    expectClose(await CX.grad!.toArray(), numericGrad((v) => dot(convRef(v, cw), CL), cx, { h: 1e-5 }).grad, LAYER_TOL, 'conv dL/dx');
    expectClose(await CW.grad!.toArray(), numericGrad((v) => dot(convRef(cx, v), CL), cw, { h: 1e-5 }).grad, LAYER_TOL, 'conv dL/dw');
    [X, Y, CX, CW, CY].forEach((t) => t.dispose());
  });

  it('the Activation layer', async () => {
    const ctx = await gpu();
    const x = inputs(30, 51);
    const l = new ActivationLayer(act);
    expect(l.outputShape([5, 6])).toEqual([5, 6]);
    const Y = l.forward(Tensor.fromArray(ctx, x, [5, 6]));
    expectClose(await Y.toArray(), Array.from(x, (v) => a.ref(v)), KERNEL_TOL, 'layer y');
    expect(l.config()).toEqual({ type: 'Activation', name: '', activation: name });
  });
});

describe('activation names', () => {
  it('an unknown one is a clear error at layer construction', () => {
    expect(() => new Dense({ units: 3, activation: 'tanh' as ActivationName })).toThrow(
      `unknown activation 'tanh' (choose one of linear, ${ACTIVATIONS.map((a) => a.name).join(', ')})`,
    );
  });
});
