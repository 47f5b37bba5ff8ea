/**
 * The one-pass affine resampler (Keras's apply_affine_transform = scipy's affine_transform,
 * order 1) against:
 *  - exact expectations where the answer is known without arithmetic (90° rotation, integer
 *    shift, flips, and scipy's own printed results for each fill mode on the row 1 2 3 4);
 *  - a float64 reference written here in the most literal way — Keras's matrices, then the
 *    flips and crop as separate array operations — for rotation, shear, zoom, shift and their
 *    composition with each fill mode (the implementation instead folds all of it into one map);
 *  - scipy itself, through Keras's code ported verbatim (fixtures/affine-scipy.json).
 * Tolerance 1e-3 on 0–255 values: the implementation stores float32 (relative error 6e-8).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FillMode, warpAffine } from '../../src/data/affine.js';
import { type TransformParams, composeTransform, identityTransform } from '../../src/data/augment.js';
import { maxAbsDiff, randomImage } from './helpers.js';

const TOL = 1e-3;

function params(h: number, w: number, p: Partial<TransformParams>): TransformParams {
  return { ...identityTransform({}, h, w), ...p };
}

/** Runs the implementation: full-size output (or a crop of outH×outW). */
function run(src: Uint8Array, h: number, w: number, p: TransformParams, fillMode: FillMode, cval = 0, outH = h, outW = w): Float32Array {
  const out = new Float32Array(outH * outW * 3).fill(Number.NaN); // poison: every element must be written
  warpAffine({ data: src, height: h, width: w }, { data: out, height: outH, width: outW }, composeTransform(p, h, w), { fillMode, cval });
  return out;
}

// --- float64 reference ------------------------------------------------------------------------

function mul(a: number[], b: number[]): number[] {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j] += a[i * 3 + k]! * b[k * 3 + j]!;
  return r;
}

/** Value of the extended signal at integer index i along an axis of length n (scipy's modes). */
function ext(i: number, n: number, mode: FillMode): number | null {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'nearest': return i < 0 ? 0 : n - 1;
    case 'wrap': return ((i % n) + n) % n;
    case 'reflect': {
      let m = ((i % (2 * n)) + 2 * n) % (2 * n);
      if (m >= n) m = 2 * n - 1 - m;
      return m;
    }
    default: return null;
  }
}

function reference(src: Uint8Array, h: number, w: number, p: TransformParams, mode: FillMode, cval: number): Float64Array {
  const rad = Math.PI / 180;
  const t = p.theta * rad;
  const s = p.shear * rad;
  let m = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  m = mul(m, [1, 0, p.tx, 0, 1, p.ty, 0, 0, 1]);
  m = mul(m, [1, -Math.sin(s), 0, 0, Math.cos(s), 0, 0, 0, 1]);
  m = mul(m, [p.zx, 0, 0, 0, p.zy, 0, 0, 0, 1]);
  const oy = h / 2 - 0.5;
  const ox = w / 2 - 0.5;
  m = mul(mul([1, 0, oy, 0, 1, ox, 0, 0, 1], m), [1, 0, -oy, 0, 1, -ox, 0, 0, 1]);
  const out = new Float64Array(h * w * 3);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const y = m[0]! * r + m[1]! * c + m[2]!;
      const x = m[3]! * r + m[4]! * c + m[5]!;
      for (let ch = 0; ch < 3; ch++) {
        let v: number;
        if (mode === 'constant' && (y < -1e-9 || y > h - 1 + 1e-9 || x < -1e-9 || x > w - 1 + 1e-9)) {
          v = cval;
        } else {
          const yc = mode === 'constant' ? Math.min(Math.max(y, 0), h - 1) : y;
          const xc = mode === 'constant' ? Math.min(Math.max(x, 0), w - 1) : x;
          const y0 = Math.floor(yc);
          const x0 = Math.floor(xc);
          const fy = yc - y0;
          const fx = xc - x0;
          const at = (yy: number, xx: number) => {
            const a = ext(yy, h, mode === 'constant' ? 'nearest' : mode)!;
            const b = ext(xx, w, mode === 'constant' ? 'nearest' : mode)!;
            return src[(a * w + b) * 3 + ch]!;
          };
          v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
        }
        out[(r * w + c) * 3 + ch] = v;
      }
    }
  }
  // Keras flips after the affine transform, as separate steps.
  const flipped = new Float64Array(out.length);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const sr = p.flipVertical ? h - 1 - r : r;
      const sc = p.flipHorizontal ? w - 1 - c : c;
      for (let ch = 0; ch < 3; ch++) flipped[(r * w + c) * 3 + ch] = out[(sr * w + sc) * 3 + ch]!;
    }
  }
  return flipped;
}

