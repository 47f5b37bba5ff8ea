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
 * - Symbolic links, as Keras (`follow_links=False`, i.e. `os.walk(followlinks=False)`): a class
 *   folder may itself be a link; inside it, a link to a FILE is listed (os.walk lists it among
 *   the files), and so is a dangling link (its read then fails and the loader's warning names
 *   it); a link to a FOLDER is not entered (listed in `skippedLinks`), so a loop or a link to a
 *   parent cannot repeat files or put one class's photos under another. With
 *   `followLinks: true` linked folders are entered, each real folder once: one already walked
 *   for this class, or one holding the class folder (a loop), is skipped.
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
  /**
   * Links to folders inside class folders that were not entered (relative to `dir`): all of
   * them without `followLinks`, the looping ones with it.
   */
  skippedLinks: string[];
}

export interface ListOptions {
  /** Class sub-folders to use, in label order (default: all, sorted by name). */
  classes?: readonly string[];
  /**
   * Enter symbolic links to folders inside class folders (default false, as Keras's
   * `follow_links`). Each real folder is walked once per class; loops are skipped.
   */
  followLinks?: boolean;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function realPath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

const inside = (p: string, folder: string) => p === folder || p.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);

interface Walk {
  followLinks: boolean;
  /** Real path of the class folder being walked. */
  classReal: string;
  /** Real paths of the folders walked so far for this class (only kept when following links). */
  walked: Set<string>;
  skippedLinks: string[];
}

/** The files under a folder of a class, sorted, recursively. */
function walkFiles(dir: string, w: Walk): string[] {
  if (w.followLinks) {
    const real = realPath(dir);
    if (real === null || w.walked.has(real)) return []; // reached before, through a link
    w.walked.add(real);
  }
  const out: string[] = [];
  const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const p = path.join(dir, name);
    let lst: fs.Stats;
    try {
      lst = fs.lstatSync(p);
    } catch {
      continue; // removed while listing
    }
    if (lst.isDirectory()) {
      out.push(...walkFiles(p, w));
    } else if (lst.isFile()) {
      out.push(p);
    } else if (lst.isSymbolicLink()) {
      let st: fs.Stats | null = null;
      try {
        st = fs.statSync(p);
      } catch {
        // dangling (or a link loop): listed, so the loader names it when it cannot read it
      }
      if (!st) out.push(p);
      else if (st.isFile()) out.push(p);
      else if (st.isDirectory()) {
        const real = w.followLinks ? realPath(p) : null;
        // A link to the class folder or above it is a loop: it would walk the class again.
        if (real === null || inside(w.classReal, real) || w.walked.has(real)) w.skippedLinks.push(p);
        else out.push(...walkFiles(p, w));
      }
      // links to anything else (devices, pipes) are not images and could block a read
    }
  }
  return out;
}

/** Lists the classes and files of a directory dataset; throws {@link DatasetError}. */
export function listDirectory(dir: string, opts: ListOptions = {}): DirectoryListing {
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
  const skipped: string[] = [];
  classNames.forEach((name, label) => {
    classIndices[name] = label;
    const cdir = path.join(root, name);
    const found = walkFiles(cdir, { followLinks: opts.followLinks ?? false, classReal: realPath(cdir) ?? cdir, walked: new Set(), skippedLinks: skipped });
    if (found.length === 0) throw new DatasetError(`Class folder ${cdir} is empty (class '${name}' has no files)`);
    for (const p of found) files.push({ path: p, relPath: path.relative(root, p), label });
  });
  return { dir: root, classNames, classIndices, files, skippedLinks: skipped.map((p) => path.relative(root, p)) };
}
