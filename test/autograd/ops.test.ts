/**
 * Every differentiable op of src/autograd/ops/basic.ts and matmul.ts, forward and backward
 * through the tape: y = op(inputs), L = Σ y ⊙ W with random W, backward(L); the outputs and
 * the inputs' gradients against float64 references (analytic backward rules written here),
 * and those reference gradients against central finite differences of L in float64.
 * Op outputs come from the buffer pool, which is poisoned with NaN before each case, so an
 * element a kernel forgets to write fails.
 *
 * Tolerances: outputs and gradients are sums of ≤ 45 float32 products of values ≤ 2 in size
 * (error ≲ 45·2·6e-8 ≈ 5e-6): atol 1e-5, rtol 1e-4. Finite differences (float64, h = 1e-6:
 * truncation ~h²·|f'''| ≈ 1e-12, cancellation ~1e-16·|L|/h ≈ 1e-9): atol 1e-6, rtol 1e-5.
 * ReLU inputs are kept at |x| ≥ 0.05 so no finite difference straddles the kink.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  affine,
  axpby,
  flatten,
  mean,
  mul,
  relu,
  reshape,
  scale,
  sigmoid,
  square,
  sub,
  sum,
} from '../../src/autograd/ops/basic.js';
import { dense, matmul } from '../../src/autograd/ops/matmul.js';
import { backward } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/autograd/tensor.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { unary } from '../../src/kernels/elementwise/elementwise.js';
import { gemmRef } from '../../src/kernels/gemm/gemm.js';
import { dot, expectClose, gpu, numericGrad, randomArray, sampleIndices } from '../helpers.js';

const TOL = { atol: 1e-5, rtol: 1e-4 };
const FD = { atol: 1e-6, rtol: 1e-5 };

type F64 = Float64Array;

interface OpCase {
  name: string;
  shapes: number[][];
  outShape: number[];
  /** Input value range (default [-1, 1]); `awayFromZero` keeps |x| ≥ 0.05. */
  range?: [number, number];
  awayFromZero?: boolean;
  gpu: (xs: Tensor[]) => Tensor;
  ref: (xs: F64[]) => F64;
  /** Analytic gradients of Σ ref(xs) ⊙ g with respect to each input. */
  grad: (xs: F64[], g: F64) => F64[];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const map = (x: F64, f: (v: number, i: number) => number) => x.map(f);

function poisonPool(ctx: GpuContext, sizes: number[]): void {
  const ts = sizes.map((n) => Tensor.empty(ctx, [n]));
  for (const t of ts) unary(ctx, 'fill', t.buffer, t.buffer, t.size, NaN);
  for (const t of ts) t.dispose();
}

/** Sums the trailing-broadcast gradient g (size n) down to nb values: Σ over i ≡ j (mod nb). */
function unbroadcastRef(g: F64, nb: number): F64 {
  const out = new Float64Array(nb);
  g.forEach((v, i) => (out[i % nb]! += v));
  return out;
}

/** [A, R, B] split of a shape for contiguous axes lo..hi. */
function split(shape: number[], axes: number[]): [number, number, number] {
  const r = shape.length;
  const norm = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
  const lo = norm[0]!;
  const hi = norm[norm.length - 1]!;
  return [size(shape.slice(0, lo)), size(shape.slice(lo, hi + 1)), size(shape.slice(hi + 1))];
}

function sumRef(x: F64, [A, R, B]: [number, number, number], alpha: number): F64 {
  const out = new Float64Array(A * B);
  for (let a = 0; a < A; a++) for (let r = 0; r < R; r++) for (let b = 0; b < B; b++) out[a * B + b]! += alpha * x[(a * R + r) * B + b]!;
  return out;
}

function sumGradRef(g: F64, [A, R, B]: [number, number, number], alpha: number): F64 {
  const out = new Float64Array(A * R * B);
  for (let a = 0; a < A; a++) for (let r = 0; r < R; r++) for (let b = 0; b < B; b++) out[(a * R + r) * B + b] = alpha * g[a * B + b]!;
  return out;
}

