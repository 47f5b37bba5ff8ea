/**
 * Optimizers: Adam (Keras or PyTorch convention) and SGD with momentum (PyTorch). Each step
 * is one fused kernel dispatch per parameter tensor; hyper-parameters are uniforms, so
 * changing `lr` between steps (schedules, ReduceLROnPlateau) compiles nothing.
 *
 * State (moments, momentum buffers) is persistent GPU tensors created lazily — zero-filled on
 * the GPU — the first time a parameter is stepped, or eagerly by initState() so that a checkpoint
 * can be restored into stateTensors() before the first step.
 */
import { unary } from '../kernels/elementwise/elementwise.js';
import { adamScalars, adamUpdate, sgdUpdate } from '../kernels/optim/optim.js';
import { Tensor, shapeStr } from '../autograd/tensor.js';

export interface Optimizer {
  /** Learning rate, read at every step. */
  lr: number;
  /** Updates every parameter from its `grad` (params whose grad is null are skipped). */
  step(params: Tensor[]): void;
  /** Persistent state by name, "<param.name>.<slot>" (e.g. "dense1.kernel.m"), for checkpoints. */
  stateTensors(): Record<string, Tensor>;
  /** Steps taken (Keras's `iterations`; Adam's bias correction uses it). */
  readonly iterations: number;
  setIterations(n: number): void;
  /** Creates (zero-filled) the state of these params now, e.g. before restoring a checkpoint. */
  initState(params: Tensor[]): void;
  config(): OptimizerConfig;
  /** Releases the state tensors. */
  dispose(): void;
}

export type OptimizerConfig =
  | { name: 'Adam'; lr: number; beta1: number; beta2: number; epsilon: number; convention: 'keras' | 'pytorch'; weightDecay: number }
  | { name: 'SGD'; lr: number; momentum: number; weightDecay: number; nesterov: boolean };

function checkRate(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v) || v < lo || v > hi) throw new Error(`${what} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

abstract class BaseOptimizer {
  private _lr = 0;
  protected t = 0;
  private state = new Map<Tensor, Record<string, Tensor>>();

  get lr(): number {
    return this._lr;
  }
  set lr(v: number) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`learning rate must be a finite number ≥ 0, got ${v}`);
    this._lr = v;
  }

  get iterations(): number {
    return this.t;
  }

  setIterations(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`iterations must be an integer ≥ 0, got ${n}`);
    this.t = n;
  }

  /** Names of the per-parameter state slots ("m", "v", "momentum"), possibly none. */
  protected abstract slotNames(): string[];
  protected abstract update(p: Tensor, grad: Tensor, slots: Record<string, Tensor>): void;

  private slotsOf(p: Tensor): Record<string, Tensor> {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      for (const slot of this.slotNames()) {
        const t = Tensor.empty(p.ctx, p.shape, { persistent: true, name: `${p.name ?? `param${p.id}`}.${slot}` });
        unary(p.ctx, 'fill', t.buffer, t.buffer, t.size, 0);
        s[slot] = t;
      }
      this.state.set(p, s);
    }
    return s;
  }

  initState(params: Tensor[]): void {
    for (const p of params) this.slotsOf(p);
  }

  step(params: Tensor[]): void {
    this.t++;
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      if (g.size !== p.size) {
        throw new Error(`optimizer: gradient ${shapeStr(g.shape)} does not match parameter ${p.name ?? p.id} ${shapeStr(p.shape)}`);
      }
      this.update(p, g, this.slotsOf(p));
    }
  }

  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const slots of this.state.values()) {
      for (const t of Object.values(slots)) {
        const name = t.name!;
        if (name in out) throw new Error(`optimizer state: two parameters share the name '${name}' (set distinct param.name)`);
        out[name] = t;
      }
    }
    return out;
  }

  dispose(): void {
    for (const slots of this.state.values()) for (const t of Object.values(slots)) t.dispose();
    this.state.clear();
  }
}

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  /** Default from the convention: 1e-7 (Keras), 1e-8 (PyTorch). */
  epsilon?: number;
  /** 'keras' (default; the tutorial's): ε outside the bias-corrected √v; 'pytorch': inside. */
  convention?: 'keras' | 'pytorch';
  /** PyTorch-style L2: wd·w added to the gradient before the moments (not AdamW). */
  weightDecay?: number;
}

/**
 * Adam with bias correction at the global step t (Keras's `iterations`: it counts step()
 * calls, not per-parameter updates, so a parameter skipped for a null grad still sees t grow).
 *   Keras:   lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ); m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= lr_t·m/(√v + ε)
 *   PyTorch: w −= lr·m̂/(√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
 */
export class Adam extends BaseOptimizer implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly convention: 'keras' | 'pytorch';
  readonly weightDecay: number;

  constructor(opts: AdamOptions = {}) {
    super();
    this.lr = opts.lr ?? 1e-3;
    this.convention = opts.convention ?? 'keras';
    if (this.convention !== 'keras' && this.convention !== 'pytorch') throw new Error(`Adam: unknown convention '${String(this.convention)}'`);
    this.beta1 = checkRate('Adam beta1', opts.beta1 ?? 0.9, 0, 0.999999);
    this.beta2 = checkRate('Adam beta2', opts.beta2 ?? 0.999, 0, 0.999999999);
    this.epsilon = checkRate('Adam epsilon', opts.epsilon ?? (this.convention === 'keras' ? 1e-7 : 1e-8), 0, Infinity);
    this.weightDecay = checkRate('Adam weightDecay', opts.weightDecay ?? 0, 0, Infinity);
  }

  protected slotNames(): string[] {
    return ['m', 'v'];
  }

  protected update(p: Tensor, g: Tensor, s: Record<string, Tensor>): void {
    const scalars = adamScalars(this, this.t);
    adamUpdate(p.ctx, g.buffer, p.buffer, s.m!.buffer, s.v!.buffer, p.size, scalars);
  }

  config(): OptimizerConfig {
    return {
      name: 'Adam',
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      convention: this.convention,
      weightDecay: this.weightDecay,
    };
  }
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * SGD with PyTorch semantics (dampening 0): g ← g + wd·w; buf ← μ·buf + g (buf = g at the
 * first step); w ← w − lr·(nesterov ? g + μ·buf : buf).
 *
 * The AlexNet paper's rule, v ← 0.9v − 0.0005·ε·w − ε·g; w ← w + v, is the same update with
 * the learning rate ε inside the velocity: v_paper = −lr·buf, which differs only when lr
 * changes between steps (the paper's old velocity keeps its old rate).
 */
export class SGD extends BaseOptimizer implements Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(opts: SGDOptions = {}) {
    super();
    this.lr = opts.lr ?? 0.01;
    this.momentum = checkRate('SGD momentum', opts.momentum ?? 0, 0, 1);
    this.weightDecay = checkRate('SGD weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum === 0) throw new Error('SGD: Nesterov momentum requires momentum > 0');
  }

  protected slotNames(): string[] {
    return this.momentum !== 0 ? ['momentum'] : [];
  }

  protected update(p: Tensor, g: Tensor, s: Record<string, Tensor>): void {
    sgdUpdate(p.ctx, g.buffer, p.buffer, s.momentum?.buffer ?? null, p.size, this);
  }

  config(): OptimizerConfig {
    return { name: 'SGD', lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }
}
