/**
 * The tape: each differentiable op, when any input requires a gradient, records a node
 * with its backward rule (a closure written beside the forward, as in micrograd).
 * `backward(loss)` walks the tape in reverse, running the rules with recording switched
 * off, and sums the gradients of a tensor used more than once. Leaves (parameters) receive
 * their gradient in `t.grad`: the tensor the backward rule produced, kept out of the step's
 * scope and released when the next backward replaces it (so no copy per parameter).
 */
import { Tensor } from './tensor.js';
import { keep, setOutermostScopeEndHook } from './scope.js';

export interface TapeNode {
  op: string;
  inputs: Tensor[];
  output: Tensor;
  /** Gradients for each input given the output's gradient (null where not needed). */
  backward: (gradOut: Tensor) => Array<Tensor | null>;
}

let nodes: TapeNode[] = [];
let recording = true;

setOutermostScopeEndHook(() => {
  nodes = [];
});

export function isRecording(): boolean {
  return recording;
}

/** Runs fn with no tape recording (inference, optimizer updates, backward rules). */
export function noGrad<T>(fn: () => T): T {
  const was = recording;
  recording = false;
  try {
    return fn();
  } finally {
    recording = was;
  }
}

export function needsGrad(inputs: Tensor[]): boolean {
  return recording && inputs.some((t) => t.requiresGrad);
}

/** Records `output = op(inputs)` if any input requires a gradient. */
export function record(
  op: string,
  inputs: Tensor[],
  output: Tensor,
  backward: (gradOut: Tensor) => Array<Tensor | null>,
): Tensor {
  if (!needsGrad(inputs)) return output;
  output.requiresGrad = true;
  const node: TapeNode = { op, inputs, output, backward };
  output.node = node;
  nodes.push(node);
  return output;
}

export function tapeLength(): number {
  return nodes.length;
}

export function clearTape(): void {
  nodes = [];
}

/** Operations the tape needs from the kernel layer, injected to avoid an import cycle. */
export interface GradMath {
  ones(like: Tensor): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
}

let math: GradMath | null = null;
export function setGradMath(m: GradMath): void {
  math = m;
}

/**
 * Backpropagates from `loss` (a scalar, or any tensor with `gradOut` given). Leaves get
 * `grad` overwritten (not accumulated across calls), like Keras's GradientTape.
 */
export function backward(loss: Tensor, gradOut?: Tensor): void {
  if (!math) throw new Error('autograd ops not loaded (import src/autograd/ops)');
  const m = math;
  if (!loss.requiresGrad || !loss.node) {
    throw new Error('backward(): the loss does not depend on any tensor that requires a gradient');
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, gradOut ?? m.ones(loss));
  const leavesSeen = new Set<Tensor>();
  const upto = nodes.indexOf(loss.node);
  if (upto < 0) {
    throw new Error('backward(): the loss is no longer on the tape (recorded in a tidy() scope that has ended?); call backward inside that scope');
  }
  noGrad(() => {
    for (let i = upto; i >= 0; i--) {
      const node = nodes[i]!;
      const g = grads.get(node.output);
      if (!g) continue;
      grads.delete(node.output);
      const inGrads = node.backward(g);
      node.inputs.forEach((inp, k) => {
        const gi = inGrads[k];
        if (!gi || !inp.requiresGrad) return;
        if (gi.size !== inp.size) {
          throw new Error(`backward of ${node.op}: gradient ${gi.shape} does not match input ${inp.shape}`);
        }
        if (inp.node) {
          const prev = grads.get(inp);
          grads.set(inp, prev ? m.add(prev, gi) : gi);
        } else {
          // A leaf: its first contribution becomes its grad (no copy); further ones are
          // summed into a new tensor, never in place, since the first may be shared (add's
          // backward hands the same tensor to both inputs).
          if (leavesSeen.has(inp)) {
            const sum = keep(m.add(inp.grad!, gi));
            inp.grad!.dispose();
            inp.grad = sum;
          } else {
            if (inp.grad && inp.grad !== gi) inp.grad.dispose();
            inp.grad = keep(gi);
            leavesSeen.add(inp);
          }
        }
      });
    }
  });
  nodes = nodes.slice(upto + 1);
}

/**
 * Releases the gradients of `params` (PyTorch's zero_grad(set_to_none=True)). Called after
 * the optimizer step, so each step allocates its gradients from the same pool entries and a
 * training loop reaches its steady state (no new GPU buffer) after the first step.
 */
export function releaseGrads(params: Tensor[]): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
