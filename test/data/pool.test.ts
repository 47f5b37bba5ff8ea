/**
 * Worker threads: the TypeScript worker (src/data/worker.ts, loaded through worker-entry.mjs)
 * starts and computes the same results as the calling thread, both under vitest (this file)
 * and under `npx tsx` (a spawned scripts/bench-loader.ts run, which also checks that script);
 * errors inside a worker reach the caller; tasks beyond the worker count queue up.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/data/paths.js';
import { WorkerPool } from '../../src/data/pool.js';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { type DecodeOutcome, type DecodeTask, type RenderTask, runDecodeTask, runRenderTask } from '../../src/data/tasks.js';
import { tempDir } from './helpers.js';

let dir = '';
let files: string[] = [];
const pool = new WorkerPool(2);

beforeAll(async () => {
  dir = (await makeSyntheticDataset({ dir: path.join(tempDir(), 'syn'), seed: 9, size: 40, perClass: { train: 4, validation: 1, test: 1 } })).dir;
  const c = path.join(dir, 'train', 'circles');
  files = fs.readdirSync(c).map((f) => path.join(c, f));
});
afterAll(() => pool.close());

function decodeTask(cache: SharedArrayBuffer): DecodeTask {
  return { kind: 'decode', paths: [...files, path.join(dir, 'manifest.json')], slots: [0, 1, 2, 3, 4], cache, height: 16, width: 12, interpolation: 'bilinear', exifOrientation: true };
}

describe('worker pool under vitest', () => {
  it('workers decode into the shared cache exactly what the calling thread decodes', async () => {
    const a = new SharedArrayBuffer(5 * 16 * 12 * 3);
    const b = new SharedArrayBuffer(5 * 16 * 12 * 3);
    const viaWorker = await pool.run<DecodeOutcome[]>(decodeTask(a));
    const inline = runDecodeTask(decodeTask(b));
    expect(viaWorker).toEqual(inline);
    expect(viaWorker.slice(0, 4)).toEqual(new Array(4).fill({ ok: true, width: 40, height: 40 }));
    expect(viaWorker[4]).toMatchObject({ ok: false, reason: expect.stringMatching(/not a JPEG or PNG/) });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new Uint8Array(a).some((v) => v !== 0)).toBe(true);
  });

  it('queues more tasks than workers; all results come back, in order of their promises', async () => {
    const cache = new SharedArrayBuffer(4 * 16 * 12 * 3);
    await pool.run(decodeTask(cache as SharedArrayBuffer));
    const task = (epoch: number): RenderTask => ({
      kind: 'render', cache, height: 16, width: 12, slots: [0, 1, 2, 3], indices: [0, 1, 2, 3], seed: 1, epoch, augment: true,
      opts: { rotationRange: 30, horizontalFlip: true, rescale: 1 / 255 },
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, e) => pool.run<Float32Array>(task(e))));
    results.forEach((r, e) => expect(Array.from(r)).toEqual(Array.from(runRenderTask(task(e)))));
  });

  it('an exception inside a worker rejects that task with its message; the pool keeps working', async () => {
    const cache = new SharedArrayBuffer(16 * 12 * 3);
    const bad: RenderTask = {
      kind: 'render', cache, height: 16, width: 12, slots: [0], indices: [0], seed: 1, epoch: 0, augment: true,
      opts: { rotationRange: 5, fillMode: 'mirror' as 'wrap' },
    };
    await expect(pool.run(bad)).rejects.toThrow(/unknown fillMode 'mirror'/);
    const ok = await pool.run<Float32Array>({ ...bad, opts: { rotationRange: 5 } });
    expect(ok.length).toBe(16 * 12 * 3);
  });

  it('close() rejects what is still queued', async () => {
    const p = new WorkerPool(1);
    const cache = new SharedArrayBuffer(5 * 16 * 12 * 3);
    const first = p.run(decodeTask(cache));
    const queued = p.run(decodeTask(cache));
    first.catch(() => {});
    const check = expect(queued).rejects.toThrow(/closed/);
    await p.close();
    await check;
  });
});

describe('worker pool under npx tsx', () => {
  it('scripts/bench-loader.ts runs with 2 worker threads and writes its JSON', () => {
    const json = path.join(tempDir(), 'bench.json');
    const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(
      tsx,
      [path.join(projectRoot, 'scripts', 'bench-loader.ts'), '--dir', path.join(dir, 'train'), '--size', '32', '--batch-size', '4', '--epochs', '1', '--workers', '2', '--json', json],
      { encoding: 'utf8', cwd: projectRoot, timeout: 90_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cached epoch 2 \(augment only\)/);
    const res = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(res).toMatchObject({ images: 8, size: 32, batchSize: 4, workers: 2 });
    expect(res.imagesPerSecond).toBeGreaterThan(0);
    expect(res.cachedEpochSeconds).toHaveLength(1);
  });
});
