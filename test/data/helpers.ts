/**
 * Helpers shared by the data tests: temporary folders, a hand-rolled PNG writer (pngjs cannot
 * write palette, low-bit-depth or interlaced files, so the tests assemble those chunk by chunk),
 * and small image utilities.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll } from 'vitest';
import type { RgbImage } from '../../src/data/image.js';
import { projectRoot } from '../../src/data/paths.js';

const made: string[] = [];

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'data-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs a TypeScript script of the project as `node --import tsx script args…` — what
 * `npx tsx` runs, minus the extra parent process `npx tsx` starts (half the start-up cost).
 */
export function runScript(script: string, args: string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(projectRoot, script), ...args], {
    encoding: 'utf8',
    cwd: projectRoot,
    timeout: timeoutMs,
  });
}

export function writeFile(p: string, data: Uint8Array | string): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}

/** A smooth test image (gradients only), where JPEG errors stay small. */
export function smoothImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = Math.round(30 + (180 * x) / Math.max(1, width - 1));
      data[p + 1] = Math.round(220 - (160 * y) / Math.max(1, height - 1));
      data[p + 2] = Math.round(90 + (80 * (x + y)) / Math.max(1, width + height - 2));
    }
  }
  return { width, height, data };
}

/** Random RGB bytes from a seeded generator. */
export function randomImage(width: number, height: number, seed: number): RgbImage {
  let s = seed >>> 0;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

// ---------------------------------------------------------------------------------------------
// PNG writer

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface PngSpec {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples per pixel, row-major: pixels[y * width + x] = [s0, s1, …] at the file's bit depth. */
  pixels: number[][];
  palette?: [number, number, number][];
  /** Raw tRNS chunk data. */
  trns?: number[];
  interlace?: boolean;
}

function packRows(spec: PngSpec, xs: number[], ys: number[]): Buffer {
  const ch = CHANNELS[spec.colorType]!;
  const bits = spec.bitDepth;
  const rows: Buffer[] = [];
  for (const y of ys) {
    const rowBytes = Math.ceil((xs.length * ch * bits) / 8);
    const row = Buffer.alloc(1 + rowBytes); // filter type 0 (None)
    let bitPos = 0;
    for (const x of xs) {
      for (const s of spec.pixels[y * spec.width + x]!) {
        if (bits === 16) {
          row.writeUInt16BE(s, 1 + bitPos / 8);
        } else if (bits === 8) {
          row[1 + bitPos / 8] = s;
        } else {
          const byte = 1 + (bitPos >> 3);
          row[byte] = row[byte]! | (s << (8 - bits - (bitPos & 7)));
        }
        bitPos += bits;
      }
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/** Assembles a PNG file (unfiltered scanlines, zlib-deflated, valid CRCs). */
export function makePng(spec: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.bitDepth;
  ihdr[9] = spec.colorType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const range = (start: number, end: number, step: number) => {
    const r: number[] = [];
    for (let i = start; i < end; i += step) r.push(i);
    return r;
  };
  let raw: Buffer;
  if (spec.interlace) {
    raw = Buffer.concat(
      ADAM7.map(([x0, y0, dx, dy]) => {
        const xs = range(x0, spec.width, dx);
        const ys = range(y0, spec.height, dy);
        return xs.length && ys.length ? packRows(spec, xs, ys) : Buffer.alloc(0);
      }),
    );
  } else {
    raw = packRows(spec, range(0, spec.width, 1), range(0, spec.height, 1));
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (spec.palette) parts.push(pngChunk('PLTE', Uint8Array.from(spec.palette.flat())));
  if (spec.trns) parts.push(pngChunk('tRNS', Uint8Array.from(spec.trns)));
  parts.push(pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
