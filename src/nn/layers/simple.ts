/** Parameter-free layers: MaxPool, AvgPool, GlobalAvgPool, Dropout, Flatten, LRN, ReLU, Sigmoid, Activation. */
import { type ActivationName, activation } from '../../autograd/ops/activation.js';
import { relu, reshape, sigmoid } from '../../autograd/ops/basic.js';
import { activationEntry } from '../../kernels/elementwise/pointwise.js';
import { dropout } from '../../autograd/ops/dropout.js';
import { lrn, type LrnOptions } from '../../autograd/ops/lrn.js';
import { avgPool2d, globalAvgPool2d, maxPool2d, pool2dOutputShape, type Pool2dOptions } from '../../autograd/ops/pool.js';
import type { Tensor } from '../../autograd/tensor.js';
import { mixSeed } from '../random.js';
import { type ForwardContext, Layer, type LayerConfig, shapeFail } from './layer.js';

export class MaxPool extends Layer {
  constructor(readonly opts: Pool2dOptions) {
    super();
  }
  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 3) shapeFail(this.name, inShape, 'expected [height, width, channels]');
    return pool2dOutputShape([1, ...inShape], this.opts).slice(1);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
  config(): LayerConfig {
    return { type: 'MaxPool', name: this.name, ...this.opts };
  }
}

/** Keras AveragePooling2D ('same' divides by the window's cells inside the input, as TensorFlow). */
export class AvgPool extends Layer {
  constructor(readonly opts: Pool2dOptions) {
    super();
  }
  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 3) shapeFail(this.name, inShape, 'expected [height, width, channels]');
    return pool2dOutputShape([1, ...inShape], this.opts, 'avgPool2d').slice(1);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
  config(): LayerConfig {
    return { type: 'AvgPool', name: this.name, ...this.opts };
  }
}

/** Keras GlobalAveragePooling2D: [height, width, channels] → [channels]. */
export class GlobalAvgPool extends Layer {
  outputShape(inShape: number[]): number[] {
    if (inShape.length !== 3) shapeFail(this.name, inShape, 'expected [height, width, channels]');
    return [inShape[2]!];
  }
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
  config(): LayerConfig {
    return { type: 'GlobalAvgPool', name: this.name };
  }
}

export class Dropout extends Layer {
  /** Index of this layer in its model, so two dropout layers draw different masks. */
  index = 0;
  constructor(readonly rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout: rate must be in [0, 1), got ${rate}`);
  }
  outputShape(inShape: number[]): number[] {
    return inShape;
  }
  forward(x: Tensor, fc: ForwardContext): Tensor {
    return dropout(x, { rate: this.rate, seed: mixSeed(fc.stepSeed, this.index), training: fc.training });
  }
  config(): LayerConfig {
    return { type: 'Dropout', name: this.name, rate: this.rate };
  }
}

/** Flattens [H, W, C] to [H·W·C] in NHWC row-major order (channels fastest), as Keras does. */
export class Flatten extends Layer {
  outputShape(inShape: number[]): number[] {
    return [inShape.reduce((a, b) => a * b, 1)];
  }
  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, x.size / x.shape[0]!]);
  }
  config(): LayerConfig {
    return { type: 'Flatten', name: this.name };
  }
}

export class LRN extends Layer {
  constructor(readonly opts: LrnOptions = {}) {
    super();
  }
  outputShape(inShape: number[]): number[] {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    return lrn(x, this.opts);
  }
  config(): LayerConfig {
    return { type: 'LRN', name: this.name, ...this.opts };
  }
}

export class ReLU extends Layer {
  outputShape(inShape: number[]): number[] {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
  config(): LayerConfig {
    return { type: 'ReLU', name: this.name };
  }
}

export class Sigmoid extends Layer {
  outputShape(inShape: number[]): number[] {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
  config(): LayerConfig {
    return { type: 'Sigmoid', name: this.name };
  }
}

/** Keras's Activation layer: any activation of the pointwise table ('gelu', 'silu', 'leaky_relu', …). */
export class Activation extends Layer {
  constructor(readonly activation: ActivationName) {
    super();
    activationEntry(activation);
  }
  outputShape(inShape: number[]): number[] {
    return inShape;
  }
  forward(x: Tensor): Tensor {
    return activation(x, this.activation);
  }
  config(): LayerConfig {
    return { type: 'Activation', name: this.name, activation: this.activation };
  }
}
