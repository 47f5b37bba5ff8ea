/**
 * The part of vitest's API that the kernel suite (test/kernels) uses, for running that suite
 * where vitest cannot be installed: a lent GPU machine, which gets an esbuild bundle of each
 * test file with 'vitest' aliased to this module (scripts/device/build-kit.sh). describe / it /
 * afterEach / describe.each register tests while the file is imported; they run one after
 * another once it has been, and the process prints one JSON line, {"file", "passed",
 * "failed", "failures"}, and exits 1 on any failure. The matchers are those the suite calls,
 * with vitest's meanings (toEqual: recursive equality ignoring undefined properties).
 */

type Fn = () => unknown;
interface Test {
  name: string;
  fn: Fn;
  afterEach: Fn[];
}

const tests: Test[] = [];
const prefix: string[] = [];
const hooks: Fn[][] = [[]];
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // A macrotask: it runs once the test file's top level (all its registrations) is done.
  setTimeout(() => void runAll(), 0);
}

export function describe(name: string, fn: Fn): void {
  prefix.push(name);
  hooks.push([...hooks.at(-1)!]);
  try {
    fn();
  } finally {
    prefix.pop();
    hooks.pop();
  }
  schedule();
}

describe.each = <T extends readonly unknown[]>(table: readonly T[]) =>
  (name: string, fn: (...args: T) => void): void => {
    for (const row of table) {
      let i = 0;
      const title = name.replace(/%[sdi]/g, () => String(row[i++]));
      describe(title, () => fn(...row));
    }
  };

export function it(name: string, fn: Fn, _timeout?: number): void {
  tests.push({ name: [...prefix, name].join(' > '), fn, afterEach: [...hooks.at(-1)!] });
  schedule();
}
export const test = it;

export function afterEach(fn: Fn): void {
  hooks.at(-1)!.push(fn);
}

async function runAll(): Promise<void> {
  const failures: { name: string; error: string }[] = [];
  let passed = 0;
  for (const t of tests) {
    try {
      await t.fn();
      passed++;
    } catch (e) {
      failures.push({ name: t.name, error: e instanceof Error ? e.message : String(e) });
    }
    for (const h of t.afterEach) await h();
  }
  const file = process.argv[1]?.split('/').pop() ?? '?';
  console.log(JSON.stringify({ file, passed, failed: failures.length, failures }));
  process.exit(failures.length > 0 ? 1 : 0);
}

// ---- expect ----

class AssertionError extends Error {}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}[${Array.from(v as unknown as ArrayLike<number>).slice(0, 8).join(', ')}${(v as unknown as ArrayLike<number>).length > 8 ? ', …' : ''}]`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 300 ? s.slice(0, 300) + '…' : s;
  } catch {
    return String(v);
  }
}

const tag = (v: unknown) => Object.prototype.toString.call(v);

/** vitest's toEqual: same type tag, equal elements, equal defined properties. */
function equals(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (tag(a) !== tag(b)) return false;
  if (a instanceof RegExp || a instanceof Date) return String(a) === String(b);
  if (Array.isArray(a) || ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equals(x[i], y[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!equals(ra[k], rb[k])) return false;
  return true;
}

/** toMatchObject: every property of `want` equal (recursively a subset for objects). */
function matches(got: unknown, want: unknown): boolean {
  if (typeof want !== 'object' || want === null || Array.isArray(want) || ArrayBuffer.isView(want)) return equals(got, want);
  if (typeof got !== 'object' || got === null) return false;
  return Object.entries(want).every(([k, v]) => matches((got as Record<string, unknown>)[k], v));
}

function thrownMatches(e: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = e instanceof Error ? e.message : String(e);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'string') return message.includes(expected);
  if (typeof expected === 'function') return e instanceof (expected as new () => unknown);
  return false;
}

type Matchers = {
  toBe(v: unknown): void;
  toEqual(v: unknown): void;
  toMatchObject(v: unknown): void;
  toThrow(v?: unknown): void;
  toBeNull(): void;
  toBeLessThan(v: number): void;
  toBeLessThanOrEqual(v: number): void;
  toBeGreaterThan(v: number): void;
  toBeGreaterThanOrEqual(v: number): void;
  toBeCloseTo(v: number, digits?: number): void;
  toMatch(v: RegExp | string): void;
  toContain(v: unknown): void;
};

function matchers(got: unknown, message: string | undefined, negate: boolean): Matchers {
  const check = (ok: boolean, what: string) => {
    if (ok === negate) throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(got)} ${negate ? 'not ' : ''}${what}`);
  };
  return {
    toBe: (v) => check(Object.is(got, v), `to be ${show(v)}`),
    toEqual: (v) => check(equals(got, v), `to equal ${show(v)}`),
    toMatchObject: (v) => check(matches(got, v), `to match ${show(v)}`),
    toThrow: (v) => {
      let threw = false;
      let error: unknown;
      try {
        (got as Fn)();
      } catch (e) {
        threw = true;
        error = e;
      }
      const ok = threw && thrownMatches(error, v);
      if (ok === negate) {
        const what = threw ? `threw "${error instanceof Error ? error.message : String(error)}"` : 'did not throw';
        throw new AssertionError(`${message ? message + ': ' : ''}expected the function ${negate ? 'not ' : ''}to throw ${v === undefined ? '' : show(String(v))}; it ${what}`);
      }
    },
    toBeNull: () => check(got === null, 'to be null'),
    toBeLessThan: (v) => check((got as number) < v, `to be < ${v}`),
    toBeLessThanOrEqual: (v) => check((got as number) <= v, `to be ≤ ${v}`),
    toBeGreaterThan: (v) => check((got as number) > v, `to be > ${v}`),
    toBeGreaterThanOrEqual: (v) => check((got as number) >= v, `to be ≥ ${v}`),
    toBeCloseTo: (v, digits = 2) => check(Math.abs((got as number) - v) < 10 ** -digits / 2, `to be close to ${v} (${digits} digits)`),
    toMatch: (v) => check(typeof v === 'string' ? String(got).includes(v) : v.test(String(got)), `to match ${String(v)}`),
    toContain: (v) => check(typeof got === 'string' ? got.includes(String(v)) : (got as unknown[]).includes(v), `to contain ${show(v)}`),
  };
}

export function expect(got: unknown, message?: string): Matchers & { not: Matchers; rejects: { toThrow(v?: unknown): Promise<void> } } {
  return {
    ...matchers(got, message, false),
    not: matchers(got, message, true),
    rejects: {
      async toThrow(v?: unknown) {
        try {
          await got;
        } catch (e) {
          if (thrownMatches(e, v)) return;
          throw new AssertionError(`${message ? message + ': ' : ''}rejected with "${e instanceof Error ? e.message : String(e)}", expected ${show(String(v))}`);
        }
        throw new AssertionError(`${message ? message + ': ' : ''}expected a rejection, it resolved`);
      },
    },
  };
}

expect.fail = (message: string): never => {
  throw new AssertionError(message);
};
