/** Axis ticks and number labels for the charts: round steps, trimmed exponents, learning rates. */
function roundTo(v: number, step: number): number {
  // Kill floating fuzz such as 0.30000000000000004 while keeping the value exact to the step.
  const r = Number(v.toPrecision(12));
  return Math.abs(r) < Math.abs(step) * 1e-9 ? 0 : r;
}

/**
 * "Nice" tick positions on [min, max]: multiples of a step from the 1-2-5 sequence (×10^k), the
 * smallest such step giving at most `maxTicks` ticks inside the interval. `minStep` bounds the
 * step from below (e.g. 1 for integer epochs).
 */
export function niceTicks(min: number, max: number, maxTicks = 8, minStep = 0): { step: number; ticks: number[] } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`niceTicks: non-finite range [${min}, ${max}]`);
  if (max < min) [min, max] = [max, min];
  const limit = Math.max(2, Math.floor(maxTicks));
  const span = max - min;
  if (span === 0) {
    return { step: 0, ticks: [min] };
  }
  let exp = Math.floor(Math.log10(span / limit));
  for (;;) {
    for (const m of [1, 2, 5]) {
      const step = m * Math.pow(10, exp);
      if (step < minStep) continue;
      const first = Math.ceil(min / step - 1e-9);
      const last = Math.floor(max / step + 1e-9);
      if (last - first + 1 <= limit) {
        const ticks: number[] = [];
        for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, step));
        return { step: roundTo(step, step), ticks };
      }
    }
    exp++;
  }
}

function trimExp(s: string): string {
  // "5.00e-5" -> "5e-5", "2.50e+3" -> "2.5e3"
  const [mant, e] = s.split('e') as [string, string | undefined];
  let m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  if (m === '-0') m = '0';
  if (e === undefined) return m;
  return `${m}e${e.replace(/^\+/, '')}`;
}

/** Tick label text for value v on an axis with tick spacing `step`. */
export function formatTick(v: number, step: number): string {
  const a = Math.abs(v);
  if ((step > 0 && step < 1e-3) || a >= 1e6 || (a > 0 && a < 1e-4)) {
    if (a === 0) return '0';
    const digits = step > 0 ? Math.max(0, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)) : 3;
    return trimExp(v.toExponential(Math.min(digits, 6)));
  }
  const decimals = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 3;
  const s = v.toFixed(Math.min(decimals, 10));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Compact learning-rate text: 1e-4, 5e-5, 2.5e-5, 0.01, 0.3. Float32 fuzz is rounded away. */
export function formatLr(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-2 && a < 1e4) return String(Number(v.toPrecision(3)));
  return trimExp(Number(v.toPrecision(3)).toExponential());
}

// ---------------------------------------------------------------------------------------------
// Colours
// ---------------------------------------------------------------------------------------------