/** Row-major transpose of an [r, c] matrix. */
function transpose(x: F64, r: number, c: number): F64 {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j]!;
  return out;
}

function matmulCase(M: number, K: number, N: number, transA: boolean, transB: boolean): OpCase {
  const opA = (a: F64) => (transA ? transpose(a, K, M) : a); // stored [K, M] when transposed
  const opB = (b: F64) => (transB ? transpose(b, N, K) : b);
  return {
    name: `matmul ${M}×${K}${transA ? 'ᵀ' : ''} · ${K}×${N}${transB ? 'ᵀ' : ''}`,
    shapes: [transA ? [K, M] : [M, K], transB ? [N, K] : [K, N]],
    outShape: [M, N],
    gpu: ([a, b]) => matmul(a!, b!, { transA, transB }),
    ref: ([a, b]) => gemmRef(opA(a!), opB(b!), { M, N, K }),
    grad: ([a, b], g) => {
      // d op(A) = G·op(B)ᵀ, d op(B) = op(A)ᵀ·G; transposed back where stored transposed.
      const dOpA = gemmRef(g, opB(b!), { M, N: K, K: N, transB: true });
      const dOpB = gemmRef(opA(a!), g, { M: K, N, K: M, transA: true });
      return [transA ? transpose(dOpA, M, K) : dOpA, transB ? transpose(dOpB, K, N) : dOpB];
    },
  };
}

function denseCase(M: number, K: number, N: number, bias: boolean, withRelu: boolean): OpCase {
  const pre = (x: F64, w: F64, b?: F64) => gemmRef(x, w, { M, N, K, bias: b });
  return {
    name: `dense [${M}×${K}]·[${K}×${N}]${bias ? ' + bias' : ''}${withRelu ? ' + fused relu' : ''}`,
    shapes: bias ? [[M, K], [K, N], [N]] : [[M, K], [K, N]],
    outShape: [M, N],
    gpu: ([x, w, b]) => dense(x!, w!, b ?? null, { relu: withRelu }),
    ref: ([x, w, b]) => map(pre(x!, w!, b), (v) => (withRelu ? Math.max(v, 0) : v)),
    grad: ([x, w, b], g) => {
      const p = pre(x!, w!, b);
      const gp = map(g, (v, i) => (withRelu && p[i]! <= 0 ? 0 : v));
      const dx = gemmRef(gp, w!, { M, N: K, K: N, transB: true });
      const dw = gemmRef(x!, gp, { M: K, N, K: M, transA: true });
      return bias ? [dx, dw, unbroadcastRef(gp, N)] : [dx, dw];
    },
  };
}

function sumCase(shape: number[], axes: number[] | undefined, opts: { keepDims?: boolean; mean?: boolean }): OpCase {
  const all = axes ?? shape.map((_, i) => i);
  const abr = split(shape, all);
  const alpha = opts.mean ? 1 / abr[1] : 1;
  const norm = all.map((a) => (a < 0 ? a + shape.length : a));
  const outShape = opts.keepDims ? shape.map((d, i) => (norm.includes(i) ? 1 : d)) : shape.filter((_, i) => !norm.includes(i));
  return {
    name: `${opts.mean ? 'mean' : 'sum'} of [${shape}] over ${axes ? `[${axes}]` : 'all axes'}${opts.keepDims ? ' keepDims' : ''}`,
    shapes: [shape],
    outShape,
    gpu: ([x]) => (opts.mean ? mean(x!, axes, opts) : sum(x!, axes, opts)),
    ref: ([x]) => sumRef(x!, abr, alpha),
    grad: (_xs, g) => [sumGradRef(g, abr, alpha)],
  };
}

