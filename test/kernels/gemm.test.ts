import { describe, it } from 'vitest';
import { gemm, gemmRef } from '../../src/kernels/gemm/gemm.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { expectClose, gpu, poisoned, randomArray } from '../helpers.js';

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
          const ctx = await gpu();
          const a = randomArray(M * K, 1);
          const b = randomArray(K * N, 2);
          const A = Tensor.fromArray(ctx, a, [M * K]);
          const B = Tensor.fromArray(ctx, b, [K * N]);
          const C = poisoned(ctx, [M, N]);
          gemm(ctx, A.buffer, B.buffer, C.buffer, { M, N, K, transA, transB });
          expectClose(await C.toArray(), gemmRef(a, b, { M, N, K, transA, transB }), {}, 'C');
          [A, B, C].forEach((t) => t.dispose());
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
