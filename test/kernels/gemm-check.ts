/**
 * One GEMM case against the float64 reference, shared by gemm.test.ts and gemm-tiled.test.ts:
 * random A and B (seeds `seed`, `seed + 1`), C poisoned with NaN first. A subgroup variant on
 * an adapter without subgroups of ≥ 8 lanes is checked as the blocked kernel that replaces it
 * there. Tolerances: the defaults (atol 1e-4, rtol 1e-3; K ≤ 129 in these cases).
 */
import { GEMM_VARIANTS, type GemmVariant, gemm, gemmRef, hasSubgroupGemm } from '../../src/kernels/gemm/gemm.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { expectClose, gpu, poisoned, randomArray } from '../helpers.js';

export async function checkGemm(
  variant: GemmVariant,
  o: { M: number; N: number; K: number; transA?: boolean; transB?: boolean },
  seed: number,
): Promise<void> {
  const ctx = await gpu();
  const v = variant.kind === 'subgroup' && !hasSubgroupGemm(ctx) ? GEMM_VARIANTS.blocked4x4 : variant;
  const { M, N, K } = o;
  const a = randomArray(M * K, seed);
  const b = randomArray(K * N, seed + 1);
  const A = Tensor.fromArray(ctx, a, [M * K]);
  const B = Tensor.fromArray(ctx, b, [K * N]);
  const C = poisoned(ctx, [M, N]);
  gemm(ctx, A.buffer, B.buffer, C.buffer, o, v);
  expectClose(await C.toArray(), gemmRef(a, b, o), {}, 'C');
  [A, B, C].forEach((t) => t.dispose());
}
