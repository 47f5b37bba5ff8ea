/**
 * Seeded randomness for the data pipeline.
 *
 * Nothing in src/data draws from a running global generator: every random decision is made by
 * a fresh generator whose seed is a hash of *what* is being decided — (seed, epoch) for the
 * shuffle order, (seed, epoch, image index) for one image's augmentation. So any batch can be
 * re-made on its own, in any order, on any worker, and a resumed run sees exactly the data an
 * uninterrupted one would have seen.
 *
 * Generator: mulberry32 (32-bit state, period 2^32, passes SmallCrush; plenty for picking
 * crops and angles). Seeds are mixed with murmur3's 32-bit finaliser.
 */

/** murmur3 fmix32: a bijective 32-bit mixer with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a list of numbers into one 32-bit seed. Integers up to 2^53 in magnitude are taken
 * whole (high and low 32-bit halves both mixed), so `Date.now()`-sized seeds do not collide.
 * Order matters: hashSeed(1, 2) !== hashSeed(2, 1).
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isFinite(p)) throw new Error(`hashSeed: not a finite number: ${p}`);
    const v = Math.trunc(p);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = fmix32((h ^ fmix32(lo + 0x7f4a7c15)) + 0x632be5ab);
    h = fmix32((h ^ fmix32(hi + 0x165667b1)) + 0x27d4eb2f);
  }
  return h >>> 0;
}

/** mulberry32 with a few helpers. All draws consume a fixed number of 32-bit outputs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = hashSeed(seed);
  }

  /** Next raw 32-bit output. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). One draw. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). One draw. */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). One draw (bias < n / 2^32, irrelevant here). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, the cosine half only). Two draws. */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log is finite
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates), deterministic in `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
