/**
 * IEEE 754 binary16 ("half", safetensors' F16) ↔ float32, for storing weights at half the
 * size (npm run convert -- --to half). float → half rounds to nearest, ties to even, with
 * subnormals, overflow to ±Infinity and NaN kept NaN; half → float is exact. Platform-neutral.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to v (ties to even). */
export function floatToHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Infinity, or a quiet NaN
  const e = exp - 127 + 15; // the half's biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    // Subnormal half (or zero): the value is m · 2^-24 with m = round(|v| · 2^24).
    if (e < -10) return sign; // under half the smallest subnormal: ±0
    const full = mant | 0x800000; // 24-bit significand
    const shift = 14 - e; // 24-bit significand → m
    const m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (m + (rest > half || (rest === half && (m & 1)) ? 1 : 0));
  }
  // Normal: keep 10 of the 23 mantissa bits, rounding on the other 13 (a carry may bump the exponent).
  const m = mant >>> 13;
  const rest = mant & 0x1fff;
  const bits = sign | (e << 10) | m;
  return bits + (rest > 0x1000 || (rest === 0x1000 && (m & 1)) ? 1 : 0);
}

/** The float32 value of a binary16 bit pattern (exact). */
export function halfBitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toHalf(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = floatToHalfBits(values[i]!);
  return out;
}

export function fromHalf(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfBitsToFloat(bits[i]!);
  return out;
}

/** A safetensors tensor's values as float32: F32 as stored, F16 widened (exactly). */
export function float32Values(t: { dtype: string; data: ArrayBufferView }): Float32Array {
  return t.dtype === 'F16' ? fromHalf(t.data as Uint16Array) : (t.data as Float32Array);
}
