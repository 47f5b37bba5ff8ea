import { InvalidArgumentError } from 'commander';

/**
 * Flags of the small hand-parsed scripts (scripts/bench/*.ts run alone): the value after the
 * first of `names` present (`--image-size` and `--batch-size` as everywhere else, with the old
 * `--size` and `--batch` still understood).
 */
export function flagValue(args: readonly string[], names: readonly string[]): string | undefined {
  for (const name of names) {
    const i = args.indexOf(`--${name}`);
    if (i >= 0) return args[i + 1];
  }
  return undefined;
}

export const IMAGE_SIZE = ['image-size', 'size'] as const;
export const BATCH_SIZE = ['batch-size', 'batch'] as const;

/** A commander parser for an integer flag of at least `min`, with the usual one-line complaint. */
export function intAtLeast(min: number): (v: string) => number {
  const want = min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer ≥ ${min}`;
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected ${want}`);
    return n;
  };
}
