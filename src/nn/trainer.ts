/**
 * One training or evaluation step of a Sequential model on the GPU. Everything a step
 * allocates lives in one tidy() scope and goes back to the pool at its end; the only
 * readback is the step's two metrics (loss and correct count), packed into one buffer.
 */
import { add } from '../autograd/ops/basic.js';
import {
  binaryAccuracy,
  binaryCrossEntropyWithLogits,
  categoricalAccuracy,
  l2Penalty,
  softmaxCrossEntropy,
} from '../autograd/ops/loss.js';
import { noGrad, backward, releaseGrads } from '../autograd/tape.js';
import { tidy } from '../autograd/scope.js';
import { StepWaitPolicy } from './step-wait.js';
import { Tensor } from '../autograd/tensor.js';
import type { GpuContext } from '../kernels/context.js';
import type { Optimizer } from './optim.js';
import type { Sequential } from './sequential.js';

export interface StepResult {
  /** Mean loss of the batch, including the L2 penalty (as Keras reports it). */
  loss: number;
  /** Correctly classified samples in the batch. */
  correct: number;
  batchSize: number;
}

export class Trainer {
  /** [loss, correct] of the last step, read back in one copy. */
  private metrics: Tensor;
  private metricsHost = new Float32Array(2);
  readonly units: number;

  constructor(
    readonly ctx: GpuContext,
    readonly model: Sequential,
    public optimizer: Optimizer | null,
  ) {
    this.metrics = Tensor.empty(ctx, [2], { persistent: true, name: 'metrics' });
    this.units = model.outputShape[0]!;
    // Optimizer state up front, so every training step allocates the same way and the pool
    // is in its steady state after the first one.
    optimizer?.initState(model.trainableParams().map((p) => p.tensor));
  }

  /** Labels as the loss wants them: [B, 1] for sigmoid, one-hot [B, C] for softmax. */
  labelsShape(batch: number): number[] {
    return [batch, this.units];
  }

  private lossOf(logits: Tensor, labels: Tensor): Tensor {
    let loss =
      this.model.outputActivation === 'sigmoid'
        ? binaryCrossEntropyWithLogits(logits, labels)
        : softmaxCrossEntropy(logits, labels);
    // Keras adds each regulariser's λ·Σw² to the loss it optimises and reports.
    const byLambda = new Map<number, Tensor[]>();
    for (const p of this.model.trainableParams()) {
      if (p.l2) byLambda.set(p.l2, [...(byLambda.get(p.l2) ?? []), p.tensor]);
    }
    for (const [lambda, ws] of byLambda) loss = add(loss, l2Penalty(ws, lambda));
    return loss;
  }

  private correctOf(logits: Tensor, labels: Tensor): Tensor {
    return this.model.outputActivation === 'sigmoid'
      ? binaryAccuracy(logits, labels, { fromLogits: true })
      : categoricalAccuracy(logits, labels);
  }

  private pack(loss: Tensor, correct: Tensor): void {
    this.ctx.copy(loss.buffer, this.metrics.buffer, 4, 0, 0);
    this.ctx.copy(correct.buffer, this.metrics.buffer, 4, 0, 4);
  }

  /** How the host waits for each step's GPU work (sleep first, see step-wait.ts). */
  readonly wait = new StepWaitPolicy();

  private async readMetrics(kind: string, batchSize: number, started: number, pipelinesBefore: number): Promise<StepResult> {
    const recordMs = performance.now() - started;
    const idleMs = this.wait.idleMs(kind, recordMs);
    if (idleMs > 1) {
      this.ctx.flush(); // the step runs on the GPU while the host sleeps
      await new Promise((r) => setTimeout(r, idleMs));
    }
    await this.ctx.hostWait(() => this.metrics.toArray(this.metricsHost));
    const elapsedMs = performance.now() - started;
    this.wait.record(kind, { elapsedMs, recordMs, idleMs, compiled: this.ctx.stats.pipelinesCreated !== pipelinesBefore });
    return { loss: this.metricsHost[0]!, correct: this.metricsHost[1]!, batchSize };
  }

  private inputs(x: Float32Array, y: Float32Array, batchSize: number): [Tensor, Tensor] {
    const [h, w, c] = this.model.inputShape as [number, number, number];
    if (x.length !== batchSize * h * w * c) {
      throw new Error(`batch of ${batchSize} images does not hold ${h}×${w}×${c} pixels each (${x.length} values)`);
    }
    if (y.length !== batchSize * this.units) {
      throw new Error(`labels: expected ${batchSize}×${this.units} values, got ${y.length}`);
    }
    return [Tensor.fromArray(this.ctx, x, [batchSize, h, w, c]), Tensor.fromArray(this.ctx, y, this.labelsShape(batchSize))];
  }

  /** Forward, backward and optimizer update on one batch. */
  async trainStep(x: Float32Array, y: Float32Array, batchSize: number, stepSeed: number): Promise<StepResult> {
    const opt = this.optimizer;
    if (!opt) throw new Error('trainStep: no optimizer');
    const started = performance.now();
    const pipelines = this.ctx.stats.pipelinesCreated;
    tidy(() => {
      const [X, Y] = this.inputs(x, y, batchSize);
      const logits = this.model.forward(X, { training: true, stepSeed });
      const loss = this.lossOf(logits, Y);
      backward(loss);
      noGrad(() => {
        const params = this.model.trainableParams().map((p) => p.tensor);
        opt.step(params);
        releaseGrads(params);
        this.pack(loss, this.correctOf(logits, Y));
      });
    });
    return this.readMetrics('train', batchSize, started, pipelines);
  }

  /** Loss and correct count in inference mode (no dropout, moving statistics). */
  async evalStep(x: Float32Array, y: Float32Array, batchSize: number): Promise<StepResult> {
    const started = performance.now();
    const pipelines = this.ctx.stats.pipelinesCreated;
    noGrad(() =>
      tidy(() => {
        const [X, Y] = this.inputs(x, y, batchSize);
        const logits = this.model.forward(X, { training: false, stepSeed: 0 });
        this.pack(this.lossOf(logits, Y), this.correctOf(logits, Y));
      }),
    );
    return this.readMetrics('eval', batchSize, started, pipelines);
  }

  /**
   * A forward pass in training mode whose only lasting effect is on batch norm's moving
   * statistics, updated with this momentum (Keras convention); no gradient, no optimizer step.
   */
  async batchNormStatisticsStep(x: Float32Array, batchSize: number, momentum: number): Promise<void> {
    const [h, w, c] = this.model.inputShape as [number, number, number];
    noGrad(() =>
      tidy(() => {
        const X = Tensor.fromArray(this.ctx, x, [batchSize, h, w, c]);
        this.model.forward(X, { training: true, stepSeed: 1, batchNormMomentum: momentum });
      }),
    );
    await this.ctx.hostWait(() => this.ctx.sync());
  }

  /** Logits of a batch in inference mode, read back to the host. */
  async logits(x: Float32Array, batchSize: number): Promise<Float32Array> {
    const [h, w, c] = this.model.inputShape as [number, number, number];
    let out: Tensor | null = null;
    noGrad(() =>
      tidy(() => {
        const X = Tensor.fromArray(this.ctx, x, [batchSize, h, w, c]);
        out = this.model.forward(X, { training: false, stepSeed: 0 });
        return out;
      }),
    );
    const t = out as unknown as Tensor;
    const host = await this.ctx.hostWait(() => t.toArray());
    t.dispose();
    return host;
  }

  dispose(): void {
    this.metrics.dispose();
  }
}

