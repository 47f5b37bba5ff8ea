/**
 * Sequential container: layers applied in order to NHWC batches. The model returns logits;
 * the output activation (sigmoid for one unit, softmax for N classes) is applied by the
 * loss (from logits, numerically stable) and by `probabilities()` at prediction time.
 */
import type { Tensor } from '../autograd/tensor.js';
import type { GpuContext } from '../kernels/context.js';
import { Layer, type ForwardContext, type LayerConfig, type Parameter } from './layers/layer.js';
import { Dropout } from './layers/simple.js';
import { mulberry32 } from './random.js';

export type OutputActivation = 'sigmoid' | 'softmax';

export interface ModelConfig {
  name: string;
  inputShape: number[];
  outputActivation: OutputActivation;
  layers: LayerConfig[];
  /** The variant and options that built it (for `buildModel` on load). */
  variant?: Record<string, unknown>;
}

export class Sequential {
  readonly layers: Layer[] = [];
  private shapes: number[][] = [];
  private isBuilt = false;

  constructor(
    readonly name: string,
    readonly inputShape: number[],
    readonly outputActivation: OutputActivation,
    public variant: Record<string, unknown> = {},
  ) {}

  add(layer: Layer, name?: string): this {
    const counts = this.layers.filter((l) => l.constructor === layer.constructor).length;
    layer.name = name ?? `${layer.constructor.name.toLowerCase()}${counts + 1}`;
    if (layer instanceof Dropout) layer.index = this.layers.length;
    this.layers.push(layer);
    return this;
  }

  /** Output shape of every layer; throws naming the first layer that cannot take its input. */
  computeShapes(): number[][] {
    const shapes: number[][] = [];
    let s = this.inputShape;
    for (const l of this.layers) {
      s = l.outputShape(s);
      shapes.push(s);
    }
    return shapes;
  }

  /** Creates every parameter, with Keras's initialisers drawn from `seed`. */
  build(ctx: GpuContext, seed: number): this {
    const rand = mulberry32(seed);
    let s = this.inputShape;
    this.shapes = [];
    for (const l of this.layers) {
      l.build(ctx, s, rand);
      s = l.outputShape(s);
      this.shapes.push(s);
    }
    this.isBuilt = true;
    return this;
  }

  get built(): boolean {
    return this.isBuilt;
  }

  get outputShape(): number[] {
    return this.computeShapes().at(-1)!;
  }

  forward(x: Tensor, fc: ForwardContext): Tensor {
    if (!this.isBuilt) throw new Error(`model ${this.name} is not built`);
    const want = this.inputShape;
    const got = x.shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new Error(`model ${this.name} expects input [batch, ${want.join(', ')}], got [${x.shape.join(', ')}]`);
    }
    let h = x;
    for (const l of this.layers) h = l.forward(h, fc);
    return h;
  }

  params(): Parameter[] {
    return this.layers.flatMap((l) => l.params());
  }

  trainableParams(): Parameter[] {
    return this.params().filter((p) => p.trainable);
  }

  paramCount(): { total: number; trainable: number } {
    const ps = this.params();
    const total = ps.reduce((s, p) => s + p.tensor.size, 0);
    // Keras counts batch-norm moving statistics as non-trainable parameters.
    const trainable = ps.filter((p) => p.trainable).reduce((s, p) => s + p.tensor.size, 0);
    return { total, trainable };
  }

  /** A table like Keras's model.summary(). */
  summary(): string {
    const shapes = this.computeShapes();
    const rows: string[][] = [['Layer (type)', 'Output Shape', 'Param #']];
    this.layers.forEach((l, i) => {
      const n = this.isBuilt ? l.paramCount() : 0;
      rows.push([`${l.name} (${l.config().type})`, `(None, ${shapes[i]!.join(', ')})`, n.toLocaleString('en-US')]);
    });
    const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)) + 3);
    const line = (ch: string) => ch.repeat(w[0]! + w[1]! + w[2]!);
    const fmt = (r: string[]) => r[0]!.padEnd(w[0]!) + r[1]!.padEnd(w[1]!) + r[2]!;
    const out = [`Model: "${this.name}"`, line('_'), fmt(rows[0]!), line('=')];
    rows.slice(1).forEach((r, i) => {
      out.push(fmt(r));
      out.push(i === rows.length - 2 ? line('=') : line('_'));
    });
    const { total, trainable } = this.paramCount();
    out.push(`Total params: ${total.toLocaleString('en-US')}`);
    out.push(`Trainable params: ${trainable.toLocaleString('en-US')}`);
    out.push(`Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`);
    out.push(line('_'));
    return out.join('\n');
  }

  config(): ModelConfig {
    return {
      name: this.name,
      inputShape: this.inputShape,
      outputActivation: this.outputActivation,
      layers: this.layers.map((l) => l.config()),
      variant: this.variant,
    };
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

/** Converts logits read back from the GPU into class probabilities (per row). */
export function probabilities(logits: Float32Array, rows: number, activation: OutputActivation): Float64Array[] {
  const cols = logits.length / rows;
  const out: Float64Array[] = [];
  for (let r = 0; r < rows; r++) {
    const z = logits.subarray(r * cols, (r + 1) * cols);
    if (activation === 'sigmoid') {
      const p = 1 / (1 + Math.exp(-z[0]!));
      out.push(Float64Array.from([1 - p, p]));
    } else {
      const m = Math.max(...z);
      const e = Array.from(z, (v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      out.push(Float64Array.from(e, (v) => v / s));
    }
  }
  return out;
}
