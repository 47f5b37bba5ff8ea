/** Reading an image file for predict and evaluate (Node); preprocessing is src/data/preprocess.ts. */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../src/data/decode.js';
import type { RgbImage } from '../../src/data/image.js';

export { inputsFor } from '../../src/data/preprocess.js';

export function loadRgb(path: string): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(bytes);
}
