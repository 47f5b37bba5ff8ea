/**
 * Whole-network gradient check: for every trainable tensor of small tutorial and paper
 * AlexNets, the tape's gradient at the element with the largest |gradient| against a central
 * finite difference of the float32 GPU loss. Catches a wrong backward rule anywhere in the
 * chain that the per-kernel tests could miss (layout mismatches between ops, a flatten in the
 * wrong order, a fused ReLU masking the wrong tensor).
 *
 * Tolerance: float32 losses differenced with a step of 1% of the weight carry an absolute
 * error around 6e-8·0.7/1e-4 ≈ 4e-4 in the quotient (step 1e-3 of the weight), so 10% relative
 * plus 2e-3 absolute; a wrong rule is off by far more (sign, factor, or unrelated value).
 */
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyWithLogits, softmaxCrossEntropy } from '../../src/autograd/ops/loss.js';
import { tidy } from '../../src/autograd/scope.js';
import { backward, noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/autograd/tensor.js';
import { buildModel, type ModelVariant } from '../../src/nn/models.js';
import { gpu, randomArray } from '../helpers.js';

describe('whole-network gradients against finite differences', () => {
  for (const variant of ['tutorial', 'paper'] as ModelVariant[]) {
    it(`${variant}`, async () => {
      const ctx = await gpu();
      const size = 67;
      const B = 4;
      const model = buildModel({ variant, imageSize: size, width: variant === 'paper' ? 0.0625 : 0.25, classes: variant === 'paper' ? 3 : 2, dropout: 0 }).build(ctx, 3);
      const units = model.outputShape[0]!;
      const X = Tensor.fromArray(ctx, randomArray(B * size * size * 3, 5, 0, 1), [B, size, size, 3], { persistent: true });
      const labels = new Float32Array(B * units);
      for (let b = 0; b < B; b++) labels[units === 1 ? b : b * units + (b % units)] = units === 1 ? b % 2 : 1;
      const Y = Tensor.fromArray(ctx, labels, [B, units], { persistent: true });
      const lossFn = (logits: Tensor) => (units === 1 ? binaryCrossEntropyWithLogits(logits, Y) : softmaxCrossEntropy(logits, Y));
      const loss = async (grad: boolean): Promise<number> => {
        const run = () =>
          tidy(() => {
            const l = lossFn(model.forward(X, { training: true, stepSeed: 1 }));
            if (grad) backward(l);
            return l;
          });
        const t = grad ? run() : noGrad(run);
        const v = (await t.toArray())[0]!;
        t.dispose();
        return v;
      };
      await loss(true);
      for (const p of model.trainableParams()) {
        const g = await p.tensor.grad!.toArray();
        const w = await p.tensor.toArray();
        let k = 0;
        for (let i = 0; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[k]!)) k = i;
        // A small step: a larger one moves ReLU units across their kink (seen with 1e-2).
        const h = 1e-3 * Math.max(0.05, Math.abs(w[k]!));
        const w2 = w.slice();
        w2[k] = w[k]! + h;
        p.tensor.write(w2);
        const lp = await loss(false);
        w2[k] = w[k]! - h;
        p.tensor.write(w2);
        const lm = await loss(false);
        p.tensor.write(w);
        const numeric = (lp - lm) / (2 * h);
        expect(Math.abs(g[k]! - numeric), `${p.name}[${k}]: tape ${g[k]} vs numeric ${numeric}`).toBeLessThanOrEqual(
          2e-3 + 0.1 * Math.max(Math.abs(numeric), Math.abs(g[k]!)),
        );
      }
      X.dispose();
      Y.dispose();
      model.dispose();
    });
  }
});
