/** Decompression-bomb files for the tests: tiny files whose headers declare huge images. */
import { encodeJpeg } from '../../src/data/jpeg-encode.js';
import { pngChunk, smoothImage } from './helpers.js';

/** A PNG that declares `width`×`height` RGB pixels and holds one empty IDAT: under 70 bytes. */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // zlib stream of nothing: header 78 9c, empty final stored block, Adler-32 of nothing (1).
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A real small JPEG whose SOF0 marker is rewritten to declare `width`×`height`. */
export function jpegBomb(width: number, height: number): Buffer {
  const b = Buffer.from(encodeJpeg(smoothImage(16, 16)));
  let p = 2;
  while (b[p + 1] !== 0xc0) p += 2 + b.readUInt16BE(p + 2);
  b.writeUInt16BE(height, p + 5);
  b.writeUInt16BE(width, p + 7);
  return b;
}
