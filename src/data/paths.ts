/**
 * Where the project's data lives. Paths are resolved from this file's location, not the
 * working directory, so scripts and tests work from anywhere.
 */
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

/** The model the project ships and uses when a command is given no --model (models/README.md). */
export function defaultModelDir(): string {
  return path.resolve(projectRoot, 'models', 'cats-dogs-best');
}
