/**
 * Waiting on the GPU without taking a core from it (Node on Linux).
 *
 * While a promise of Dawn's Node bindings is pending, the main thread polls for it. On a
 * software GPU (lavapipe) the GPU's work runs on worker threads of the same few cores, so that
 * polling slows the very work it waits for. Linux applies `setpriority` to the calling thread
 * only: raising the main thread's nice value to 19 while it waits lets the workers run first
 * (measured: a training step 0.89–0.91× as long, docs/BENCHMARKS.md).
 *
 * Lowering the nice value back needs permission (root, or an RLIMIT_NICE that allows it); a
 * main thread left at 19 would record every step behind the image-decoding workers, so the
 * wrapper is only offered where a probe shows that the priority can be restored.
 */
import os from 'node:os';

export type HostWait = <T>(wait: () => Promise<T>) => Promise<T>;

/** Whether this process may lower its main thread's nice value again (probed once, +1 and back). */
function canRestorePriority(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const before = os.getPriority(0);
    if (before >= 19) return false;
    os.setPriority(0, before + 1);
    os.setPriority(0, before);
    return os.getPriority(0) === before;
  } catch {
    return false;
  }
}

/**
 * A wait that runs at nice 19 and restores the thread's priority afterwards, or null where it
 * cannot (not Linux, no permission, or ALEXNET_QUIET_WAIT=0).
 */
export function quietHostWait(env: NodeJS.ProcessEnv = process.env): HostWait | null {
  if (env.ALEXNET_QUIET_WAIT === '0' || !canRestorePriority()) return null;
  return async <T>(wait: () => Promise<T>): Promise<T> => {
    const before = os.getPriority(0);
    os.setPriority(0, 19);
    try {
      return await wait();
    } finally {
      os.setPriority(0, before);
    }
  };
}
