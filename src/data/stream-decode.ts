/**
 * Decoding a dataset while it is being used (`flowFromDirectory({ stream: true })`): every
 * file's header is checked first (cheap: the format, the declared size), which fixes the
 * dataset and the number of batches before any pixel is decoded; then the images decode in
 * the background, in the order the first epoch needs them, a few chunks at a time so that
 * batch rendering on the same workers is never queued behind the whole dataset. A batch waits
 * only for its own images.
 *
 * A file whose header passes but whose data turns out damaged cannot be dropped any more (the
 * batch count is fixed): it is replaced by the next readable image of its class, in folder
 * order — deterministic, so a resumed run sees the same pixels — with a warning naming it.
 */
import * as fs from 'node:fs';
import { ImageDecodeError, probeImage } from './decode.js';
import type { ImageFile } from './directory.js';
import type { SkippedFile } from './loader-types.js';
import type { WorkerPool } from './pool.js';
import type { Interpolation } from './resize.js';
import type { DecodeOutcome } from './tasks.js';

export interface ProbeResult {
  kept: { file: ImageFile; size: [number, number] }[];
  skipped: SkippedFile[];
}

/** Header checks of every file, on this thread (reads each file once; decodes nothing). */
export function probeFiles(files: readonly ImageFile[]): ProbeResult {
  const kept: ProbeResult['kept'] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    try {
      const { width, height } = probeImage(fs.readFileSync(file.path));
      kept.push({ file, size: [width, height] });
    } catch (e) {
      const reason =
        e instanceof ImageDecodeError ? e.message : `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      skipped.push({ path: file.path, relPath: file.relPath, reason });
    }
  }
  return { kept, skipped };
}

export interface BackgroundDecode {
  /** Resolves once image `slot` is in the cache. */
  ready(slot: number): Promise<void>;
  /** Resolves once every image is in the cache. */
  readonly decoded: Promise<void>;
  /** Stops scheduling (pending chunks finish or are rejected by the pool). */
  stop(): void;
}

export interface BackgroundDecodeOptions {
  files: readonly ImageFile[];
  /** Order to decode in (dataset indices): the first epoch's. */
  order: ArrayLike<number>;
  pool: WorkerPool;
  cache: SharedArrayBuffer | ArrayBuffer;
  height: number;
  width: number;
  interpolation: Interpolation;
  exifOrientation: boolean;
  chunk: number;
  onProgress?: (done: number, total: number) => void;
  onWarning: (message: string, skipped: SkippedFile[]) => void;
}

export function decodeInBackground(o: BackgroundDecodeOptions): BackgroundDecode {
  const n = o.files.length;
  const settle: (() => void)[] = new Array(n);
  const readyPromises = Array.from({ length: n }, (_, i) => new Promise<void>((res) => (settle[i] = res)));
  const imageBytes = o.height * o.width * 3;
  const cache = new Uint8Array(o.cache);
  const chunks: number[][] = [];
  for (let s = 0; s < n; s += o.chunk) chunks.push(Array.from(Array.prototype.slice.call(o.order, s, Math.min(n, s + o.chunk)) as number[]));
  // Enough chunks in flight to keep every worker busy, few enough that a render task posted
  // now waits for at most about one chunk per worker.
  const inFlight = Math.max(1, o.pool.size);
  let next = 0;
  let done = 0;
  let stopped = false;
  let failStop: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, rej) => (failStop = rej));
  failed.catch(() => {});

  /** The next readable image of the same class after `slot`, in folder order (cyclic). */
  const substituteFor = (slot: number, bad: Set<number>): number | null => {
    for (let k = 1; k < n; k++) {
      const j = (slot + k) % n;
      if (o.files[j]!.label === o.files[slot]!.label && !bad.has(j)) return j;
    }
    return null;
  };
  const bad = new Set<number>();
  const replace = async (slot: number, reason: string) => {
    bad.add(slot);
    const sub = substituteFor(slot, bad);
    const f = o.files[slot]!;
    if (sub === null) {
      failStop(new Error(`${f.relPath}: ${reason}, and no other image of its class is readable`));
      return;
    }
    await readyPromises[sub];
    cache.copyWithin(slot * imageBytes, sub * imageBytes, (sub + 1) * imageBytes);
    o.onWarning(`flowFromDirectory: ${f.relPath} could not be decoded (${reason}); using ${o.files[sub]!.relPath} in its place`, [
      { path: f.path, relPath: f.relPath, reason },
    ]);
    settle[slot]!();
  };

  const launch = (): void => {
    if (stopped || next >= chunks.length) return;
    const slots = chunks[next++]!;
    o.pool
      .run<DecodeOutcome[]>({
        kind: 'decode',
        paths: slots.map((i) => o.files[i]!.path),
        slots,
        cache: o.cache,
        height: o.height,
        width: o.width,
        interpolation: o.interpolation,
        exifOrientation: o.exifOrientation,
      })
      .then(
        (res) => {
          res.forEach((r, k) => (r.ok ? settle[slots[k]!]!() : void replace(slots[k]!, r.reason)));
          done += slots.length;
          o.onProgress?.(done, n);
          launch();
        },
        (e) => {
          if (!stopped) failStop(e);
        },
      );
  };
  for (let k = 0; k < inFlight; k++) launch();
  const all = Promise.all(readyPromises).then(() => undefined);
  return {
    ready: (slot) => Promise.race([readyPromises[slot]!, failed]),
    decoded: Promise.race([all, failed]),
    stop() {
      stopped = true;
    },
  };
}
