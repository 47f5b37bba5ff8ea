import { describe, expect, it } from 'vitest';
import { GEMM_VARIANTS, gemm, gemmRef, hasSubgroupGemm } from '../../src/kernels/gemm/gemm.js';
import { checkGemm } from './gemm-check.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { expectClose, gpu, poisoned, randomArray, watchKernels } from '../helpers.js';

// Sizes deliberately not multiples of the 4×4 register block or the 8×8 workgroup.
const cases = [
  { M: 37, N: 21, K: 45 },
  { M: 1, N: 67, K: 3 },
  { M: 70, N: 1, K: 129 },
];

describe('gemm', () => {
  for (const { M, N, K } of cases)
    for (const transA of [false, true])
      for (const transB of [false, true])
        it(`${M}×${K} · ${K}×${N} transA=${transA} transB=${transB}`, async () => {
          await checkGemm(GEMM_VARIANTS.auto, { M, N, K, transA, transB }, 1);
        });

  it('bias + ReLU epilogue and beta accumulation', async () => {
    const ctx = await gpu();
    const [M, N, K] = [19, 13, 11];
    const a = randomArray(M * K, 3);
    const b = randomArray(K * N, 4);
    const bias = randomArray(N, 5);
    const c0 = randomArray(M * N, 6);
    const A = Tensor.fromArray(ctx, a, [M, K]);
    const B = Tensor.fromArray(ctx, b, [K, N]);
    const Bias = Tensor.fromArray(ctx, bias, [N]);
    const C = Tensor.fromArray(ctx, c0, [M, N]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, bias: Bias.buffer, relu: true, alpha: 0.5, beta: 2 });
    expectClose(await C.toArray(), gemmRef(a, b, { M, N, K, bias, relu: true, alpha: 0.5, beta: 2, c0 }), {}, 'C');
  });

  it('batched with strides', async () => {
    const ctx = await gpu();
    const [M, N, K, batch] = [9, 7, 5, 3];
    const a = randomArray(batch * M * K, 7);
    const b = randomArray(batch * K * N, 8);
    const A = Tensor.fromArray(ctx, a, [batch * M * K]);
    const B = Tensor.fromArray(ctx, b, [batch * K * N]);
    const C = poisoned(ctx, [batch, M, N]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, batch });
    const got = await C.toArray();
    for (let i = 0; i < batch; i++) {
      const want = gemmRef(a.subarray(i * M * K), b.subarray(i * K * N), { M, N, K });
      expectClose(got.subarray(i * M * N, (i + 1) * M * N), want, {}, `C[${i}]`);
    }
  });
});

/**
 * The subgroup-broadcast kernel (gemm-subgroup.wgsl.ts) generates different code per
 * transpose, per operand loaded as vec4 or scalar (vec4 needs the contiguous extent and batch
 * stride to be multiples of 4), per lane direction (lanes along N: A shared / B private;
 * along M: the reverse) and per shared-tile size R; the launcher picks them by shape. Each case
 * below names the path it covers. The auto cases above already cover the scalar paths with
 * k tails for both lane directions (37×21 → lanes along N, 70×1 → along M, R = 1 and 2).
 * On an adapter without subgroups of ≥ 8 lanes the subgroup variants are replaced by the
 * blocked kernel, so the file still checks what that adapter runs.
 * (checkGemm: gemm-check.ts.)
 */
