import { dense } from '../../autograd/ops/matmul.js';
import { Tensor } from '../../autograd/tensor.js';
import type { GpuContext } from '../../kernels/context.js';
import { type ActivationOption, activationEntry } from '../../kernels/elementwise/pointwise.js';
import { glorotUniform } from '../random.js';
import { type ForwardContext, Layer, type LayerConfig, shapeFail } from './layer.js';

export interface DenseOptions {
  units: number;
  /** A pointwise-table activation fused into the epilogue (see src/autograd/ops/matmul.ts), or 'linear'. */
  activation?: ActivationOption;
  useBias?: boolean;
  l2?: number;
}

/** Keras Dense: kernel [in, units] (Glorot uniform), bias zeros, fused activation epilogue. */
export class Dense extends Layer {
  private kernel!: Tensor;
  private bias: Tensor | null = null;
  constructor(readonly opts: DenseOptions) {
    super();
    if (opts.activation !== undefined && opts.activation !== 'linear') activationEntry(opts.activation);
  }

  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 1) shapeFail(this.name, inShape, 'expected [features]; add a Flatten layer before Dense');
    return [this.opts.units];
  }

  override build(ctx: GpuContext, inShape: number[], rand: () => number): void {
    this.outputShape(inShape);
    const fanIn = inShape[0]!;
    const units = this.opts.units;
    this.kernel = Tensor.fromArray(ctx, glorotUniform(fanIn * units, fanIn, units, rand), [fanIn, units], {
      persistent: true,
      requiresGrad: true,
      name: `${this.name}.kernel`,
    });
    this.parameters = [{ name: `${this.name}.kernel`, tensor: this.kernel, trainable: true, l2: this.opts.l2 }];
    if (this.opts.useBias ?? true) {
      this.bias = Tensor.fromArray(ctx, new Float32Array(units), [units], { persistent: true, requiresGrad: true, name: `${this.name}.bias` });
      this.parameters.push({ name: `${this.name}.bias`, tensor: this.bias, trainable: true });
    }
    this.built = true;
  }

  forward(x: Tensor, _fc: ForwardContext): Tensor {
    return dense(x, this.kernel, this.bias, { activation: this.opts.activation ?? 'linear' });
  }

  config(): LayerConfig {
    return { type: 'Dense', name: this.name, ...this.opts };
  }
}
