/**
 * A float64 forward pass of a Keras Sequential model, written from Keras's definitions in
 * plain loops over the Keras layer list and its weights — none of the engine's code. For one
 * image [H, W, C] (channels last, row-major); returns the output after the model's activation.
 *
 * Conv2D / MaxPooling2D 'same' follow TensorFlow: out = ceil(in / stride), total padding
 * max((out − 1)·stride + k − in, 0), the smaller half before; max pooling ignores the padding.
 */
import type { FixtureLayer } from './keras-fixtures.js';

interface Act {
  h: number;
  w: number;
  c: number;
  /** [h][w][c] row-major, or a flat vector when h = w = 1 after Flatten (flat = true). */
  v: Float64Array;
  flat: boolean;
}

function samePads(size: number, k: number, s: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [out, Math.floor(total / 2)];
}

function activate(v: Float64Array, a: string): Float64Array {
  switch (a) {
    case 'linear':
      return v;
    case 'relu':
      return v.map((x) => Math.max(0, x));
    case 'sigmoid':
      return v.map((x) => 1 / (1 + Math.exp(-x)));
    case 'softmax': {
      const m = Math.max(...v);
      const e = v.map((x) => Math.exp(x - m));
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((x) => x / s);
    }
    default:
      throw new Error(`reference: activation ${a}`);
  }
}

const weight = (l: FixtureLayer, role: string) => {
  const w = l.weights!.find((x) => x.name.endsWith(`/${role}:0`));
  return w ? Float64Array.from(w.data) : undefined;
};

function conv(x: Act, l: FixtureLayer): Act {
  const c = l.config;
  const [kh, kw] = c.kernel_size as [number, number];
  const [sh, sw] = c.strides as [number, number];
  const groups = Number(c.groups ?? 1);
  const f = Number(c.filters);
  const k = weight(l, 'kernel')!;
  const b = weight(l, 'bias');
  const cg = x.c / groups;
  const fg = f / groups;
  let oh: number, ow: number, pt = 0, pl = 0;
  if (c.padding === 'same') {
    [oh, pt] = samePads(x.h, kh, sh);
    [ow, pl] = samePads(x.w, kw, sw);
  } else {
    oh = Math.floor((x.h - kh) / sh) + 1;
    ow = Math.floor((x.w - kw) / sw) + 1;
  }
  const y = new Float64Array(oh * ow * f);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let o = 0; o < f; o++) {
        const g = Math.floor(o / fg);
        let s = b ? b[o]! : 0;
        for (let di = 0; di < kh; di++) {
          const yi = i * sh - pt + di;
          if (yi < 0 || yi >= x.h) continue;
          for (let dj = 0; dj < kw; dj++) {
            const xj = j * sw - pl + dj;
            if (xj < 0 || xj >= x.w) continue;
            for (let ci = 0; ci < cg; ci++) s += x.v[(yi * x.w + xj) * x.c + g * cg + ci]! * k[((di * kw + dj) * cg + ci) * f + o]!;
          }
        }
        y[(i * ow + j) * f + o] = s;
      }
  return { h: oh, w: ow, c: f, v: activate(y, String(c.activation ?? 'linear')), flat: false };
}

function maxPool(x: Act, l: FixtureLayer): Act {
  const c = l.config;
  const [ph, pw] = c.pool_size as [number, number];
  const [sh, sw] = (c.strides as [number, number] | null) ?? [ph, pw];
  let oh: number, ow: number, pt = 0, pl = 0;
  if (c.padding === 'same') {
    [oh, pt] = samePads(x.h, ph, sh);
    [ow, pl] = samePads(x.w, pw, sw);
  } else {
    oh = Math.floor((x.h - ph) / sh) + 1;
    ow = Math.floor((x.w - pw) / sw) + 1;
  }
  const y = new Float64Array(oh * ow * x.c).fill(-Infinity);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let di = 0; di < ph; di++)
        for (let dj = 0; dj < pw; dj++) {
          const yi = i * sh - pt + di;
          const xj = j * sw - pl + dj;
          if (yi < 0 || yi >= x.h || xj < 0 || xj >= x.w) continue;
          for (let ch = 0; ch < x.c; ch++) {
            const o = (i * ow + j) * x.c + ch;
            y[o] = Math.max(y[o]!, x.v[(yi * x.w + xj) * x.c + ch]!);
          }
        }
  return { h: oh, w: ow, c: x.c, v: y, flat: false };
}

function batchNorm(x: Act, l: FixtureLayer): Act {
  const eps = Number(l.config.epsilon);
  const gamma = weight(l, 'gamma');
  const beta = weight(l, 'beta');
  const mean = weight(l, 'moving_mean')!;
  const variance = weight(l, 'moving_variance')!;
  const C = x.flat ? x.v.length : x.c;
  const y = x.v.map((v, i) => {
    const ch = i % C;
    return ((v - mean[ch]!) / Math.sqrt(variance[ch]! + eps)) * (gamma ? gamma[ch]! : 1) + (beta ? beta[ch]! : 0);
  });
  return { ...x, v: y };
}

function denseLayer(x: Act, l: FixtureLayer): Act {
  const units = Number(l.config.units);
  const k = weight(l, 'kernel')!;
  const b = weight(l, 'bias');
  const n = x.v.length;
  const y = new Float64Array(units);
  for (let o = 0; o < units; o++) {
    let s = b ? b[o]! : 0;
    for (let i = 0; i < n; i++) s += x.v[i]! * k[i * units + o]!;
    y[o] = s;
  }
  return { h: 1, w: 1, c: units, v: activate(y, String(l.config.activation ?? 'linear')), flat: true };
}

/** The model's output for one image (pixels as the model takes them, [H, W, C] row-major). */
export function kerasForward(layers: FixtureLayer[], image: ArrayLike<number>, shape: [number, number, number]): Float64Array {
  let x: Act = { h: shape[0], w: shape[1], c: shape[2], v: Float64Array.from(image), flat: false };
  for (const l of layers) {
    switch (l.class_name) {
      case 'InputLayer':
      case 'Dropout':
        break;
      case 'Rescaling':
        x = { ...x, v: x.v.map((v) => v * Number(l.config.scale) + Number(l.config.offset)) };
        break;
      case 'Conv2D':
        x = conv(x, l);
        break;
      case 'MaxPooling2D':
        x = maxPool(x, l);
        break;
      case 'BatchNormalization':
        x = batchNorm(x, l);
        break;
      case 'Flatten':
        x = { h: 1, w: 1, c: x.v.length, v: x.v, flat: true };
        break;
      case 'Dense':
        x = denseLayer(x, l);
        break;
      case 'Activation':
        x = { ...x, v: activate(x.v, String(l.config.activation)) };
        break;
      default:
        throw new Error(`reference: layer ${l.class_name}`);
    }
  }
  return x.v;
}