describe('gemm variants', () => {
  // M, N, K multiples of 4 but not of the 16×32 tile: every operand loads as vec4.
  const vec = { M: 36, N: 44, K: 28 };
  for (const [name, variant] of [
    ['lanes along N (A shared, B private)', GEMM_VARIANTS.sg16],
    ['lanes along M (B shared, A private)', GEMM_VARIANTS.sg16m],
  ] as const)
    for (const transA of [false, true])
      for (const transB of [false, true])
        it(`subgroup vec4 ${name} transA=${transA} transB=${transB}`, async () => {
          await checkGemm(variant, { ...vec, transA, transB }, 10);
        });

  it('subgroup vec4 loads along M and N with a k tail (K = 29, transA)', async () => {
    // A transposed is M-contiguous and B N-contiguous: both vec4, yet K % 4 = 1.
    await checkGemm(GEMM_VARIANTS.sg16, { M: 36, N: 44, K: 29, transA: true }, 20);
  });

  it('subgroup scalar A (K = 27) with vec4 B, the lowered-convolution layout', async () => {
    await checkGemm(GEMM_VARIANTS.sg16, { M: 53, N: 48, K: 27 }, 30);
  });

  it('infinities in the last k of a k tail stay infinities (no 0·Inf = NaN from the padding)', async () => {
    // K = 5: the second 4-k block runs past K; its padded k must add exactly 0.
    const ctx = await gpu();
    const v = hasSubgroupGemm(ctx) ? GEMM_VARIANTS.sg16 : GEMM_VARIANTS.blocked4x4;
    const [M, N, K] = [9, 8, 5];
    const a = randomArray(M * K, 35);
    const b = randomArray(K * N, 36);
    a[2 * K + K - 1] = Infinity; // A[2][K-1]: the shared operand
    b[(K - 1) * N + 3] = -Infinity; // B[K-1][3]: the private operand
    const A = Tensor.fromArray(ctx, a, [M, K]);
    const B = Tensor.fromArray(ctx, b, [K, N]);
    const C = poisoned(ctx, [M, N]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K }, v);
    const got = await C.toArray();
    const want = gemmRef(a, b, { M, N, K });
    for (let i = 0; i < M * N; i++) {
      if (Number.isFinite(want[i]!)) expectClose([got[i]!], [want[i]!], {}, `C[${i}]`);
      else expect(got[i], `C[${i}]`).toBe(want[i]);
    }
  });

  it('vec4 stores of C (lanes along N, N a multiple of 4): bias + ReLU + beta, batched with strides', async () => {
    const ctx = await gpu();
    const sg = hasSubgroupGemm(ctx);
    const [M, N, K, batch] = [21, 44, 13, 2];
    const [strideA, strideB, strideC] = [M * K + 3, K * N + 1, M * N + 8];
    const a = randomArray((batch - 1) * strideA + M * K, 81);
    const b = randomArray((batch - 1) * strideB + K * N, 82);
    const bias = randomArray(N, 83);
    const c0 = randomArray((batch - 1) * strideC + M * N, 84);
    const [A, B, Bias, C] = [Tensor.fromArray(ctx, a, [a.length]), Tensor.fromArray(ctx, b, [b.length]), Tensor.fromArray(ctx, bias, [N]), Tensor.fromArray(ctx, c0, [c0.length])];
    const kernels = watchKernels(ctx);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, batch, strideA, strideB, strideC, bias: Bias.buffer, relu: true, alpha: 0.5, beta: 2 }, sg ? GEMM_VARIANTS.sg16 : GEMM_VARIANTS.blocked4x4);
    kernels.stop();
    if (sg) expect(kernels.names).toEqual(['sg-R2-n-NN-11-c4']);
    const got = await C.toArray();
    for (let i = 0; i < batch; i++) {
      const want = gemmRef(a.subarray(i * strideA), b.subarray(i * strideB), { M, N, K, bias, relu: true, alpha: 0.5, beta: 2, c0: c0.subarray(i * strideC) });
      expectClose(got.subarray(i * strideC, i * strideC + M * N), want, {}, `C[${i}]`);
    }
    // Between the batches' outputs (the stride's gap) nothing was written.
    expect(Array.from(got.subarray(M * N, strideC))).toEqual(Array.from(c0.subarray(M * N, strideC)));
  });

  it('subgroup shared tiles of 8 and 32 rows (R = 1, 4)', async () => {
    await checkGemm(GEMM_VARIANTS.sg8, { M: 19, N: 40, K: 12 }, 40);
    await checkGemm(GEMM_VARIANTS.sg32, { M: 45, N: 40, K: 12 }, 41);
  });

  for (const [name, variant] of [
    ['naive', GEMM_VARIANTS.naive],
    ['blocked8x8', GEMM_VARIANTS.blocked8x8],
  ] as const)
    it(`${name} kernel`, async () => {
      await checkGemm(variant, { M: 37, N: 21, K: 45, transA: true }, 50);
    });

  for (const transA of [false, true])
    for (const transB of [false, true])
      it(`blocked4x4 (the fallback without subgroups) transA=${transA} transB=${transB}`, async () => {
        await checkGemm(GEMM_VARIANTS.blocked4x4, { M: 13, N: 9, K: 7, transA, transB }, 60);
      });

  it('bias + ReLU + beta with lanes along M', async () => {
    const ctx = await gpu();
    const v = hasSubgroupGemm(ctx) ? GEMM_VARIANTS.sg16m : GEMM_VARIANTS.blocked4x4;
    const [M, N, K] = [21, 13, 8];
    const a = randomArray(M * K, 70);
    const b = randomArray(K * N, 71);
    const bias = randomArray(N, 72);
    const c0 = randomArray(M * N, 73);
    const A = Tensor.fromArray(ctx, a, [M, K]);
    const B = Tensor.fromArray(ctx, b, [K, N]);
    const Bias = Tensor.fromArray(ctx, bias, [N]);
    const C = Tensor.fromArray(ctx, c0, [M, N]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, bias: Bias.buffer, relu: true, alpha: 0.5, beta: 2 }, v);
    expectClose(await C.toArray(), gemmRef(a, b, { M, N, K, bias, relu: true, alpha: 0.5, beta: 2, c0 }), {}, 'C');
  });

  it('batched with vec4-aligned strides and padding between matrices', async () => {
    // Strides larger than the matrices (multiples of 4): vec4 loads at every batch offset.
    const ctx = await gpu();
    const [M, N, K, batch] = [12, 8, 16, 3];
    const [sA, sB, sC] = [M * K + 8, K * N + 4, M * N + 12];
    const a = randomArray(batch * sA, 80);
    const b = randomArray(batch * sB, 81);
    const A = Tensor.fromArray(ctx, a, [batch * sA]);
    const B = Tensor.fromArray(ctx, b, [batch * sB]);
    const C = poisoned(ctx, [batch * sC]);
    gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, batch, strideA: sA, strideB: sB, strideC: sC, transB: true });
    const got = await C.toArray();
    for (let i = 0; i < batch; i++) {
      const want = gemmRef(a.subarray(i * sA), b.subarray(i * sB), { M, N, K, transB: true });
      expectClose(got.subarray(i * sC, i * sC + M * N), want, {}, `C[${i}]`);
      // The padding between output matrices stays untouched (NaN).
      if (i < batch - 1) expect(Number.isNaN(got[i * sC + M * N]!)).toBe(true);
    }
  });
});
