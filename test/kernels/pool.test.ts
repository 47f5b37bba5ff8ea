import { describe, expect, it } from 'vitest';
import { maxPool2dBackward, maxPool2dForward, poolGeometry, type Pool2dOptions } from '../../src/kernels/pool/pool.js';
import { maxPool2dBackwardRef, maxPool2dRef } from '../../src/kernels/pool/pool-ref.js';
import { maxPool2d, pool2dOutputShape } from '../../src/autograd/ops/pool.js';
import { Tensor, backward, tidy } from '../../src/autograd/index.js';
import { dot, expectClose, gpu, numericGrad, poisoned, randomArray, rng, sampleIndices } from '../helpers.js';

// Tolerances: the forward selects values, so it must be exact. The backward adds at most
// ⌈KH/SH⌉·⌈KW/SW⌉ (≤ 4 here) float32 gradients: error ≤ 4·2^-24·|g| → atol = rtol = 1e-6.
// Finite differences on the float64 reference are exact for a piecewise-linear function
// away from ties (h = 1e-7, no window here has two values closer than that): 1e-6.
const BWD_TOL = { atol: 1e-6, rtol: 1e-6 };

// Channel counts: not multiples of 4 (scalar kernels) and multiples of 4 (vec4 kernels).
const cases: Array<{ shape: [number, number, number, number]; opts: Pool2dOptions; lo?: number; hi?: number }> = [
  { shape: [2, 11, 10, 5], opts: { size: 3, stride: 2 } }, // AlexNet's overlapping pooling, odd H, even W
  { shape: [3, 9, 8, 3], opts: { size: 2, stride: 2 } }, // odd H drops the last row under 'valid'
  // 'same' with all-negative inputs: a padded cell counted as 0 would win.
  { shape: [2, 11, 10, 12], opts: { size: 3, stride: 2 } }, // vec4 path
  { shape: [2, 10, 11, 6], opts: { size: 3, stride: 2, padding: 'same' }, lo: -2, hi: -1 }, // totals 1 (odd) and 2
  { shape: [2, 10, 11, 8], opts: { size: 3, stride: 2, padding: 'same' }, lo: -2, hi: -1 }, // vec4 path
  { shape: [2, 7, 9, 7], opts: { size: 2, stride: 2, padding: 'same' }, lo: -3, hi: -0.5 }, // totals 1 and 1 (odd)
  { shape: [3, 7, 9, 4], opts: { size: 2, stride: 2, padding: 'same' }, lo: -3, hi: -0.5 }, // vec4 path
  { shape: [2, 7, 6, 5], opts: { size: [3, 2], stride: [1, 3], padding: 'same' } }, // asymmetric window and stride
];

function fmt(shape: number[], o: Pool2dOptions): string {
  return `[${shape.join('×')}] size ${JSON.stringify(o.size)} stride ${JSON.stringify(o.stride ?? o.size)} ${o.padding ?? 'valid'}`;
}

async function readU32(ctx: Awaited<ReturnType<typeof gpu>>, t: Tensor): Promise<Uint32Array> {
  const f = await t.toArray();
  return new Uint32Array(f.buffer, f.byteOffset, f.length);
}

describe('maxPool2d geometry', () => {
  it("follows TensorFlow's 'same' rule (extra padding at the bottom/right)", () => {
    // in 10, k3, s2: out 5, total = 4·2 + 3 − 10 = 1 → 0 top, 1 bottom.
    expect(poolGeometry([1, 10, 10, 1], { size: 3, stride: 2, padding: 'same' })).toMatchObject({ OH: 5, OW: 5, padT: 0, padL: 0 });
    // in 11, k3, s2: out 6, total = 5·2 + 3 − 11 = 2 → 1 and 1.
    expect(poolGeometry([1, 11, 11, 1], { size: 3, stride: 2, padding: 'same' })).toMatchObject({ OH: 6, padT: 1 });
    // in 7, k3, s1: out 7, total 2; in 8, k2, s2: no padding.
    expect(poolGeometry([1, 7, 8, 1], { size: [3, 2], stride: [1, 2], padding: 'same' })).toMatchObject({ OH: 7, OW: 4, padT: 1, padL: 0 });
    expect(pool2dOutputShape([8, 55, 55, 48], { size: 3, stride: 2 })).toEqual([8, 27, 27, 48]);
    expect(pool2dOutputShape([8, 54, 54, 48], { size: 3, stride: 2 })).toEqual([8, 26, 26, 48]);
    expect(pool2dOutputShape([4, 7, 7, 3], { size: 2 })).toEqual([4, 3, 3, 3]);
    expect(() => pool2dOutputShape([1, 2, 5, 1], { size: 3 })).toThrow(/maxPool2d/);
    expect(() => pool2dOutputShape([2, 5, 1], { size: 3 })).toThrow(/NHWC/);
  });
});

