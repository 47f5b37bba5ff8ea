import { conv2d, conv2dOutputShape, type Padding } from '../../autograd/ops/conv2d.js';
import { Tensor } from '../../autograd/tensor.js';
import type { GpuContext } from '../../kernels/context.js';
import { type ActivationOption, activationEntry } from '../../kernels/elementwise/pointwise.js';
import { glorotUniform } from '../random.js';
import { type ForwardContext, Layer, type LayerConfig, shapeFail } from './layer.js';

export interface Conv2DOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** A pointwise-table activation fused into the epilogue (see src/autograd/ops/matmul.ts), or 'linear'. */
  activation?: ActivationOption;
  groups?: number;
  useBias?: boolean;
  /** Keras kernel_regularizer=l2(λ). */
  l2?: number;
}

/** Keras Conv2D: kernel [KH, KW, Cin/groups, filters] (Glorot uniform), bias zeros, fused activation. */
export class Conv2D extends Layer {
  private kernel!: Tensor;
  private bias: Tensor | null = null;
  constructor(readonly opts: Conv2DOptions) {
    super();
    if (opts.activation !== undefined && opts.activation !== 'linear') activationEntry(opts.activation);
  }

  private get k(): [number, number] {
    const k = this.opts.kernelSize;
    return typeof k === 'number' ? [k, k] : k;
  }

  private wShape(cin: number): number[] {
    return [...this.k, cin / (this.opts.groups ?? 1), this.opts.filters];
  }

  private convOpts() {
    return { stride: this.opts.strides ?? 1, padding: this.opts.padding ?? 'valid', groups: this.opts.groups ?? 1 };
  }

  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 3) shapeFail(this.name, inShape, 'expected [height, width, channels]');
    const out = conv2dOutputShape([1, ...inShape], this.wShape(inShape[2]!), this.convOpts());
    return out.slice(1);
  }

  override build(ctx: GpuContext, inShape: number[], rand: () => number): void {
    this.outputShape(inShape);
    const ws = this.wShape(inShape[2]!);
    const [kh, kw, cinG, cout] = ws as [number, number, number, number];
    const w = glorotUniform(kh * kw * cinG * cout, kh * kw * cinG, kh * kw * cout, rand);
    this.kernel = Tensor.fromArray(ctx, w, ws, { persistent: true, requiresGrad: true, name: `${this.name}.kernel` });
    this.parameters = [{ name: `${this.name}.kernel`, tensor: this.kernel, trainable: true, l2: this.opts.l2 }];
    if (this.opts.useBias ?? true) {
      this.bias = Tensor.fromArray(ctx, new Float32Array(cout), [cout], { persistent: true, requiresGrad: true, name: `${this.name}.bias` });
      this.parameters.push({ name: `${this.name}.bias`, tensor: this.bias, trainable: true });
    }
    this.built = true;
  }

  forward(x: Tensor, _fc: ForwardContext): Tensor {
    return conv2d(x, this.kernel, this.bias, { ...this.convOpts(), activation: this.opts.activation ?? 'linear' });
  }

  config(): LayerConfig {
    return { type: 'Conv2D', name: this.name, ...this.opts };
  }
}
