/**
 * Pointwise ops from one table. Each activation is declared once — its forward and backward
 * in WGSL, a float64 reference and the reference derivative — and everything else is
 * generated from the table: the `switch` of the unary and binary kernels (case numbers are
 * positions in the table, never hand-kept ids), the fused epilogue `act()` of the GEMM and
 * convolution kernels, the differentiable op (src/autograd/ops/activation.ts), the layer
 * option (Dense/Conv2D `activation`, the Activation layer) and the test rows
 * (test/kernels/pointwise.test.ts).
 *
 * Adding an activation = adding an entry here (plus its name in the docs).
 */

export interface ActivationDef {
  /** Keras's name for it ('relu', 'gelu', 'leaky_relu', …). */
  name: string;
  /** WGSL body of `fn(v: f32) -> f32` (statements ending in a return). */
  forward: string;
  /**
   * The backward: which saved tensor it reads — the op's input `x` or its output `y` —
   * and the WGSL body of `fn(g: f32, s: f32) -> f32` giving dx from the upstream
   * gradient g and that value s.
   */
  backward: { from: 'x' | 'y'; body: string };
  /** Float64 reference of the forward … */
  ref: (x: number) => number;
  /** … and of its derivative dy/dx (at kinks, the one-sided value the kernel takes). */
  dref: (x: number) => number;
}

const sigmoid64 = (v: number) => 1 / (1 + Math.exp(-v));

/** LeakyReLU's slope for negative inputs: keras.activations.leaky_relu and tf.nn.leaky_relu use 0.2. */
export const LEAKY_RELU_SLOPE = 0.2;

/** Float64 erf (series below 2.5, continued fraction for erfc above): a reference, not a kernel. */
export function erf64(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 2.5) {
    // erf(a) = 2/√π Σ (−1)ⁿ a^(2n+1) / (n! (2n+1))
    let term = a;
    let s = a;
    for (let n = 1; n < 80; n++) {
      term *= (-a * a) / n;
      s += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * s;
  } else {
    // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …)))))
    let f = a;
    for (let k = 120; k >= 1; k--) f = a + k / 2 / f;
    r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

const normalCdf64 = (x: number) => 0.5 * (1 + erf64(x / Math.SQRT2));
const normalPdf64 = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/**
 * Φ(v) in float32 from Abramowitz & Stegun 7.1.26 (|erf error| ≤ 1.5e-7): WGSL has no erf.
 * Φ is formed from erfc on the tail side so negative inputs keep their relative precision
 * instead of computing 1 − (1 − tiny).
 */
const NORMAL_CDF_WGSL = /* wgsl */ `
fn normal_cdf(v: f32) -> f32 {
  let z = abs(v) * 0.70710678;
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let half_erfc = 0.5 * poly * exp(-z * z);
  return select(half_erfc, 1.0 - half_erfc, v >= 0.0);
}
`;

const STABLE_SIGMOID_BODY = /* wgsl */ `
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);`;

/** The activations, in the order that numbers their `case`s (0 is 'linear', the identity). */
export const ACTIVATIONS = [
  {
    name: 'relu',
    forward: 'return max(v, 0.0);',
    // y > 0 exactly where x > 0, so the output serves (what the fused epilogues keep).
    backward: { from: 'y', body: 'return select(0.0, g, s > 0.0);' },
    ref: (x) => Math.max(x, 0),
    dref: (x) => (x > 0 ? 1 : 0),
  },
  {
    name: 'sigmoid',
    forward: STABLE_SIGMOID_BODY,
    backward: { from: 'y', body: 'return g * s * (1.0 - s);' },
    ref: sigmoid64,
    dref: (x) => sigmoid64(x) * (1 - sigmoid64(x)),
  },
  {
    // The exact (erf) form: Keras's gelu default (approximate=False) and PyTorch's nn.GELU().
    name: 'gelu',
    forward: 'return v * normal_cdf(v);',
    backward: { from: 'x', body: 'return g * (normal_cdf(s) + s * 0.39894228 * exp(-0.5 * s * s));' },
    ref: (x) => x * normalCdf64(x),
    dref: (x) => normalCdf64(x) + x * normalPdf64(x),
  },
  {
    // x·σ(x) (Keras 'silu', a.k.a. swish).
    name: 'silu',
    forward: 'return v * act_sigmoid(v);',
    backward: { from: 'x', body: 'let sg = act_sigmoid(s);\n  return g * sg * (1.0 + s * (1.0 - sg));' },
    ref: (x) => x * sigmoid64(x),
    dref: (x) => sigmoid64(x) * (1 + x * (1 - sigmoid64(x))),
  },
  {
    // Slope 0.2 below zero (keras.activations.leaky_relu, tf.nn.leaky_relu; Keras's
    // LeakyReLU *layer* defaults to 0.3). The slope is positive, so y > 0 ⇔ x > 0.
    name: 'leaky_relu',
    forward: `return select(${LEAKY_RELU_SLOPE} * v, v, v > 0.0);`,
    backward: { from: 'y', body: `return select(${LEAKY_RELU_SLOPE} * g, g, s > 0.0);` },
    ref: (x) => (x > 0 ? x : LEAKY_RELU_SLOPE * x),
    dref: (x) => (x > 0 ? 1 : LEAKY_RELU_SLOPE),
  },
] as const satisfies readonly ActivationDef[];

export type ActivationName = (typeof ACTIVATIONS)[number]['name'];
/** A layer's activation option: one of the table's, or none. */
export type ActivationOption = ActivationName | 'linear';

export const ACTIVATION_NAMES: readonly ActivationName[] = ACTIVATIONS.map((a) => a.name);

export function activationEntry(name: string): ActivationDef {
  const a = (ACTIVATIONS as readonly ActivationDef[]).find((e) => e.name === name);
  if (!a) throw new Error(`unknown activation '${name}' (choose one of linear, ${ACTIVATION_NAMES.join(', ')})`);
  return a;
}

/** The epilogue id of an activation: 0 = linear, else 1 + its table position. */
export function activationId(name: ActivationOption | undefined): number {
  if (name === undefined || name === 'linear') return 0;
  return ACTIVATIONS.findIndex((a) => a.name === name) + 1 || (activationEntry(name), 0);
}

/** Whether the op's backward can run from its output alone (so it may be fused into an epilogue). */
export function backwardFromOutput(name: ActivationOption | undefined): boolean {
  return name === undefined || name === 'linear' || activationEntry(name).backward.from === 'y';
}

/**
 * WGSL: `act_<name>(v)` and `act_<name>_backward(g, s)` for every entry, and
 * `activate(id, v)` (0 = identity) for epilogues. Declared once per module that uses any.
 */
export const ACTIVATIONS_WGSL: string = [
  NORMAL_CDF_WGSL,
  ...ACTIVATIONS.flatMap((a: ActivationDef) => [
    `fn act_${a.name}(v: f32) -> f32 {\n  ${a.forward.trim()}\n}`,
    `fn act_${a.name}_backward(g: f32, s: f32) -> f32 {\n  ${a.backward.body.trim()}\n}`,
  ]),
  `fn activate(id: u32, v: f32) -> f32 {
  switch id {
${ACTIVATIONS.map((a, k) => `    case ${k + 1}u: { return act_${a.name}(v); }`).join('\n')}
    default: { return v; }
  }
}`,
].join('\n');