describe('maxPool2d kernels vs float64 reference', () => {
  cases.forEach(({ shape, opts, lo, hi }, ci) =>
    it(fmt(shape, opts), async () => {
      const ctx = await gpu();
      const g = poolGeometry(shape, opts);
      const nIn = shape.reduce((a, b) => a * b, 1);
      const outShape = [g.N, g.OH, g.OW, g.C];
      const nOut = outShape.reduce((a, b) => a * b, 1);
      const x = randomArray(nIn, 100 + ci, lo ?? -1, hi ?? 1);
      const dyv = randomArray(nOut, 200 + ci);
      const X = Tensor.fromArray(ctx, x, shape);
      const Y = poisoned(ctx, outShape);
      const A = poisoned(ctx, outShape);
      const DY = Tensor.fromArray(ctx, dyv, outShape);
      const DX = poisoned(ctx, shape);
      maxPool2dForward(ctx, X.buffer, Y.buffer, A.buffer, g);
      maxPool2dBackward(ctx, DY.buffer, A.buffer, DX.buffer, g);
      const ref = maxPool2dRef(x, g);
      expectClose(await Y.toArray(), ref.y, { atol: 0, rtol: 0 }, 'y');
      expect(Array.from(await readU32(ctx, A))).toEqual(Array.from(ref.argmax));
      const dxRef = maxPool2dBackwardRef(dyv, ref.argmax, g);
      expectClose(await DX.toArray(), dxRef, BWD_TOL, 'dx');

      // The reference gradient against central differences of L = Σ dy·maxpool(x).
      const idx = sampleIndices(nIn, 60, 300 + ci);
      const num = numericGrad((xs) => dot(dyv, maxPool2dRef(xs, g).y), x, { indices: idx, h: 1e-7 });
      expectClose(num.grad, idx.map((i) => dxRef[i]!), { atol: 1e-6, rtol: 1e-6 }, 'finite differences');

      // Inference variant (no argmax binding) gives the same y.
      const Y2 = poisoned(ctx, outShape);
      maxPool2dForward(ctx, X.buffer, Y2.buffer, null, g);
      expectClose(await Y2.toArray(), ref.y, { atol: 0, rtol: 0 }, 'y (no argmax)');
      [X, Y, A, DY, DX, Y2].forEach((t) => t.dispose());
    }),
  );

  for (const C of [1, 4])
    it(`ties go to the first maximum in row-major order; overlapping windows add up (C = ${C})`, async () => {
      const ctx = await gpu();
      // Every channel holds the same 5×5 image (scaled by c + 1, so channels differ in value).
      const rep = (img: number[]) => Float32Array.from({ length: 25 * C }, (_, i) => img[Math.floor(i / C)]! * ((i % C) + 1));
      const perPixel = (v: number[]) => v.flatMap((u) => Array.from({ length: C }, () => u));
      const shape = [1, 5, 5, C];
      const g = poolGeometry(shape, { size: 3, stride: 2 });
      const X = Tensor.fromArray(ctx, rep(new Array(25).fill(0.5)), shape);
      const Y = poisoned(ctx, [1, 2, 2, C]);
      const A = poisoned(ctx, [1, 2, 2, C]);
      const DY = Tensor.fromArray(ctx, perPixel([1, 2, 3, 4]), [1, 2, 2, C]);
      const DX = poisoned(ctx, shape);
      // A constant image, 3×3/2 valid: 2×2 outputs whose first maxima are the windows'
      // top-left corners (0,0), (0,2), (2,0), (2,2).
      maxPool2dForward(ctx, X.buffer, Y.buffer, A.buffer, g);
      maxPool2dBackward(ctx, DY.buffer, A.buffer, DX.buffer, g);
      expect(Array.from(await Y.toArray())).toEqual(Array.from(rep([0.5, 0.5, 0.5, 0.5]).subarray(0, 4 * C)));
      expect(Array.from(await readU32(ctx, A))).toEqual(perPixel([0, 0, 0, 0]));
      const want = new Array(25).fill(0);
      want[0] = 1;
      want[2] = 2;
      want[10] = 3;
      want[12] = 4;
      expect(Array.from(await DX.toArray())).toEqual(perPixel(want));

      // A shared maximum in the overlap column: x(1,0) = x(1,2) = 9 tie in window (0,0) → the
      // earlier (1,0) wins there; in window (0,1), (1,2) is its local (1,0) and wins.
      const x2 = new Array(25).fill(0);
      x2[5] = 9;
      x2[7] = 9;
      X.write(rep(x2));
      maxPool2dForward(ctx, X.buffer, Y.buffer, A.buffer, g);
      maxPool2dBackward(ctx, DY.buffer, A.buffer, DX.buffer, g);
      expect(Array.from(await readU32(ctx, A))).toEqual(perPixel([3, 3, 0, 0]));
      const want2 = new Array(25).fill(0);
      want2[5] = 1; // window (0,0): first 9 at (1,0)
      want2[7] = 2; // window (0,1): its first 9
      want2[10] = 3; // window (1,0): all zeros → (2,0)
      want2[12] = 4; // window (1,1): all zeros → (2,2)
      expect(Array.from(await DX.toArray())).toEqual(perPixel(want2));
      [X, Y, A, DY, DX].forEach((t) => t.dispose());
    });

  it('many ties (values from {0,1,2}) match the reference exactly, valid and same', async () => {
    const ctx = await gpu();
    const r = rng(7);
    for (const opts of [{ size: 3, stride: 2 }, { size: 2, stride: 2, padding: 'same' }, { size: 3, stride: 2, padding: 'same' }] as Pool2dOptions[])
    for (const shape of [[3, 9, 8, 5], [2, 9, 8, 8]]) {
      const g = poolGeometry(shape, opts);
      const nIn = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: nIn }, () => Math.floor(r() * 3));
      const outShape = [g.N, g.OH, g.OW, g.C];
      const nOut = g.N * g.OH * g.OW * g.C;
      const dyv = randomArray(nOut, 11);
      const X = Tensor.fromArray(ctx, x, shape);
      const Y = poisoned(ctx, outShape);
      const A = poisoned(ctx, outShape);
      const DY = Tensor.fromArray(ctx, dyv, outShape);
      const DX = poisoned(ctx, shape);
      maxPool2dForward(ctx, X.buffer, Y.buffer, A.buffer, g);
      maxPool2dBackward(ctx, DY.buffer, A.buffer, DX.buffer, g);
      const ref = maxPool2dRef(x, g);
      expectClose(await Y.toArray(), ref.y, { atol: 0, rtol: 0 }, 'y');
      expect(Array.from(await readU32(ctx, A))).toEqual(Array.from(ref.argmax));
      expectClose(await DX.toArray(), maxPool2dBackwardRef(dyv, ref.argmax, g), BWD_TOL, 'dx');
      [X, Y, A, DY, DX].forEach((t) => t.dispose());
    }
  });
});

