/**
 * binary16 conversion (src/io/half.ts) checked exhaustively: every one of the 65,536 bit
 * patterns decodes to the value the format defines (computed here from sign, exponent and
 * mantissa in float64, a separate formula) and re-encodes to itself (NaNs to a NaN); random
 * floats over the whole half range, and every midpoint between neighbouring halves, round to
 * the nearest half with ties to even, found by search over the sorted finite halves.
 */
import { describe, expect, it } from 'vitest';
import { floatToHalfBits, fromHalf, halfBitsToFloat, toHalf } from '../../src/io/half.js';
import { rng } from '../helpers.js';

/** The value of a half bit pattern by the format's definition. */
function definition(h: number): number {
  const s = h >> 15 ? -1 : 1;
  const e = (h >> 10) & 31;
  const f = h & 1023;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * (f / 1024) * 2 ** -14 : s * (1 + f / 1024) * 2 ** (e - 15);
}

// Finite non-negative halves in increasing order: bit patterns 0x0000 … 0x7bff.
const positives = Array.from({ length: 0x7c00 }, (_, h) => definition(h));

/** The nearest half to v ≥ 0 (ties to the even pattern), by binary search; 0x7c00 past the top. */
function nearest(v: number): number {
  const max = positives[0x7bff]!;
  // Round-to-nearest overflows at max + half an ulp (2^15 · (2 − 2^-11)).
  if (v >= max + 2 ** 4) return 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (positives[mid]! <= v) lo = mid;
    else hi = mid;
  }
  if (v >= positives[0x7bff]!) return 0x7bff;
  const dl = v - positives[lo]!;
  const dh = positives[hi]! - v;
  return dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
}

describe('half precision', () => {
  it('decodes every bit pattern to its defined value and encodes it back', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = halfBitsToFloat(h);
      const want = definition(h);
      if (Number.isNaN(want)) {
        expect(Number.isNaN(v)).toBe(true);
        expect(Number.isNaN(halfBitsToFloat(floatToHalfBits(v)))).toBe(true);
        continue;
      }
      if (!Object.is(v, want)) expect.fail(`0x${h.toString(16)}: ${v}, defined as ${want}`);
      if (floatToHalfBits(v) !== h) expect.fail(`0x${h.toString(16)} → ${v} → 0x${floatToHalfBits(v).toString(16)}`);
    }
  });

  it('rounds to the nearest half, ties to even, over the whole range (float32 inputs)', () => {
    const r = rng(7);
    const f = new Float32Array(1);
    const check = (v: number) => {
      f[0] = v;
      const x = f[0]!; // the float32 the encoder sees
      const want = nearest(Math.abs(x)) | (x < 0 || Object.is(x, -0) ? 0x8000 : 0);
      if (floatToHalfBits(x) !== want) expect.fail(`${x}: 0x${floatToHalfBits(x).toString(16)}, nearest 0x${want.toString(16)}`);
    };
    for (let i = 0; i < 200_000; i++) check((r() < 0.5 ? -1 : 1) * 2 ** (r() * 44 - 28) * (1 + r())); // 2^-28 … 2^17
    // Midpoints between neighbours (exact in float32): the tie cases, subnormal and normal.
    for (let h = 0; h < 0x7bff; h += 7) check((positives[h]! + positives[h + 1]!) / 2);
    for (const v of [0, -0, 65504, 65519.99, 65520, 1e9, -1e9, 2 ** -25, 2 ** -25 * 1.0001, 2 ** -26, Infinity, -Infinity]) check(v);
    expect(Number.isNaN(halfBitsToFloat(floatToHalfBits(NaN)))).toBe(true);
  });

  it('arrays: toHalf / fromHalf keep weights within half an ulp (relative 2^-11)', () => {
    const r = rng(3);
    const w = Float32Array.from({ length: 10_000 }, () => (r() - 0.5) * 0.2);
    const back = fromHalf(toHalf(w));
    for (let i = 0; i < w.length; i++) {
      if (Math.abs(back[i]! - w[i]!) > Math.max(Math.abs(w[i]!) * 2 ** -11, 2 ** -25)) expect.fail(`${w[i]} → ${back[i]}`);
    }
  });
});