function cropOf(a: Float64Array, h: number, w: number, y: number, x: number, ch: number, cw: number): Float64Array {
  const out = new Float64Array(ch * cw * 3);
  for (let r = 0; r < ch; r++) out.set(a.subarray(((r + y) * w + x) * 3, ((r + y) * w + x + cw) * 3), r * cw * 3);
  return out;
}

// --- exact cases -------------------------------------------------------------------------------

describe('exact transforms', () => {
  for (const n of [4, 5]) {
    it(`rotation by 90° of a ${n}×${n} image moves pixels exactly: out[r][c] = in[n−1−c][r]`, () => {
      const img = randomImage(n, n, 10 + n);
      for (const mode of ['constant', 'nearest'] as const) {
        const out = run(img.data, n, n, params(n, n, { theta: 90 }), mode, 99);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < n; c++) {
            for (let ch = 0; ch < 3; ch++) {
              expect(out[(r * n + c) * 3 + ch]).toBeCloseTo(img.data[((n - 1 - c) * n + r) * 3 + ch]!, 4);
            }
          }
        }
      }
    });
  }

  it('an integer shift moves content by −shift, the vacated row filled by the mode', () => {
    const h = 5;
    const w = 6;
    const img = randomImage(w, h, 21);
    const out = run(img.data, h, w, params(h, w, { tx: 2, ty: -1 }), 'constant', 7);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const sr = r + 2;
        const sc = c - 1;
        for (let ch = 0; ch < 3; ch++) {
          const want = sr < h && sc >= 0 ? img.data[(sr * w + sc) * 3 + ch]! : 7;
          expect(out[(r * w + c) * 3 + ch]).toBe(want);
        }
      }
    }
  });

  it('a fractional shift blends the two neighbours linearly', () => {
    const img = { data: Uint8Array.from([10, 10, 10, 50, 50, 50, 90, 90, 90]), h: 1, w: 3 };
    const out = run(img.data, 1, 3, params(1, 3, { ty: 0.25 }), 'nearest');
    expect(Array.from(out.filter((_, i) => i % 3 === 0))).toEqual([20, 60, 90]);
  });

  it('horizontal and vertical flips mirror exactly', () => {
    const h = 3;
    const w = 4;
    const img = randomImage(w, h, 5);
    const hf = run(img.data, h, w, params(h, w, { flipHorizontal: true }), 'nearest');
    const vf = run(img.data, h, w, params(h, w, { flipVertical: true }), 'nearest');
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        for (let ch = 0; ch < 3; ch++) {
          expect(hf[(r * w + c) * 3 + ch]).toBe(img.data[(r * w + (w - 1 - c)) * 3 + ch]);
          expect(vf[(r * w + c) * 3 + ch]).toBe(img.data[((h - 1 - r) * w + c) * 3 + ch]);
        }
      }
    }
  });

  // scipy.ndimage.affine_transform(order=1, cval=-1) of the row [1 2 3 4] with the column
  // coordinate shifted by s (printed by scipy 1.17; 'wrap' = scipy 'grid-wrap').
  const scipyRows: Record<FillMode, Record<string, number[]>> = {
    constant: { '-1.5': [-1, -1, 1.5, 2.5], '1.5': [2.5, 3.5, -1, -1], '3': [4, -1, -1, -1], '-0.25': [-1, 1.75, 2.75, 3.75] },
    nearest: { '-1.5': [1, 1, 1.5, 2.5], '1.5': [2.5, 3.5, 4, 4], '3': [4, 4, 4, 4], '-0.25': [1, 1.75, 2.75, 3.75] },
    reflect: { '-1.5': [1.5, 1, 1.5, 2.5], '1.5': [2.5, 3.5, 4, 3.5], '3': [4, 4, 3, 2], '-0.25': [1, 1.75, 2.75, 3.75] },
    wrap: { '-1.5': [3.5, 2.5, 1.5, 2.5], '1.5': [2.5, 3.5, 2.5, 1.5], '3': [4, 1, 2, 3], '-0.25': [1.75, 1.75, 2.75, 3.75] },
  };
  for (const mode of ['constant', 'nearest', 'reflect', 'wrap'] as const) {
    it(`fill mode '${mode}' at the borders matches scipy`, () => {
      const row = Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
      for (const [s, want] of Object.entries(scipyRows[mode])) {
        const out = run(row, 1, 4, params(1, 4, { ty: Number(s) }), mode, -1);
        expect(Array.from(out.filter((_, i) => i % 3 === 0)), `shift ${s}`).toEqual(want);
      }
    });
  }
});

