/**
 * One training run per output folder: `OUT/.lock` holds the owner's pid, host and start time
 * for the life of the run. A second run on the same folder is refused with who holds it; a
 * lock whose process is gone (same host, pid not running) is stale and taken over. The lock
 * is created with O_EXCL, so two runs starting at the same moment cannot both win.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/platform/node-gpu.js';

export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed run whose parent died too can linger as a zombie until it is reaped: not running.
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return true;
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

export function acquireRunLock(dir: string, log: (m: string) => void = (m) => console.log(m)): RunLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, '.lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me, null, 2) + '\n');
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // Only ever remove our own lock.
        if (readOwner(path)?.pid === me.pid && readOwner(path)?.host === me.host) {
          try {
            unlinkSync(path);
          } catch {
            /* already gone */
          }
        }
      };
      process.once('exit', release);
      return { path, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(path);
    if (owner && owner.host !== me.host) {
      throw new UserError(
        `${dir} is locked by a training run on host ${owner.host} (pid ${owner.pid}, since ${owner.started}); ` +
          `pick another --out, or delete ${path} if that run is over`,
      );
    }
    if (owner && alive(owner.pid)) {
      throw new UserError(
        `${dir} is in use by another training run (pid ${owner.pid}, since ${owner.started}); wait for it to end, or pick another --out`,
      );
    }
    // Stale (its process is gone) or unreadable (a crash while writing it): move it aside
    // atomically, so of two runs taking over the same stale lock only one succeeds.
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
      const moved = readOwner(aside);
      if (owner && (moved?.pid !== owner.pid || moved?.started !== owner.started)) {
        renameSync(aside, path); // a live run's fresh lock, taken between our read and rename: put it back
        continue;
      }
      unlinkSync(aside);
      log(`note: removed a stale lock in ${dir}${owner ? ` (pid ${owner.pid} from ${owner.started} is no longer running)` : ''}`);
    } catch {
      /* someone else took it over first: try again */
    }
  }
  throw new UserError(`could not lock ${dir} (another run keeps taking it); pick another --out`);
}
