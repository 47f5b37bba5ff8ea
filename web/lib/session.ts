/**
 * What the page does with the engine, without any DOM: holds the GPU context and the loaded
 * model, classifies one photo at a time (as `npm run predict` does: batch of its views, mean
 * of their probabilities) and fine-tunes on labelled photos with Adam and the model's own loss
 * through the engine's Trainer.
 */
import type { ModelManifest } from '../../src/nn/manifest.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { Adam } from '../../src/nn/optim.js';
import { probabilities, type Sequential } from '../../src/nn/sequential.js';
import { Trainer } from '../../src/nn/trainer.js';
import type { RgbImage } from '../../src/data/image.js';
import { modelFromBytes, modelToBytes } from './model.js';
import { photoInputs } from './images.js';

export interface Prediction {
  classIndex: number;
  className: string;
  probability: number;
  /** Mean probability of each class over the views. */
  probabilities: number[];
  /** Logits of each view (rows × units). */
  logits: number[];
  /** Wall time of the forward pass: upload, dispatches and read-back of the logits. */
  ms: number;
}

export interface FineTuneOptions {
  steps: number;
  lr: number;
  /** Photos per step at most; more photos are cycled through in batches of this size. */
  batchSize?: number;
  onStep?: (step: number, loss: number) => void;
}

export class Session {
  private model: Sequential | null = null;
  private manifestValue: ModelManifest | null = null;
  private trainer: Trainer | null = null;
  private optimizer: Adam | null = null;
  /** Fine-tuning steps taken since the model was loaded. */
  steps = 0;

  constructor(readonly ctx: GpuContext) {}

  get adapter(): string {
    return this.ctx.info.adapter;
  }

  get manifest(): ModelManifest | null {
    return this.manifestValue;
  }

  get classNames(): string[] {
    return this.manifestValue?.classNames ?? [];
  }

  loadModel(manifestText: string, weights: Uint8Array, where: string): ModelManifest {
    const loaded = modelFromBytes(this.ctx, manifestText, weights, where);
    this.unload();
    this.model = loaded.model;
    this.manifestValue = loaded.manifest;
    this.trainer = new Trainer(this.ctx, loaded.model, null);
    this.steps = 0;
    return loaded.manifest;
  }

  unload(): void {
    this.trainer?.dispose();
    this.optimizer?.dispose();
    this.model?.dispose();
    this.trainer = null;
    this.optimizer = null;
    this.model = null;
    this.manifestValue = null;
  }

  private need(): { model: Sequential; manifest: ModelManifest; trainer: Trainer } {
    if (!this.model || !this.manifestValue || !this.trainer) throw new Error('no model loaded');
    return { model: this.model, manifest: this.manifestValue, trainer: this.trainer };
  }

  async classify(img: RgbImage, tenCrop = false): Promise<Prediction> {
    const { model, manifest, trainer } = this.need();
    const views = photoInputs(img, manifest.preprocessing, tenCrop);
    const x = new Float32Array(views.length * views[0]!.length);
    views.forEach((v, i) => x.set(v, i * v.length));
    const t0 = performance.now();
    const logits = await trainer.logits(x, views.length);
    const ms = performance.now() - t0;
    const probs = probabilities(logits, views.length, model.outputActivation);
    const names = manifest.classNames;
    const avg = new Array<number>(names.length).fill(0);
    for (const p of probs) for (let c = 0; c < names.length; c++) avg[c]! += p[c]! / probs.length;
    let best = 0;
    for (let c = 1; c < names.length; c++) if (avg[c]! > avg[best]!) best = c;
    return { classIndex: best, className: names[best]!, probability: avg[best]!, probabilities: avg, logits: Array.from(logits), ms };
  }

  /** Labels in the layout the loss wants: [B, 1] class index (sigmoid) or one-hot [B, C]. */
  private labelRows(labels: number[]): Float32Array {
    const { trainer, manifest } = this.need();
    const units = trainer.units;
    const y = new Float32Array(labels.length * units);
    labels.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c >= manifest.classNames.length) throw new Error(`label ${c} is not a class of this model`);
      if (units === 1) y[i] = c;
      else y[i * units + c] = 1;
    });
    return y;
  }

  /**
   * Runs `steps` training steps (dropout on, batch-norm batch statistics, as in training) on
   * the photos with their labels. The Adam state lives on across calls until another model is
   * loaded. Returns the loss of each step (the loss of the batch before that step's update).
   */
  async fineTune(images: RgbImage[], labels: number[], o: FineTuneOptions): Promise<number[]> {
    const { manifest, trainer } = this.need();
    if (images.length === 0) throw new Error('fine-tuning needs at least one labelled photo');
    if (images.length !== labels.length) throw new Error('one label per photo');
    if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new Error(`steps must be a whole number ≥ 1, got ${o.steps}`);
    if (!(Number.isFinite(o.lr) && o.lr > 0)) throw new Error(`learning rate must be a number > 0, got ${o.lr}`);
    // One view per photo, preprocessed exactly as for prediction (no augmentation).
    const xs = images.map((img) => photoInputs(img, manifest.preprocessing, false)[0]!);
    const ys = this.labelRows(labels);
    const per = xs[0]!.length;
    const units = trainer.units;
    if (!this.optimizer) {
      this.optimizer = new Adam({ lr: o.lr, convention: 'keras' });
      trainer.optimizer = this.optimizer;
    }
    this.optimizer.lr = o.lr;
    const bs = Math.max(1, Math.min(o.batchSize ?? 16, xs.length));
    const losses: number[] = [];
    for (let s = 0; s < o.steps; s++) {
      const idx = Array.from({ length: bs }, (_, k) => (s * bs + k) % xs.length);
      const x = new Float32Array(bs * per);
      const y = new Float32Array(bs * units);
      idx.forEach((i, k) => {
        x.set(xs[i]!, k * per);
        y.set(ys.subarray(i * units, (i + 1) * units), k * units);
      });
      this.steps++;
      const r = await trainer.trainStep(x, y, bs, 0x5eed + this.steps);
      losses.push(r.loss);
      o.onStep?.(s + 1, r.loss);
    }
    return losses;
  }

  /** model.json and model.safetensors of the current (fine-tuned) weights. */
  async export(): Promise<{ json: string; weights: Uint8Array }> {
    const { model, manifest } = this.need();
    const step = manifest.step + this.steps;
    return modelToBytes(model, manifest, step, {
      ...(manifest.training ?? {}),
      fineTunedInBrowser: { steps: this.steps, fromStep: manifest.step, optimizer: this.optimizer?.config() ?? null },
    });
  }
}
