/**
 * Tensor: a shape over GPU storage (float32, row-major, NHWC for images).
 *
 * Storage is pooled and reference-counted so that reshape/flatten are free views. Memory is
 * released deterministically: tensors created inside `tidy()` go back to the pool when it
 * ends (unless kept or returned); `persistent` tensors (parameters, optimizer state, running
 * statistics) live until disposed explicitly.
 */
import type { GpuContext } from '../kernels/context.js';
import { track } from './scope.js';
import type { TapeNode } from './tape.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join('×')}]`;
}

class Storage {
  refs = 1;
  constructor(
    readonly ctx: GpuContext,
    readonly buffer: GPUBuffer,
    readonly byteLength: number,
  ) {}
  release(): void {
    if (--this.refs === 0) this.ctx.pool.release(this.buffer);
    if (this.refs < 0) throw new Error('tensor storage released twice');
  }
}

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly shape: number[];
  readonly size: number;
  requiresGrad = false;
  /** Gradient of a leaf (parameter) after backward(); persistent, reused every step. */
  grad: Tensor | null = null;
  /** Set by the tape on op outputs. */
  node: TapeNode | null = null;
  name: string | undefined;
  private storage: Storage | null;

  private constructor(
    readonly ctx: GpuContext,
    shape: Shape,
    storage: Storage,
    readonly persistent: boolean,
  ) {
    this.shape = [...shape];
    this.size = sizeOf(shape);
    this.storage = storage;
    if (!persistent) track(this);
  }

  /** An uninitialised tensor (its content is whatever the pooled buffer held). */
  static empty(ctx: GpuContext, shape: Shape, opts: { persistent?: boolean; name?: string } = {}): Tensor {
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const buffer = ctx.newStorage(bytes, opts.name);
    const t = new Tensor(ctx, shape, new Storage(ctx, buffer, bytes), opts.persistent ?? false);
    t.name = opts.name;
    return t;
  }

  static fromArray(
    ctx: GpuContext,
    data: ArrayLike<number>,
    shape: Shape,
    opts: { persistent?: boolean; requiresGrad?: boolean; name?: string } = {},
  ): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new Error(`Tensor.fromArray: ${data.length} values do not fill shape ${shapeStr(shape)} (${n})`);
    }
    const t = Tensor.empty(ctx, shape, opts);
    t.requiresGrad = opts.requiresGrad ?? false;
    t.write(data instanceof Float32Array ? data : Float32Array.from(data));
    return t;
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`tensor ${this.name ?? this.id} ${shapeStr(this.shape)} used after dispose`);
    return this.storage.buffer;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Overwrites the content from the host. */
  write(data: Float32Array): void {
    if (data.length !== this.size) {
      throw new Error(`Tensor.write: ${data.length} values for shape ${shapeStr(this.shape)}`);
    }
    this.ctx.upload(this.buffer, data);
  }

  /** A view with another shape over the same storage (no copy). Not differentiable by itself; see ops.reshape. */
  view(shape: Shape): Tensor {
    if (!this.storage) throw new Error(`tensor ${this.name ?? this.id} ${shapeStr(this.shape)} used after dispose`);
    const resolved = resolveShape(shape, this.size);
    if (sizeOf(resolved) !== this.size) {
      throw new Error(`cannot view ${shapeStr(this.shape)} as ${shapeStr(shape)}`);
    }
    this.storage!.refs++;
    const t = new Tensor(this.ctx, resolved, this.storage!, false);
    return t;
  }

  /** Reads the values back. */
  async toArray(into?: Float32Array): Promise<Float32Array> {
    return this.ctx.read(this.buffer, this.size * 4, into, 0);
  }

  dispose(): void {
    if (!this.storage) return;
    this.storage.release();
    this.storage = null;
  }
}

export function resolveShape(shape: Shape, size: number): number[] {
  const out = [...shape];
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const rest = out.reduce((p, d, i) => (i === inferred ? p : p * d), 1);
    out[inferred] = rest === 0 ? 0 : size / rest;
  }
  return out;
}
