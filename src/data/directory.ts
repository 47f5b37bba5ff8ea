/**
 * Listing a directory dataset the way Keras's `flow_from_directory` does:
 *
 *   dir/
 *     cats/  cat.0.jpg  cat.1.jpg …     → class 0
 *     dogs/  dog.0.jpg  …               → class 1
 *
 * - Classes are the sub-folders, sorted by name (code-point order, as Python's `sorted`), and
 *   numbered from 0 in that order — or the folders named in `classes`, numbered in that order.
 * - Every file under a class folder, recursively (sub-folders in sorted order), is a candidate
 *   image in sorted-name order; whether it IS an image is decided later from its bytes, not
 *   its extension. Names starting with '.' (.DS_Store, editor droppings) are ignored.
 * - Problems that make training meaningless are thrown here, before any decoding, as a
 *   {@link DatasetError} naming the path: missing folder, a path that is not a folder, fewer
 *   than two classes, a class folder that is missing or holds no files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export interface ImageFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the data folder, e.g. `cats/cat.0.jpg` (for messages). */
  relPath: string;
  label: number;
}

export interface DirectoryListing {
  dir: string;
  classNames: string[];
  classIndices: Record<string, number>;
  files: ImageFile[];
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const p = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(p); // follows symbolic links; a dangling link is ignored
    } catch {
      continue;
    }
    if (st.isDirectory()) out.push(...walkFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Lists the classes and files of a directory dataset; throws {@link DatasetError}. */
export function listDirectory(dir: string, opts: { classes?: readonly string[] } = {}): DirectoryListing {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) {
    throw new DatasetError(
      `Data folder not found: ${root} (expected a folder with one sub-folder of images per class, e.g. ${path.join(root, 'cats')} and ${path.join(root, 'dogs')})`,
    );
  }
  if (!isDir(root)) throw new DatasetError(`Data folder ${root} is not a folder`);
  let classNames: string[];
  if (opts.classes) {
    classNames = [...opts.classes];
    if (new Set(classNames).size !== classNames.length) {
      throw new DatasetError(`classes option names a class twice: ${classNames.join(', ')}`);
    }
    for (const c of classNames) {
      if (!isDir(path.join(root, c))) throw new DatasetError(`Class folder missing: ${path.join(root, c)} (named in classes)`);
    }
  } else {
    classNames = fs.readdirSync(root).filter((n) => !n.startsWith('.') && isDir(path.join(root, n))).sort();
  }
  if (classNames.length < 2) {
    throw new DatasetError(
      `Data folder ${root} has ${classNames.length} class folder${classNames.length === 1 ? '' : 's'}` +
        `${classNames.length ? ` (${classNames.join(', ')})` : ''}; need at least two (one sub-folder of images per class)`,
    );
  }
  const classIndices: Record<string, number> = {};
  const files: ImageFile[] = [];
  classNames.forEach((name, label) => {
    classIndices[name] = label;
    const cdir = path.join(root, name);
    const found = walkFiles(cdir);
    if (found.length === 0) throw new DatasetError(`Class folder ${cdir} is empty (class '${name}' has no files)`);
    for (const p of found) files.push({ path: p, relPath: path.relative(root, p), label });
  });
  return { dir: root, classNames, classIndices, files };
}
