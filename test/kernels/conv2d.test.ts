/**
 * conv2d: forward, data gradient, weight gradient (and the bias gradient's reduction)
 * against a float64 direct convolution; the reference's gradients against central finite
 * differences; AlexNet's real first layer at sampled positions; the op through the tape;
 * shape errors.
 *
 * Tolerances. The small cases use |got − want| ≤ 1e-4 + 1e-3·|want|: each output is a
 * float32 sum of K ≤ 3·3·44 = 396 products of values in [−1, 1] (reductions over
 * M ≤ 2·13·12 = 312 for dw), accumulated sequentially: the rounding error is of order
 * √K·2^-24·√K ≈ 2.4e-5 at most, so 1e-4 leaves margin and still catches any wrong tap (a
 * single missing product changes a value by ~0.1).
 * AlexNet conv1 (K = 363, dw sums over M = 8·54·54 = 23328 products): the bound scales with
 * the sum of absolute values of the terms S = Σ|aᵢbᵢ| (the condition of the sum), not the
 * result: err ≤ 1e-5 + c·S. Sequential float32 accumulation of n terms errs by at most
 * ≈ n·2^-24·S (worst case) and typically √n·2^-24·S (random rounding). The forward and dx
 * (n ≤ 363) use c = 2e-6 (≥ 4× the typical √363·6e-8 = 1.1e-6); dw sums chunks of
 * ~M/8 ≈ 2900 terms and then 8 partials, typical √2900·6e-8 = 3.2e-6, so c = 2e-5 (over
 * 6× margin, still 1000× below what a single wrong product of size ~1 would cause relative
 * to S ≈ 5800). Finite differences on the float64 reference (h = 1e-6, a linear function
 * of each argument away from ReLU kinks): error ~h²·0 + 1e-16/h ≈ 1e-10 → 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { type ConvTuning, DEFAULT_CONV, setConvTuning } from '../../src/kernels/conv2d/conv2d.js';
import {
  conv2dBackwardRef,
  conv2dDwAt,
  conv2dDxAt,
  conv2dRef,
  conv2dRefAt,
  maskedGrad,
} from '../../src/kernels/conv2d/conv2d-ref.js';
import { type Conv2dOptions, conv2dGeometry } from '../../src/kernels/conv2d/geometry.js';
import { conv2d, conv2dOutputShape } from '../../src/autograd/ops/conv2d.js';
import { Tensor, backward, tidy } from '../../src/autograd/index.js';
import { dot, expectClose, gpu, numericGrad, randomArray, rng, sampleIndices, watchKernels } from '../helpers.js';
import { type Shape4, cases, fmt, runKernels, size } from './conv2d-cases.js';

describe('conv2d geometry', () => {
  it("TensorFlow 'same', PyTorch padding, AlexNet shapes", () => {
    // in 10, k5, s2: out 5, total (5−1)·2 + 5 − 10 = 3 → 1 top, 2 bottom (extra at the bottom).
    expect(conv2dGeometry([1, 10, 11, 3], [5, 5, 3, 6], { stride: 2, padding: 'same' })).toMatchObject({
      OH: 5, OW: 6, padT: 1, padB: 2, padL: 2, padR: 2,
    });
    // in 13, k3, s4: out 4, total 3·4 + 3 − 13 = 2; in 10, k2, s4: out 3, total 8 + 2 − 10 = 0.
    expect(conv2dGeometry([1, 13, 10, 3], [3, 2, 3, 4], { stride: 4, padding: 'same' })).toMatchObject({
      OH: 4, OW: 3, padT: 1, padB: 1, padL: 0, padR: 0,
    });
    expect(conv2dGeometry([1, 11, 10, 6], [3, 3, 6, 9], { stride: [2, 3], padding: [1, 2] })).toMatchObject({
      OH: 6, OW: 4, padT: 1, padB: 1, padL: 2, padR: 2,
    });
    expect(conv2dOutputShape([8, 224, 224, 3], [11, 11, 3, 48], { stride: 4 })).toEqual([8, 54, 54, 48]);
    expect(conv2dOutputShape([8, 26, 26, 48], [5, 5, 48, 128], { padding: 'same' })).toEqual([8, 26, 26, 128]);
    expect(conv2dOutputShape([2, 227, 227, 3], [11, 11, 3, 96], { stride: 4, padding: 0 })).toEqual([2, 55, 55, 96]);
    expect(conv2dOutputShape([1, 27, 27, 96], [5, 5, 48, 256], { padding: 2, groups: 2 })).toEqual([1, 27, 27, 256]);
  });

  it('rejects bad shapes with errors naming conv2d and the shapes', () => {
    const bad: Array<[number[], number[], Conv2dOptions, RegExp]> = [
      [[8, 224, 224], [11, 11, 3, 48], {}, /conv2d\(x \[8×224×224\].*rank 4/],
      [[1, 8, 8, 3], [3, 3, 3], {}, /conv2d.*w \[3×3×3\].*rank 4/],
      [[1, 8, 8, 3], [3, 3, 4, 8], {}, /conv2d\(x \[1×8×8×3\], w \[3×3×4×8\]\).*4 input channels.*3 channels/],
      [[1, 8, 8, 6], [3, 3, 6, 8], { groups: 2 }, /conv2d.*3 per group/],
      [[1, 8, 8, 6], [3, 3, 2, 8], { groups: 3 }, /conv2d.*Cout 8.*divisible by groups 3/],
      [[1, 4, 4, 3], [5, 5, 3, 8], {}, /conv2d.*kernel 5×5 is larger than the padded input 4×4/],
      [[1, 4, 4, 3], [5, 7, 3, 8], { padding: 1 }, /conv2d.*kernel 5×7 is larger than the padded input 6×6/],
      [[1, 8, 8, 3], [3, 3, 3, 8], { stride: 0 }, /conv2d.*stride/],
      [[1, 8, 8, 3], [3, 3, 3, 8], { padding: -1 }, /conv2d.*padding/],
      [[1, 8, 8, 3], [3, 3, 3, 8], { padding: 'full' as 'same' }, /conv2d.*unknown padding/],
      [[1, 0, 8, 3], [3, 3, 3, 8], {}, /conv2d.*positive/],
    ];
    for (const [xs, ws, o, re] of bad) expect(() => conv2dOutputShape(xs, ws, o)).toThrow(re);
  });

  it('rejects a bias of the wrong size', async () => {
    const ctx = await gpu();
    const X = Tensor.fromArray(ctx, randomArray(2 * 5 * 5 * 3, 1), [2, 5, 5, 3]);
    const W = Tensor.fromArray(ctx, randomArray(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
    const B = Tensor.fromArray(ctx, randomArray(5, 3), [5]);
    expect(() => conv2d(X, W, B)).toThrow(/conv2d\(x \[2×5×5×3\], w \[3×3×3×4\]\): bias \[5\] must be \[4\]/);
    [X, W, B].forEach((t) => t.dispose());
  });
});

describe('conv2d reference vs finite differences', () => {
  // Cases without ReLU plus the ReLU ones (h = 1e-6 never crosses a kink at these values).
  for (const ci of [1, 5, 9]) {
    const c = cases[ci]!;
    it(fmt(c), () => {
      const x = randomArray(size(c.x), 10 + ci);
      const w = randomArray(size(c.w), 20 + ci);
      const b = randomArray(c.w[3], 30 + ci);
      const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
      const dy = randomArray(ref.y.length, 40 + ci);
      const grads = conv2dBackwardRef(x, w, dy, ref.y, ref.geometry);
      const L = (xs: ArrayLike<number>, ws: ArrayLike<number>, bs: ArrayLike<number>) => dot(dy, conv2dRef(xs, c.x, ws, c.w, bs, c.opts).y);
      const tol = { atol: 1e-6, rtol: 1e-6 };
      const ix = sampleIndices(x.length, 40, 1);
      expectClose(numericGrad((v) => L(v, w, b), x, { indices: ix }).grad, ix.map((i) => grads.dx[i]!), tol, 'dx');
      const iw = sampleIndices(w.length, 40, 2);
      expectClose(numericGrad((v) => L(x, v, b), w, { indices: iw }).grad, iw.map((i) => grads.dw[i]!), tol, 'dw');
      const ib = sampleIndices(b.length, 10, 3);
      expectClose(numericGrad((v) => L(x, w, v), b, { indices: ib }).grad, ib.map((i) => grads.db[i]!), tol, 'db');
    });
  }
});

describe('conv2d kernels vs float64 reference', () => {
  cases.forEach((c, ci) =>
    it(fmt(c), async () => {
      const ctx = await gpu();
      const x = randomArray(size(c.x), 100 + ci);
      const w = randomArray(size(c.w), 200 + ci);
      const b = c.bias ? randomArray(c.w[3], 300 + ci) : null;
      const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
      const g = ref.geometry;
      const dy = randomArray(ref.y.length, 400 + ci);
      const gy = maskedGrad(dy, ref.y, g);
      const got = await runKernels(ctx, g, x, w, b, gy);
      const grads = conv2dBackwardRef(x, w, dy, ref.y, g);
      expectClose(got.y, ref.y, {}, 'y');
      expectClose(got.dx, grads.dx, {}, 'dx');
      expectClose(got.dw, grads.dw, {}, 'dw');
      expectClose(got.db, grads.db, {}, 'db');
    }),
  );

  it('without subgroups (portable path), other tile sizes, generic kernels only', async () => {
    const ctx = await gpu();
    // Small tiles keep the extra shader compiles cheap; rowKernels [] sends the 3×3 cases
    // through the generic implicit GEMM instead of the row-reuse kernels.
    const configs: Array<Partial<ConvTuning>> = [
      {
        subgroups: false, gemmPixels: 2, gemmColumns: 8, rowPixels: 2, wgradRows: 2, wgradColumns: 8,
        wgradRowColumnsScalar: 8, wgradRowColumnsVec4: 8, wgradRowWorkgroup: 16,
      },
      { rowKernels: [] },
    ];
    for (const cfg of configs) {
      const prev = setConvTuning(ctx, cfg);
      try {
        for (const ci of [1, 5, 8]) {
          const c = cases[ci]!;
          const x = randomArray(size(c.x), 500 + ci);
          const w = randomArray(size(c.w), 600 + ci);
          const b = c.bias ? randomArray(c.w[3], 700 + ci) : null;
          const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
          const dy = randomArray(ref.y.length, 800 + ci);
          const got = await runKernels(ctx, ref.geometry, x, w, b, maskedGrad(dy, ref.y, ref.geometry));
          const grads = conv2dBackwardRef(x, w, dy, ref.y, ref.geometry);
          const what = `${JSON.stringify(cfg)} case ${ci}`;
          expectClose(got.y, ref.y, {}, `${what} y`);
          expectClose(got.dx, grads.dx, {}, `${what} dx`);
          expectClose(got.dw, grads.dw, {}, `${what} dw`);
        }
      } finally {
        setConvTuning(ctx, prev);
      }
    }
    expect(DEFAULT_CONV.subgroups).toBe(true);
  });

  it("channels in fours run on the subgroup GEMM's convolution mode (forward and stride-1 dx), and match the other kernels' path", async () => {
    const ctx = await gpu();
    // Software kernel path only (the tiled project runs the tiled kernels), and without
    // subgroups of ≥ 8 lanes (the default-limits project) the other kernels must run.
    const sg = ctx.kernelPath === 'software' && ctx.subgroupMinSize >= 8;
    const { names, stop } = watchKernels(ctx);
    try {
      const ci = cases.findIndex((c) => c.w[3] === 44);
      const c = cases[ci]!;
      const x = randomArray(size(c.x), 900);
      const w = randomArray(size(c.w), 901);
      const b = randomArray(c.w[3], 902);
      const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
      const dy = randomArray(ref.y.length, 903);
      const grads = conv2dBackwardRef(x, w, dy, ref.y, ref.geometry);
      // The cost model's tile, each lane direction forced (lanes along the pixels with vec4
      // window loads: the private operand's convolution addressing), then the other kernels.
      const settings: Array<Partial<ConvTuning>> = [
        { subgroupConv: true },
        { subgroupConv: true, subgroupConvTile: { R: 2, lanes: 'm' } },
        { subgroupConv: true, subgroupConvTile: { R: 3, lanes: 'n' } },
        { subgroupConv: false },
      ];
      for (const setting of settings) {
        const { subgroupConv } = setting;
        const prev = setConvTuning(ctx, setting);
        names.length = 0;
        try {
          const got = await runKernels(ctx, ref.geometry, x, w, b, maskedGrad(dy, ref.y, ref.geometry));
          const what = JSON.stringify(setting);
          expectClose(got.y, ref.y, {}, `${what} y`);
          expectClose(got.dx, grads.dx, {}, `${what} dx`);
          expectClose(got.dw, grads.dw, {}, `${what} dw`);
        } finally {
          setConvTuning(ctx, prev);
        }
        // Forward (8 → 44 channels) and dx (44 → 8) both take it when on; neither when off.
        // 8 and 44 channels: the input's and the output gradient's padding copy vec4s.
        expect(names.filter((n) => n.startsWith('conv-pad'))).toEqual(['conv-pad-vec4', 'conv-pad-vec4']);
        const conv = names.filter((n) => n.endsWith('-conv'));
        expect(conv.length).toBe(subgroupConv && sg ? 2 : 0);
        const t = setting.subgroupConvTile;
        if (t && sg) expect(conv.every((n) => n.startsWith(`sg-R${t.R}-${t.lanes}-NN-4`))).toBe(true);
      }
    } finally {
      stop();
    }
    expect(DEFAULT_CONV.subgroupConv).toBe(true);
  });
});

describe('conv2d op (autograd)', () => {
  it('forward and backward through the tape: groups, bias, fused ReLU', async () => {
    const ctx = await gpu();
    const c = cases[5]!;
    const x = randomArray(size(c.x), 31);
    const w = randomArray(size(c.w), 32);
    const b = randomArray(c.w[3], 33);
    const X = Tensor.fromArray(ctx, x, c.x, { requiresGrad: true });
    const W = Tensor.fromArray(ctx, w, c.w, { requiresGrad: true, persistent: true });
    const B = Tensor.fromArray(ctx, b, [c.w[3]], { requiresGrad: true, persistent: true });
    const ref = conv2dRef(x, c.x, w, c.w, b, c.opts);
    const dy = randomArray(ref.y.length, 34);
    const y = tidy(() => {
      const out = conv2d(X, W, B, c.opts);
      backward(out, Tensor.fromArray(ctx, dy, out.shape));
      return out;
    });
    expect(y.shape).toEqual(conv2dOutputShape(c.x, c.w, c.opts));
    const grads = conv2dBackwardRef(x, w, dy, ref.y, ref.geometry);
    expectClose(await y.toArray(), ref.y, {}, 'y');
    expectClose(await X.grad!.toArray(), grads.dx, {}, 'x.grad');
    expectClose(await W.grad!.toArray(), grads.dw, {}, 'w.grad');
    expectClose(await B.grad!.toArray(), grads.db, {}, 'b.grad');
    // An input that needs no gradient gets none; inference records nothing.
    const X2 = Tensor.fromArray(ctx, x, c.x);
    tidy(() => {
      const out = conv2d(X2, W, null, c.opts);
      expect(out.node).not.toBeNull();
      backward(out, Tensor.fromArray(ctx, dy, out.shape));
    });
    expect(X2.grad).toBeNull();
    const W3 = Tensor.fromArray(ctx, w, c.w);
    const y4 = tidy(() => conv2d(X2, W3, null, { ...c.opts, relu: false }));
    expect(y4.node).toBeNull();
    const want4 = conv2dRef(x, c.x, w, c.w, null, { ...c.opts, relu: false }).y;
    expectClose(await y4.toArray(), want4, {}, 'y (inference, no bias)');
    [X, W, B, y, X2, W3, y4, X.grad!, W.grad!, B.grad!].forEach((t) => t.dispose());
  });
});

describe("AlexNet's first layer: 8×224×224×3 → 48 @ 11×11 / 4 valid", () => {
  it('forward, dx and dw at 300 sampled positions each (edges and corners included)', async () => {
    const ctx = await gpu();
    const xs: Shape4 = [8, 224, 224, 3];
    const ws: Shape4 = [11, 11, 3, 48];
    const g = conv2dGeometry(xs, ws, { stride: 4 });
    expect([g.OH, g.OW]).toEqual([54, 54]);
    const x = randomArray(size(xs), 1001, 0, 1); // image-like: non-negative
    const w = randomArray(size(ws), 1002, -0.1, 0.1);
    const b = randomArray(48, 1003, -0.1, 0.1);
    const gy = randomArray(g.N * g.OH * g.OW * g.Cout, 1004);
    const got = await runKernels(ctx, g, x, w, b, gy);
    const r = rng(1005);
    const pick = (n: number) => Math.floor(r() * n);
    /** 300 positions: every corner of the index box, then random ones. */
    const positions = (dims: number[]): number[][] => {
      const out: number[][] = [];
      for (let mask = 0; mask < 1 << dims.length; mask++) out.push(dims.map((d, k) => ((mask >> k) & 1 ? d - 1 : 0)));
      // Edges: one coordinate at an extreme, the others random.
      for (let k = 0; k < dims.length; k++) for (const e of [0, dims[k]! - 1]) out.push(dims.map((d, j) => (j === k ? e : pick(d))));
      while (out.length < 300) out.push(dims.map(pick));
      return out;
    };
    const check = (name: string, dims: number[], gotArr: Float32Array, ref: (p: number[]) => [number, number], c: number) => {
      let worst = 0;
      for (const p of positions(dims)) {
        const idx = p.reduce((a, v, k) => a * dims[k]! + v, 0);
        const [want, absSum] = ref(p);
        const err = Math.abs(gotArr[idx]! - want);
        const bound = 1e-5 + c * absSum;
        worst = Math.max(worst, err / bound);
        if (!(err <= bound)) expect.fail(`${name}[${p.join(',')}] = ${gotArr[idx]} but expected ${want} (bound ${bound})`);
      }
      return worst;
    };
    const abs = (a: ArrayLike<number>) => Array.from(a, Math.abs);
    const xa = abs(x), wa = abs(w), ga = abs(gy);
    check('y', [8, 54, 54, 48], got.y, ([n, oy, ox, co]) => [
      conv2dRefAt(x, w, b, g, n!, oy!, ox!, co!),
      conv2dRefAt(xa, wa, abs(b), g, n!, oy!, ox!, co!),
    ], 2e-6);
    check('dx', [8, 224, 224, 3], got.dx, ([n, iy, ix, ci]) => [
      conv2dDxAt(gy, w, g, n!, iy!, ix!, ci!),
      conv2dDxAt(ga, wa, g, n!, iy!, ix!, ci!),
    ], 2e-6);
    check('dw', [11, 11, 3, 48], got.dw, ([kh, kw, ci, co]) => [
      conv2dDwAt(x, gy, g, kh!, kw!, ci!, co!),
      conv2dDwAt(xa, ga, g, kh!, kw!, ci!, co!),
    ], 2e-5);
    // Row and column 223 are beyond every window (53·4 + 10 = 222): exactly zero gradient.
    expect(got.dx[((3 * 224 + 223) * 224 + 17) * 3 + 1]).toBe(0);
    expect(got.dx[((5 * 224 + 40) * 224 + 223) * 3 + 2]).toBe(0);
  });
});
