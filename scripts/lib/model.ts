/** Opening a saved model for a command: a damaged or mismatched one is one line for the user. */
import { CheckpointError, loadModel } from '../../src/io/checkpoint.js';
import type { GpuContext } from '../../src/kernels/context.js';
import { UserError } from '../../src/platform/node-gpu.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defaultModelDir } from '../../src/data/paths.js';
import { listDirectory, type DirectoryListing } from '../../src/data/directory.js';

/** The shipped model a command uses without --model; a clear line when it is not there. */
export function shippedModel(): string {
  const dir = defaultModelDir();
  if (!existsSync(join(dir, 'model.json'))) {
    throw new UserError(`no --model given, and the shipped model ${relative(process.cwd(), dir) || dir} is not there; pass --model DIR (e.g. runs/latest/best)`);
  }
  // Say which one: the default changes when models/cats-dogs-best ships (stderr, so --json stays clean).
  console.error(`model: ${relative(process.cwd(), dir) || dir} (the shipped default; --model DIR for another)`);
  return dir;
}

export function openModel(dir: string, ctx: GpuContext): ReturnType<typeof loadModel> {
  try {
    return loadModel(dir, ctx);
  } catch (e) {
    if (e instanceof CheckpointError) throw new UserError(e.message);
    throw e;
  }
}

/** The message for probabilities that are not finite numbers (the model overflows). */
export function nonFiniteOutput(probabilities: ArrayLike<number>): string {
  return `the model's output is not a probability (${Array.from(probabilities, String).join(', ')}): its weights overflow on this input; retrain, or use an earlier checkpoint`;
}

/** A folder of class sub-folders for this model: a missing folder or other classes are one line. */
export function listFolderFor(dir: string, classNames: string[], followLinks: boolean): DirectoryListing {
  let listing;
  try {
    listing = listDirectory(dir, { followLinks });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const got = listing.classNames;
  if (got.length !== classNames.length || got.some((n, i) => n !== classNames[i])) {
    throw new UserError(`the data's classes (${got.join(', ')}) differ from the model's (${classNames.join(', ')})`);
  }
  return listing;
}

/**
 * The --out of a command that writes a new model folder from existing ones (update-bn,
 * average): not one of the inputs, and, when it exists, a folder that is empty or that
 * --force lets the command write its model files into.
 */
export function checkNewModelFolder(out: string, inputs: readonly string[], force: boolean): void {
  const dir = resolve(out);
  if (inputs.some((m) => resolve(m) === dir)) throw new UserError(`--out ${out} is an input model's folder; give a new folder, the inputs are kept as they are`);
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UserError(`--out ${out} exists and is not a folder`);
  if (readdirSync(dir).length > 0 && !force) throw new UserError(`--out ${out} exists and is not empty (--force replaces the model files in it)`);
}
