/**
 * Where the project's data lives. Paths are resolved from this file's location, not the
 * working directory, so scripts and tests work from anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The real cats-and-dogs photos (train / validation / test × cats / dogs): `$CATS_AND_DOGS_DIR`
 * if set, else `../shared/datasets/cats_and_dogs` next to the project root.
 */
export function catsAndDogsDir(): string {
  return path.resolve(process.env.CATS_AND_DOGS_DIR || path.resolve(projectRoot, '../shared/datasets/cats_and_dogs'));
}

/** The generated synthetic dataset (git-ignored): `datasets/synthetic`. */
export function syntheticDir(): string {
  return path.resolve(projectRoot, 'datasets', 'synthetic');
}

/** The models the project ships (models/README.md), the one to use by default first. */
export const SHIPPED_MODELS = ['cats-dogs-best', 'cats-dogs-tutorial'] as const;

/**
 * The model predict and the page use when given no --model: the first shipped model that is
 * there (models/cats-dogs-best; the tutorial's model until the best one ships), else the
 * best one's folder, for the error message.
 */
export function defaultModelDir(): string {
  const dirs = SHIPPED_MODELS.map((n) => path.resolve(projectRoot, 'models', n));
  return dirs.find((d) => fs.existsSync(path.join(d, 'model.json'))) ?? dirs[0]!;
}
