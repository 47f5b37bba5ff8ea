/**
 * Crash-safe file replacement (Node only).
 *
 * The data goes to `<path>.tmp-<pid>-<random>` in the same directory (so the rename cannot cross
 * file systems), is fsync'd, then renamed over the target; finally the directory is fsync'd so
 * the rename itself survives a power cut (skipped where the platform refuses, e.g. Windows).
 * Readers therefore see either the complete old content or the complete new content, never a
 * partial file. On any failure the temp file is removed and the error re-thrown.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as nodePath from 'node:path';

export type AtomicWriteData = string | Uint8Array;

export interface AtomicWriteOptions {
  /** File mode for a newly created file (default 0o666, minus umask). */
  mode?: number;
}

function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Directory fsync is unsupported on some platforms (Windows: EPERM/EISDIR); best effort.
  } finally {
    await handle?.close().catch(() => {});
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort, see fsyncDir
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* ignore */
      }
    }
  }
}

/** Atomically replace `path` with `data` (see module comment). */
export async function writeFileAtomic(path: string, data: AtomicWriteData, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tempPathFor(path);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, 'wx', options.mode ?? 0o666);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await fsyncDir(nodePath.dirname(nodePath.resolve(path)));
}

/** Synchronous variant of writeFileAtomic, for exit handlers and simple scripts. */
export function writeFileAtomicSync(path: string, data: AtomicWriteData, options: AtomicWriteOptions = {}): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', options.mode ?? 0o666);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* ignore */
      }
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* ignore */
    }
    throw err;
  }
  fsyncDirSync(nodePath.dirname(nodePath.resolve(path)));
}
