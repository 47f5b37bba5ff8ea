/**
 * Worker-thread side of the pool: runs one task per message and posts the result back
 * (a rendered batch's buffer is transferred, not copied). Loaded through worker-entry.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { type Task, runTask } from './tasks.js';

if (!parentPort) throw new Error('src/data/worker.ts must be run as a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; task: Task }) => {
  try {
    const result = runTask(msg.task);
    if (result instanceof Float32Array) port.postMessage({ id: msg.id, ok: true, result }, [result.buffer as ArrayBuffer]);
    else port.postMessage({ id: msg.id, ok: true, result });
  } catch (e) {
    port.postMessage({ id: msg.id, ok: false, error: (e as Error).stack ?? String(e) });
  }
});
