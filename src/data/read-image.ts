/** Reading an image file (Node): JPEG or PNG, decoded to 8-bit RGB. */
import { readFileSync } from 'node:fs';
import { decodeImage } from './decode.js';
import type { RgbImage } from './image.js';

export function readImageFile(path: string): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(bytes);
}
