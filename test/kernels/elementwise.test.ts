/**
 * Element-wise kernels (unary maps, binary maps with trailing broadcast, in-place axpby, the
 * middle-axis broadcast) against float64 references, outputs poisoned with NaN first; and
 * 17,000,003-element launches, more than 65,535 workgroups × 256, which need the 2-D grid.
 *
 * Tolerances: one float32 operation per element (sigmoid: exp and a division), so
 * atol 1e-6, rtol 1e-6 (a few ulps); copies, fills, max and products of two values are
 * checked exactly where float32 makes them exact.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autograd/tensor.js';
import { type GpuContext, grid2d } from '../../src/kernels/context.js';
import { broadcastMiddle } from '../../src/kernels/elementwise/broadcast.js';
import { reduceMiddle } from '../../src/kernels/reduce/reduce.js';
import { axpbyInPlace, binary, type BinaryOpName, unary, type UnaryOpName } from '../../src/kernels/elementwise/elementwise.js';
import { expectClose, gpu, poisoned, randomArray, watchKernels } from '../helpers.js';

const TOL = { atol: 1e-6, rtol: 1e-6 };
const f32 = Math.fround;

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

const unaryRef: Record<UnaryOpName, (v: number, a: number, b: number) => number> = {
  copy: (v) => v,
  relu: (v) => Math.max(v, 0),
  sigmoid: (v) => sigmoid(v),
  affine: (v, a, b) => a * v + b,
  square: (v) => v * v,
  fill: (_v, a) => a,
};

const binaryRef: Record<BinaryOpName, (u: number, v: number, a: number, b: number) => number> = {
  axpby: (u, v, a, b) => a * u + b * v,
  mul: (u, v) => u * v,
  reluBackward: (u, v) => (v > 0 ? u : 0),
  sigmoidBackward: (u, v) => u * v * (1 - v),
};

describe('unary', () => {
  for (const op of Object.keys(unaryRef) as UnaryOpName[])
    // 1028: a multiple of 4, so the vec4 kernel (fill has only the scalar one).
    for (const n of [1, 1001, 1028])
      it(`${op} on ${n} elements`, async () => {
        const ctx = await gpu();
        const kernels = watchKernels(ctx);
        const x = randomArray(n, 3 + n, -6, 6);
        const [alpha, beta] = op === 'affine' ? [-1.75, 0.3] : op === 'fill' ? [0.625, 0] : [1, 0];
        const X = Tensor.fromArray(ctx, x, [n]);
        const Y = poisoned(ctx, [n]);
        unary(ctx, op, X.buffer, Y.buffer, n, alpha, beta);
        kernels.stop();
        expect(kernels.names).toEqual([op === 'fill' ? 'fill' : n % 4 === 0 ? 'unary-vec4' : 'unary']);
        const want = Array.from(x, (v) => unaryRef[op](v, f32(alpha), f32(beta)));
        expectClose(await Y.toArray(), want, TOL, op);
        X.dispose();
        Y.dispose();
      });

  it('fill writes only the first n elements, in place', async () => {
    const ctx = await gpu();
    const Y = poisoned(ctx, [300]);
    unary(ctx, 'fill', Y.buffer, Y.buffer, 257, -2);
    const got = await Y.toArray();
    expect(Array.from(got.subarray(0, 257)).every((v) => v === -2)).toBe(true);
    expect(Array.from(got.subarray(257)).every((v) => Number.isNaN(v))).toBe(true);
  });
});

describe('binary', () => {
  for (const op of Object.keys(binaryRef) as BinaryOpName[])
    for (const [n, nb] of [
      [1003, 1003],
      [7 * 131, 131],
      [389, 1],
      [1028, 1028], // the vec4 kernel: both lengths multiples of 4
      [7 * 132, 132],
      [1028, 2], // scalar: b's length is not
    ])
      it(`${op} on ${n} elements, b of ${nb}`, async () => {
        const ctx = await gpu();
        const kernels = watchKernels(ctx);
        const a = randomArray(n, 11 + n, -3, 3);
        // sigmoidBackward and reluBackward take y = σ(x) and x as their second operand.
        const b = op === 'sigmoidBackward' ? randomArray(nb, 12 + nb, 0.01, 0.99) : randomArray(nb, 12 + nb, -2, 2);
        const [alpha, beta] = op === 'axpby' ? [0.5, -1.25] : [1, 1];
        const A = Tensor.fromArray(ctx, a, [n]);
        const B = Tensor.fromArray(ctx, b, [nb]);
        const Y = poisoned(ctx, [n]);
        binary(ctx, op, A.buffer, B.buffer, Y.buffer, n, nb, alpha, beta);
        kernels.stop();
        expect(kernels.names).toEqual([n % 4 === 0 && nb % 4 === 0 ? 'binary-vec4' : 'binary']);
        const want = Array.from(a, (u, i) => binaryRef[op](u, b[i % nb]!, alpha, beta));
        expectClose(await Y.toArray(), want, TOL, op);
        [A, B, Y].forEach((t) => t.dispose());
      });

  it('rejects a b that does not tile a', async () => {
    const ctx = await gpu();
    const A = Tensor.fromArray(ctx, randomArray(10, 1), [10]);
    expect(() => binary(ctx, 'mul', A.buffer, A.buffer, A.buffer, 10, 3)).toThrow(/mul: cannot broadcast 3 values over 10/);
  });

  for (const n of [517, 516])
    it(`axpbyInPlace: dst = α·dst + β·src (${n} elements)`, async () => {
      const ctx = await gpu();
      const d = randomArray(n, 21);
      const s = randomArray(n, 22);
      const D = Tensor.fromArray(ctx, d, [n]);
      const S = Tensor.fromArray(ctx, s, [n]);
      const kernels = watchKernels(ctx);
      axpbyInPlace(ctx, D.buffer, S.buffer, n, 0.75, -2);
      kernels.stop();
      expect(kernels.names).toEqual([n % 4 === 0 ? 'axpby-inplace-vec4' : 'axpby-inplace']);
      expectClose(await D.toArray(), Array.from(d, (v, i) => 0.75 * v - 2 * s[i]!), TOL, 'dst');
    });

  it('broadcastMiddle: out[a, r, b] = α·g[a, b]', async () => {
    const ctx = await gpu();
    const [A, R, B] = [3, 5, 7];
    const g = randomArray(A * B, 23);
    const G = Tensor.fromArray(ctx, g, [A, B]);
    const Y = poisoned(ctx, [A, R, B]);
    broadcastMiddle(ctx, G.buffer, Y.buffer, A, R, B, -0.5);
    const want = new Float64Array(A * R * B);
    for (let a = 0; a < A; a++) for (let r = 0; r < R; r++) for (let b = 0; b < B; b++) want[(a * R + r) * B + b] = -0.5 * g[a * B + b]!;
    expectClose(await Y.toArray(), want, TOL, 'out');
  });
});

describe('more than 65,535 × 256 elements (2-D dispatch grid)', () => {
  // 68 MB transfers take seconds on lavapipe, so the whole output is checked on the GPU (its
  // sum: a single unwritten NaN element poisons it) and element by element in three windows:
  // the start, around the first index of the second row of workgroups, and the end.
  const N = 17_000_003;
  const WIN = 1 << 15;

  async function checkBig(ctx: GpuContext, Y: Tensor, want: (i: number) => number, what: string): Promise<void> {
    const S = poisoned(ctx, [1]);
    reduceMiddle(ctx, Y.buffer, S.buffer, 1, N, 1);
    let total = 0;
    for (let i = 0; i < N; i++) total += want(i);
    // ~8.5e6 of values < 4 summed in float32 partials of 265k terms: ~1e-6 relative.
    expectClose(await S.toArray(), [total], { atol: 1, rtol: 2e-5 }, `${what}: sum of all ${N} outputs`);
    const rowStart = grid2d(Math.ceil(N / 256))[0] * 256;
    expect(rowStart).toBeLessThan(N);
    for (const from of [0, rowStart - WIN / 2, N - WIN]) {
      const got = await ctx.read(Y.buffer, WIN * 4, undefined, from * 4);
      expectClose(got, Array.from({ length: WIN }, (_, k) => want(from + k)), TOL, `${what}[${from}…]`);
    }
    S.dispose();
  }

  it(`sigmoid and a multiply by a broadcast scalar over ${N} elements`, async () => {
    const ctx = await gpu();
    const x = lcgArray(N, 31, -4, 4);
    const s = 1.375;
    const X = Tensor.fromArray(ctx, x, [N]);
    const S = Tensor.fromArray(ctx, [s], [1]);
    const Y = Tensor.empty(ctx, [N]);
    unary(ctx, 'fill', Y.buffer, Y.buffer, N, NaN);
    unary(ctx, 'sigmoid', X.buffer, Y.buffer, N);
    await checkBig(ctx, Y, (i) => sigmoid(x[i]!), 'sigmoid');
    unary(ctx, 'fill', Y.buffer, Y.buffer, N, NaN);
    binary(ctx, 'mul', X.buffer, S.buffer, Y.buffer, N, 1);
    await checkBig(ctx, Y, (i) => x[i]! * s, 'x · s');
    [X, Y, S].forEach((t) => t.dispose());
  });
});

/** Uniform values in [lo, hi) from a 32-bit LCG: 17M of them in milliseconds. */
function lcgArray(n: number, seed: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  let st = seed >>> 0;
  for (let i = 0; i < n; i++) {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * (st >>> 8)) / 16777216;
  }
  return out;
}
