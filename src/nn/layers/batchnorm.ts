import { batchNorm } from '../../autograd/ops/batchnorm.js';
import { Tensor } from '../../autograd/tensor.js';
import type { GpuContext } from '../../kernels/context.js';
import { type ForwardContext, Layer, type LayerConfig } from './layer.js';

export interface BatchNormOptionsLayer {
  /** Keras convention: moving = momentum·moving + (1 − momentum)·batch. */
  momentum?: number;
  epsilon?: number;
}

/** Keras BatchNormalization over the channel (last) axis: gamma ones, beta zeros, moving stats 0/1. */
export class BatchNorm extends Layer {
  private gamma!: Tensor;
  private beta!: Tensor;
  private movingMean!: Tensor;
  private movingVar!: Tensor;
  constructor(readonly opts: BatchNormOptionsLayer = {}) {
    super();
  }

  outputShape(inShape: number[]): number[] {
    return inShape;
  }

  override build(ctx: GpuContext, inShape: number[]): void {
    const c = inShape[inShape.length - 1]!;
    const make = (suffix: string, value: number, trainable: boolean) =>
      Tensor.fromArray(ctx, new Float32Array(c).fill(value), [c], {
        persistent: true,
        requiresGrad: trainable,
        name: `${this.name}.${suffix}`,
      });
    this.gamma = make('gamma', 1, true);
    this.beta = make('beta', 0, true);
    this.movingMean = make('moving_mean', 0, false);
    this.movingVar = make('moving_variance', 1, false);
    this.parameters = [
      { name: this.gamma.name!, tensor: this.gamma, trainable: true },
      { name: this.beta.name!, tensor: this.beta, trainable: true },
      { name: this.movingMean.name!, tensor: this.movingMean, trainable: false },
      { name: this.movingVar.name!, tensor: this.movingVar, trainable: false },
    ];
    this.built = true;
  }

  /** Moving mean 0, variance 1, as built (before re-estimating them: src/nn/update-bn.ts). */
  resetMovingStatistics(): void {
    this.movingMean.write(new Float32Array(this.movingMean.size));
    this.movingVar.write(new Float32Array(this.movingVar.size).fill(1));
  }

  forward(x: Tensor, fc: ForwardContext): Tensor {
    return batchNorm(x, this.gamma, this.beta, this.movingMean, this.movingVar, {
      training: fc.training,
      momentum: fc.batchNormMomentum ?? this.opts.momentum ?? 0.99,
      epsilon: this.opts.epsilon ?? 1e-3,
      convention: 'keras',
    });
  }

  config(): LayerConfig {
    return { type: 'BatchNorm', name: this.name, ...this.opts };
  }
}
