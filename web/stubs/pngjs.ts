/**
 * Browser build stand-in for `pngjs` (which needs Node's zlib and streams). src/data/decode.ts
 * imports it at the top; the page never calls decodePng (web/lib/images.ts decodes PNGs with
 * the browser's own decoder), so this only has to exist. See scripts/web.ts's esbuild plugin.
 */
function unavailable(): never {
  throw new Error('pngjs is not available in the browser build (web/lib/images.ts decodes PNGs with createImageBitmap)');
}

export const PNG = { sync: { read: unavailable, write: unavailable } };
export default { PNG };