// --- against the float64 reference -------------------------------------------------------------

describe('against a float64 reference of Keras transforms', () => {
  const h = 9;
  const w = 12;
  const img = randomImage(w, h, 77);
  const cases: [string, Partial<TransformParams>][] = [
    ['rotation 37°', { theta: 37 }],
    ['rotation −130°', { theta: -130 }],
    ['shift (fractional, both axes)', { tx: 1.7, ty: -2.4 }],
    ['shear 25°', { shear: 25 }],
    ['shear −40°', { shear: -40 }],
    ['zoom in (0.6, 0.8)', { zx: 0.6, zy: 0.8 }],
    ['zoom out (1.5, 1.2)', { zx: 1.5, zy: 1.2 }],
    ['everything + both flips', { theta: 21, tx: -1.2, ty: 0.9, shear: 14, zx: 1.1, zy: 0.85, flipHorizontal: true, flipVertical: true }],
  ];
  for (const [name, p] of cases) {
    for (const mode of ['nearest', 'constant', 'reflect', 'wrap'] as const) {
      it(`${name}, fill ${mode}`, () => {
        const tp = params(h, w, p);
        const got = run(img.data, h, w, tp, mode, 33);
        expect(maxAbsDiff(got, reference(img.data, h, w, tp, mode, 33))).toBeLessThan(TOL);
      });
    }
  }

  it('a crop of the transformed image equals the transform computed at full size, then cropped', () => {
    const tp = params(h, w, { theta: 15, zx: 0.9, zy: 1.1, flipHorizontal: true, cropY: 2, cropX: 3 });
    const got = run(img.data, h, w, tp, 'reflect', 0, 5, 7);
    const full = reference(img.data, h, w, { ...tp, cropX: 0, cropY: 0 }, 'reflect', 0);
    expect(maxAbsDiff(got, cropOf(full, h, w, 2, 3, 5, 7))).toBeLessThan(TOL);
  });

  it('scale and per-channel bias apply after sampling: scale · (value + bias)', () => {
    const tp = params(h, w, { theta: 10 });
    const out = new Float32Array(h * w * 3);
    warpAffine({ data: img.data, height: h, width: w }, { data: out, height: h, width: w }, composeTransform(tp, h, w), {
      scale: 1 / 255, bias: [10, -20, 5],
    });
    const ref = reference(img.data, h, w, tp, 'nearest', 0);
    const want = ref.map((v, i) => (v + [10, -20, 5][i % 3]!) / 255);
    expect(maxAbsDiff(out, want)).toBeLessThan(1e-6);
  });
});

// --- against scipy through Keras's own code -----------------------------------------------------

interface AffineFixture {
  height: number;
  width: number;
  source: number[];
  cases: { params: TransformParams; fillMode: FillMode; cval: number; data: number[] }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/affine-scipy.json', import.meta.url), 'utf8')) as AffineFixture;

describe('against scipy.ndimage via Keras apply_affine_transform (fixtures)', () => {
  const src = Uint8Array.from(fx.source);
  for (const c of fx.cases) {
    const desc = Object.entries(c.params).filter(([k, v]) => v !== identityTransform({}, 1, 1)[k as keyof TransformParams] && v !== false).map(([k, v]) => `${k}=${v}`).join(' ');
    it(`${desc}, fill ${c.fillMode}`, () => {
      const got = run(src, fx.height, fx.width, params(fx.height, fx.width, c.params), c.fillMode, c.cval);
      expect(maxAbsDiff(got, c.data)).toBeLessThan(TOL);
    });
  }
});
