/**
 * The seeded generators everything random in src/data is built on. Their outputs are pinned:
 * a checkpoint's loader state (seed, epoch, step) only resumes the same data if these
 * functions never change.
 */
import { describe, expect, it } from 'vitest';
import { Rng, hashSeed, permutation } from '../../src/data/prng.js';

describe('hashSeed', () => {
  it('is deterministic, order-sensitive, and uses all 53 bits of a seed', () => {
    expect(hashSeed(1, 2, 3)).toBe(hashSeed(1, 2, 3));
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
    expect(hashSeed(1)).not.toBe(hashSeed(1 + 2 ** 32));
    expect(hashSeed(0)).not.toBe(hashSeed(0, 0));
    expect(() => hashSeed(Number.NaN)).toThrow(/finite/);
  });

  it('spreads neighbouring inputs over the 32-bit range (no two of 10000 collide)', () => {
    const seen = new Set<number>();
    for (let e = 0; e < 100; e++) for (let i = 0; i < 100; i++) seen.add(hashSeed(7, e, i));
    expect(seen.size).toBe(10000);
  });
});

describe('Rng', () => {
  it('pinned outputs (changing them breaks resuming old runs)', () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual(PINNED_42);
    expect(hashSeed(1, 2, 3)).toBe(PINNED_HASH_123);
  });

  it('same seed → same sequence; different seed → different', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const c = new Rng(6);
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(sa);
  });

  it('uniform in [0, 1) with the right mean and spread; normal with mean 0, sd 1', () => {
    const r = new Rng(1);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const v = r.next();
      s += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(s / n).toBeCloseTo(0.5, 2);
    s = 0;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(0.97);
    expect(Math.sqrt(s2 / n)).toBeLessThan(1.03);
  });
});

describe('permutation', () => {
  it('is a permutation, deterministic in the generator, and not the identity', () => {
    const p = permutation(1000, new Rng(3));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(permutation(1000, new Rng(3)))).toEqual(Array.from(p));
    expect(Array.from(permutation(1000, new Rng(4)))).not.toEqual(Array.from(p));
    expect(p.filter((v, i) => v === i).length).toBeLessThan(10); // ~1 fixed point expected
  });
});

const PINNED_42 = [647637756, 971014756, 3705736505];
const PINNED_HASH_123 = 2667968449;