describe('maxPool2d op (autograd)', () => {
  it('forward and backward through the tape, AlexNet-like 3×3/2', async () => {
    const ctx = await gpu();
    const shape = [2, 13, 13, 6];
    const opts: Pool2dOptions = { size: 3, stride: 2 };
    const g = poolGeometry(shape, opts);
    const x = randomArray(2 * 13 * 13 * 6, 21);
    const dyv = randomArray(2 * 6 * 6 * 6, 22);
    const X = Tensor.fromArray(ctx, x, shape, { requiresGrad: true });
    const { y, dy } = tidy(() => {
      const out = maxPool2d(X, opts);
      const gOut = Tensor.fromArray(ctx, dyv, out.shape);
      backward(out, gOut);
      return { y: out, dy: gOut };
    });
    expect(y.shape).toEqual([2, 6, 6, 6]);
    const ref = maxPool2dRef(x, g);
    expectClose(await y.toArray(), ref.y, { atol: 0, rtol: 0 }, 'y');
    expectClose(await X.grad!.toArray(), maxPool2dBackwardRef(dyv, ref.argmax, g), BWD_TOL, 'x.grad');
    // Without a gradient needed, no argmax is saved and nothing is recorded.
    const X2 = Tensor.fromArray(ctx, x, shape);
    const y2 = maxPool2d(X2, opts);
    expect(y2.node).toBeNull();
    expectClose(await y2.toArray(), ref.y, { atol: 0, rtol: 0 }, 'y (inference)');
    [X, X2, y, y2, dy, X.grad!].forEach((t) => t.dispose());
  });
});
