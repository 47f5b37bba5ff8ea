/**
 * The two kinds of CPU work of the loader, as plain functions of plain (structured-cloneable)
 * messages, so that the same code runs in a worker thread (worker.ts) or, with `workers: 0`, on
 * the calling thread. Images live in one cache of `count × height × width × 3` bytes (a
 * SharedArrayBuffer when workers are used): slot i holds image i.
 */
import * as fs from 'node:fs';
import { type AugmentOptions, imageRng, outputSize, renderImage } from './augment.js';
import { decodeImage } from './decode.js';
import { type Interpolation, resizeImage } from './resize.js';

export interface DecodeTask {
  kind: 'decode';
  paths: string[];
  slots: number[];
  cache: SharedArrayBuffer | ArrayBuffer;
  height: number;
  width: number;
  interpolation: Interpolation;
  exifOrientation: boolean;
}

export type DecodeOutcome = { ok: true; width: number; height: number } | { ok: false; reason: string };

export interface RenderTask {
  kind: 'render';
  cache: SharedArrayBuffer | ArrayBuffer;
  height: number;
  width: number;
  /** Cache slot of each image of the batch. */
  slots: number[];
  /** Dataset index of each image (seeds its augmentation). */
  indices: number[];
  seed: number;
  epoch: number;
  augment: boolean;
  opts: AugmentOptions;
}

export type Task = DecodeTask | RenderTask;

/** Reads, decodes and resizes each file into its cache slot; never throws for a bad file. */
export function runDecodeTask(t: DecodeTask): DecodeOutcome[] {
  const cache = new Uint8Array(t.cache);
  const n = t.height * t.width * 3;
  return t.paths.map((p, i): DecodeOutcome => {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(p);
    } catch (e) {
      return { ok: false, reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
    try {
      const img = decodeImage(bytes, { exifOrientation: t.exifOrientation });
      resizeImage(img, t.width, t.height, t.interpolation, cache, t.slots[i]! * n);
      return { ok: true, width: img.width, height: img.height };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  });
}

/** Number of float32 values one rendered image (or its ten crops) takes. */
export function renderedSize(opts: AugmentOptions, height: number, width: number): number {
  const [oh, ow] = outputSize(opts, height, width);
  return oh * ow * 3 * (opts.tenCrop !== undefined ? 10 : 1);
}

/** Renders a batch (NHWC float32) from the cache. */
export function runRenderTask(t: RenderTask): Float32Array {
  const cache = new Uint8Array(t.cache);
  const per = renderedSize(t.opts, t.height, t.width);
  const out = new Float32Array(per * t.slots.length);
  const n = t.height * t.width * 3;
  for (let k = 0; k < t.slots.length; k++) {
    const rng = t.augment ? imageRng(t.seed, t.epoch, t.indices[k]!) : null;
    renderImage({ data: cache, offset: t.slots[k]! * n, height: t.height, width: t.width }, t.opts, t.augment, rng, out, k * per);
  }
  return out;
}

export function runTask(t: Task): DecodeOutcome[] | Float32Array {
  return t.kind === 'decode' ? runDecodeTask(t) : runRenderTask(t);
}
