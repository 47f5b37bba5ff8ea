/**
 * Small PNGs of every colour type, written by hand (zlib + CRC) so the tests control exactly
 * what is in them: bit depths 1, 8 and 16, palette with tRNS, colour-key tRNS, alpha.
 * Pixel values come from a fixed LCG, so they are the same on every run.
 */
import { deflateSync } from 'node:zlib';
import { pngChunk as chunk } from '../data/helpers.js';

export interface PngSpec {
  name: string;
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 8 | 16;
  trns?: Uint8Array;
  palette?: Uint8Array;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function makePng(s: PngSpec, seed = 1): Uint8Array {
  let state = seed >>> 0;
  const rnd = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 16;
  const bitsPerPixel = CHANNELS[s.colorType] * s.bitDepth;
  const rowBytes = Math.ceil((s.width * bitsPerPixel) / 8);
  const raw = new Uint8Array((rowBytes + 1) * s.height);
  for (let y = 0; y < s.height; y++) {
    raw[y * (rowBytes + 1)] = 0; // filter: none
    for (let i = 0; i < rowBytes; i++) {
      let v = rnd() & 0xff;
      if (s.colorType === 3) v = v % (s.palette!.length / 3);
      raw[y * (rowBytes + 1) + 1 + i] = v;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, s.width);
  dv.setUint32(4, s.height);
  ihdr[8] = s.bitDepth;
  ihdr[9] = s.colorType;
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (s.palette) parts.push(chunk('PLTE', s.palette));
  if (s.trns) parts.push(chunk('tRNS', s.trns));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const palette = Uint8Array.from({ length: 16 * 3 }, (_, i) => (i * 37 + 11) & 0xff);

export const PNG_CASES: PngSpec[] = [
  { name: 'rgb8', width: 23, height: 17, colorType: 2, bitDepth: 8 },
  { name: 'rgba8', width: 23, height: 17, colorType: 6, bitDepth: 8 },
  { name: 'grey8', width: 23, height: 17, colorType: 0, bitDepth: 8 },
  { name: 'greyalpha8', width: 23, height: 17, colorType: 4, bitDepth: 8 },
  { name: 'grey1', width: 23, height: 17, colorType: 0, bitDepth: 1 },
  { name: 'palette-trns', width: 23, height: 17, colorType: 3, bitDepth: 8, palette, trns: Uint8Array.from({ length: 16 }, (_, i) => i * 17) },
  { name: 'rgb8-colorkey', width: 23, height: 17, colorType: 2, bitDepth: 8, trns: new Uint8Array([0, 7, 0, 7, 0, 7]) },
  { name: 'rgb16', width: 23, height: 17, colorType: 2, bitDepth: 16 },
  { name: 'rgba16', width: 23, height: 17, colorType: 6, bitDepth: 16 },
];
