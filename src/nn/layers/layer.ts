/**
 * Layer: a module with named parameters, built lazily from its input shape (Keras style).
 * Shapes here exclude the batch axis: images are [H, W, C], vectors [features].
 */
import type { Tensor } from '../../autograd/tensor.js';
import type { GpuContext } from '../../kernels/context.js';

export interface Parameter {
  /** Stable name used in checkpoints, e.g. "conv1.kernel". */
  name: string;
  tensor: Tensor;
  /** Updated by the optimizer (false for batch-norm moving statistics). */
  trainable: boolean;
  /** Keras l2(λ) kernel regulariser strength, if any. */
  l2?: number;
}

export interface ForwardContext {
  training: boolean;
  /** Seed of this step (dropout masks derive from it and the layer's index). */
  stepSeed: number;
  /**
   * Overrides every batch-norm layer's momentum for this pass (training mode only): updating
   * the moving statistics with momentum k/(k+1) on the k-th batch makes them the plain average
   * of the batches' statistics (src/nn/update-bn.ts).
   */
  batchNormMomentum?: number;
}

export interface LayerConfig {
  type: string;
  name: string;
  [key: string]: unknown;
}

export abstract class Layer {
  name = '';
  protected built = false;
  protected parameters: Parameter[] = [];

  abstract outputShape(inShape: number[]): number[];
  abstract forward(x: Tensor, fc: ForwardContext): Tensor;
  abstract config(): LayerConfig;

  /** Creates the parameters for this input shape (no-op for parameter-free layers). */
  build(_ctx: GpuContext, _inShape: number[], _rand: () => number): void {
    this.built = true;
  }

  params(): Parameter[] {
    return this.parameters;
  }

  /** Number of parameter values (trainable or not). */
  paramCount(): number {
    return this.parameters.reduce((s, p) => s + p.tensor.size, 0);
  }

  dispose(): void {
    for (const p of this.parameters) {
      p.tensor.grad?.dispose();
      p.tensor.dispose();
    }
    this.parameters = [];
  }
}

export function shapeFail(layer: string, inShape: number[], want: string): never {
  throw new Error(`${layer}: input shape [${inShape.join(', ')}] is not valid (${want})`);
}
