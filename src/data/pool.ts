/**
 * A small pool of worker threads for decoding and augmentation.
 *
 * - Workers start lazily, on the first task, from worker-entry.mjs (which loads the
 *   TypeScript worker through tsx's hooks; see there).
 * - Tasks queue in FIFO order and go to the first idle worker.
 * - Idle workers are `unref`'d, so an idle pool never keeps the process alive; a worker with
 *   a task is `ref`'d, so awaiting a task does.
 * - A worker that dies rejects its task and is replaced.
 * - `size: 0` is allowed: tasks then run synchronously on the calling thread (same results).
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { type Task, runTask } from './tasks.js';

/** Default worker count: the CPU count, at least 1, at most 4. */
export function defaultWorkerCount(): number {
  const n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, n));
}

interface Pending {
  id: number;
  task: Task;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export class WorkerPool {
  readonly size: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number = defaultWorkerCount()) {
    if (!(Number.isInteger(size) && size >= 0)) throw new Error(`WorkerPool: size must be an integer ≥ 0, got ${size}`);
    this.size = size;
  }

  /** Runs a task on a worker (or inline when size is 0). */
  run<R>(task: Task): Promise<R> {
    if (this.closed) return Promise.reject(new Error('WorkerPool is closed'));
    if (this.size === 0) {
      try {
        return Promise.resolve(runTask(task) as R);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(ENTRY, { execArgv: [] });
    const slot: Slot = { worker, busy: null };
    worker.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (msg.id === undefined || !slot.busy || slot.busy.id !== msg.id) return;
      const p = slot.busy;
      slot.busy = null;
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`data worker task failed: ${msg.error}`));
      this.pump();
    });
    const die = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      if (slot.busy) slot.busy.reject(err);
      slot.busy = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', (e) => die(new Error(`data worker crashed: ${e.stack ?? e.message}`)));
    worker.on('exit', (code) => die(new Error(`data worker exited with code ${code}`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot) {
        if (this.slots.length >= this.size) break;
        slot = this.spawn();
      }
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage({ id: p.id, task: p.task });
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }

  /** Terminates the workers; queued tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue) p.reject(new Error('WorkerPool closed'));
    this.queue = [];
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