function binaryCase(
  name: string,
  sa: number[],
  sb: number[],
  gpuFn: (a: Tensor, b: Tensor) => Tensor,
  alpha: number,
  beta: number,
  kind: 'axpby' | 'mul',
): OpCase {
  const nb = size(sb);
  return {
    name: `${name} [${sa}] with [${sb}]`,
    shapes: [sa, sb],
    outShape: sa,
    gpu: ([a, b]) => gpuFn(a!, b!),
    ref: ([a, b]) => map(a!, (v, i) => (kind === 'mul' ? v * b![i % nb]! : alpha * v + beta * b![i % nb]!)),
    grad: ([a, b], g) =>
      kind === 'mul'
        ? [map(g, (v, i) => v * b![i % nb]!), unbroadcastRef(map(g, (v, i) => v * a![i]!), nb)]
        : [map(g, (v) => alpha * v), unbroadcastRef(map(g, (v) => beta * v), nb)],
  };
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

const cases: OpCase[] = [
  {
    name: 'affine(x, -1.5, 0.25) [7×13]',
    shapes: [[7, 13]],
    outShape: [7, 13],
    gpu: ([x]) => affine(x!, -1.5, 0.25),
    ref: ([x]) => map(x!, (v) => -1.5 * v + 0.25),
    grad: (_x, g) => [map(g, (v) => -1.5 * v)],
  },
  {
    name: 'scale(x, 3) [5×3×3]',
    shapes: [[5, 3, 3]],
    outShape: [5, 3, 3],
    gpu: ([x]) => scale(x!, 3),
    ref: ([x]) => map(x!, (v) => 3 * v),
    grad: (_x, g) => [map(g, (v) => 3 * v)],
  },
  {
    name: 'relu [9×11]',
    shapes: [[9, 11]],
    outShape: [9, 11],
    awayFromZero: true,
    gpu: ([x]) => relu(x!),
    ref: ([x]) => map(x!, (v) => Math.max(v, 0)),
    grad: ([x], g) => [map(g, (v, i) => (x![i]! > 0 ? v : 0))],
  },
  {
    name: 'sigmoid [6×7] on [-5, 5]',
    shapes: [[6, 7]],
    outShape: [6, 7],
    range: [-5, 5],
    gpu: ([x]) => sigmoid(x!),
    ref: ([x]) => map(x!, sig),
    grad: ([x], g) => [map(g, (v, i) => v * sig(x![i]!) * (1 - sig(x![i]!)))],
  },
  {
    name: 'square [13×5]',
    shapes: [[13, 5]],
    outShape: [13, 5],
    gpu: ([x]) => square(x!),
    ref: ([x]) => map(x!, (v) => v * v),
    grad: ([x], g) => [map(g, (v, i) => 2 * v * x![i]!)],
  },
  binaryCase('add', [4, 9], [4, 9], add, 1, 1, 'axpby'),
  binaryCase('add (bias)', [5, 3, 7], [7], add, 1, 1, 'axpby'),
  binaryCase('add (bias [1, N])', [6, 7], [1, 7], add, 1, 1, 'axpby'),
  binaryCase('add (scalar)', [5, 5], [1], add, 1, 1, 'axpby'),
  binaryCase('sub', [4, 9], [4, 9], sub, 1, -1, 'axpby'),
  binaryCase('sub (bias)', [6, 7], [7], sub, 1, -1, 'axpby'),
  binaryCase('axpby(a, b, 0.5, -2)', [6, 7], [7], (a, b) => axpby(a, b, 0.5, -2), 0.5, -2, 'axpby'),
  binaryCase('mul', [4, 9], [4, 9], mul, 1, 1, 'mul'),
  binaryCase('mul (broadcast)', [5, 3, 7], [3, 7], mul, 1, 1, 'mul'),
  binaryCase('mul (scalar)', [3, 11], [1], mul, 1, 1, 'mul'),
  sumCase([3, 4, 5], undefined, {}),
  sumCase([3, 4, 5], [0], {}),
  sumCase([3, 4, 5], [1], {}),
  sumCase([3, 4, 5], [-1], {}),
  sumCase([3, 4, 5], [1, 2], {}),
  sumCase([3, 4, 5], [0, 1], { keepDims: true }),
  sumCase([3, 4, 5], [1], { keepDims: true }),
  sumCase([3, 4, 5], [1], { mean: true, keepDims: true }),
  sumCase([7, 6], undefined, { mean: true }),
  sumCase([7, 6], [0], { mean: true }),
  {
    name: 'reshape [3×4×5] → [12×5] and [-1, 4]',
    shapes: [[3, 4, 5]],
    outShape: [15, 4],
    gpu: ([x]) => reshape(square(reshape(x!, [12, 5])), [-1, 4]),
    ref: ([x]) => map(x!, (v) => v * v),
    grad: ([x], g) => [map(g, (v, i) => 2 * v * x![i]!)],
  },
  {
    name: 'flatten [3×2×2×5] → [3×20] (NHWC row-major)',
    shapes: [[3, 2, 2, 5]],
    outShape: [3, 20],
    gpu: ([x]) => flatten(x!),
    ref: ([x]) => Float64Array.from(x!),
    grad: (_x, g) => [Float64Array.from(g)],
  },
  ...[false, true].flatMap((ta) => [false, true].map((tb) => matmulCase(7, 11, 5, ta, tb))),
  matmulCase(1, 3, 9, false, true),
  denseCase(6, 10, 9, true, false),
  denseCase(6, 10, 9, false, false),
  denseCase(5, 13, 7, true, true),
];

describe('ops forward and backward through the tape', () => {
  cases.forEach((c, ci) =>
    it(c.name, async () => {
      const ctx = await gpu();
      const [lo, hi] = c.range ?? [-1, 1];
      const data = c.shapes.map((s, k) => {
        const d = randomArray(size(s), 100 * ci + k + 1, lo, hi);
        if (c.awayFromZero) for (let i = 0; i < d.length; i++) if (Math.abs(d[i]!) < 0.05) d[i] = d[i]! < 0 ? -0.05 - d[i]! : 0.05 + d[i]!;
        return d;
      });
      const outSize = size(c.outShape);
      poisonPool(ctx, [...Array(6).fill(outSize), ...c.shapes.flatMap((s) => [size(s), size(s)])]);
      const xs = data.map((d, k) => {
        const t = Tensor.fromArray(ctx, d, c.shapes[k]!, { requiresGrad: true, persistent: true });
        t.name = `x${k}`;
        return t;
      });
      const y = c.gpu(xs);
      expect(y.shape).toEqual(c.outShape);
      const w = randomArray(outSize, 7777 + ci, -2, 2);
      const W = Tensor.fromArray(ctx, w, y.shape);
      backward(sum(mul(y, W)));

      const x64 = data.map((d) => Float64Array.from(d));
      const w64 = Float64Array.from(w);
      expectClose(await y.toArray(), c.ref(x64), TOL, 'y');
      const want = c.grad(x64, w64);
      for (let k = 0; k < xs.length; k++) {
        expectClose(await xs[k]!.grad!.toArray(), want[k]!, TOL, `dL/dx${k}`);
        // The reference gradient against finite differences of L(x) = Σ ref(x) ⊙ w.
        const f = (v: F64) => dot(c.ref(x64.map((xx, j) => (j === k ? v : xx))), w64);
        const idx = sampleIndices(data[k]!.length, 10, 31 * ci + k);
        const num = numericGrad(f, x64[k]!, { indices: idx });
        expectClose(num.grad, idx.map((i) => want[k]![i]!), FD, `finite differences dL/dx${k}`);
      }
      for (const x of xs) {
        x.grad!.dispose();
        x.dispose();
      }
    }),
  );

  it('sum over non-contiguous axes is refused with a clear error', async () => {
    const ctx = await gpu();
    const x = Tensor.fromArray(ctx, randomArray(24, 5), [2, 3, 4]);
    expect(() => sum(x, [0, 2])).toThrow(/axes must be contiguous/);
    expect(() => add(x, Tensor.fromArray(ctx, randomArray(3, 6), [3]))).toThrow(/add: cannot broadcast \[3\] over \[2×3×4\]/);
    expect(() => matmul(x.view([6, 4]), x.view([6, 4]))).toThrow(/matmul: inner dimensions differ/);
  });
});
