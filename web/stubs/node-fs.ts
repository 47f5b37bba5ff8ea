/**
 * Browser build stand-in for `node:fs`. scripts/lib/images.ts (whose inputsFor the page reuses
 * so that preprocessing is Node's) imports readFileSync for loadRgb, which the page never calls.
 */
export function readFileSync(): never {
  throw new Error('node:fs is not available in the browser build');
}
export default { readFileSync };
