/**
 * HDF5 files as bytes, through h5wasm (the HDF5 C library compiled to WebAssembly, in Node and
 * the browser alike): open bytes for reading, or build a file and get its bytes back. The
 * files live in h5wasm's in-memory file system only while a call runs; nothing here touches
 * the disk, so callers (the convert CLI, the web page) do their own file I/O.
 *
 * h5wasm is loaded on first use (it is a 4 MB module), and its error handler is switched to
 * throwing so that HDF5's diagnostics become one exception instead of lines on stderr.
 */
import type * as H5 from 'h5wasm';

export type H5Group = H5.Group;
export type H5File = H5.File;
export type H5Dataset = H5.Dataset;

export class Hdf5Error extends Error {}

type H5Lib = typeof H5.default;
let lib: Promise<{ h5: H5Lib; fs: NonNullable<typeof H5.FS> }> | null = null;

function h5wasm(): Promise<{ h5: H5Lib; fs: NonNullable<typeof H5.FS> }> {
  lib ??= import('h5wasm').then(async (m) => {
    const h5 = m.default;
    const mod = await h5.ready;
    mod.activate_throwing_error_handler();
    return { h5, fs: mod.FS as NonNullable<typeof H5.FS> };
  });
  return lib;
}

let counter = 0;
const scratchName = (what: string) => `/${what}-${Date.now().toString(36)}-${(counter++).toString(36)}.h5`;

/** HDF5's signature; a file starts with it (at offset 0, 512, 1024, … with a user block). */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function looksLikeHdf5(bytes: Uint8Array): boolean {
  for (let off = 0; off + 8 <= bytes.length; off = off === 0 ? 512 : off * 2) {
    if (SIGNATURE.every((b, i) => bytes[off + i] === b)) return true;
  }
  return false;
}

/** The first line of an HDF5 diagnostic (h5wasm throws the whole stack). */
function firstLine(e: unknown): string {
  const lines = String((e as Error)?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
  const minor = lines.find((l) => l.startsWith('minor:'));
  const where = lines.find((l) => /^#\d+:/.test(l));
  const fn = where?.match(/in (\w+)\(\): (.*)$/);
  return fn ? `${fn[2]}${minor ? ` (${minor.slice(6).trim()})` : ''}` : lines[0] ?? 'unknown HDF5 error';
}

/** Opens `bytes` as an HDF5 file for `read`, which must not keep references past its return. */
export async function readHdf5<T>(bytes: Uint8Array, what: string, read: (f: H5File) => T): Promise<T> {
  if (!looksLikeHdf5(bytes)) throw new Hdf5Error(`${what} is not an HDF5 file (no HDF5 signature)`);
  const { h5, fs } = await h5wasm();
  const name = scratchName('read');
  fs.writeFile(name, bytes);
  let f: H5File | null = null;
  try {
    try {
      f = new h5.File(name, 'r');
    } catch (e) {
      throw new Hdf5Error(`${what} is damaged or truncated: ${firstLine(e)}`);
    }
    try {
      return read(f);
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith('HDF5-DIAG')) throw e;
      throw new Hdf5Error(`${what} is damaged: ${firstLine(e)}`);
    }
  } finally {
    try {
      f?.close();
    } finally {
      fs.unlink(name);
    }
  }
}

/**
 * Builds a new HDF5 file with `write` and returns its bytes. The file format is kept to
 * HDF5 1.8–1.10 structures, which every h5py (and so Keras) can read.
 */
export async function writeHdf5(write: (f: H5File) => void): Promise<Uint8Array> {
  const { h5, fs } = await h5wasm();
  const name = scratchName('write');
  try {
    const f = new h5.File(name, 'w', { libver: ['earliest', 'v110'] });
    try {
      write(f);
    } finally {
      f.close();
    }
    return fs.readFile(name);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('HDF5-DIAG')) throw new Hdf5Error(`cannot write the HDF5 file: ${firstLine(e)}`);
    throw e;
  } finally {
    try {
      fs.unlink(name);
    } catch {
      // never created
    }
  }
}

/** A string attribute (fixed- or variable-length, as h5py writes bytes or str), or undefined. */
export function stringAttr(obj: H5Group | H5Dataset, name: string): string | undefined {
  const a = obj.attrs[name];
  if (!a) return undefined;
  const v = a.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

/**
 * A list-of-strings attribute as Keras writes `layer_names` and `weight_names`
 * (save_attributes_to_hdf5_group): one array, or chunks NAME0, NAME1, … when it was too big
 * for one object header; absent or an empty (float64) array means none.
 */
export function stringListAttr(obj: H5Group, name: string): string[] {
  const one = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.map((x) => String(x));
    return []; // an empty numeric array: h5py's np.asarray([])
  };
  if (obj.attrs[name]) return one(obj.attrs[name]!.value);
  const out: string[] = [];
  for (let i = 0; obj.attrs[`${name}${i}`]; i++) out.push(...one(obj.attrs[`${name}${i}`]!.value));
  return out;
}

/** Fixed-length ASCII strings, as h5py stores Python bytes (what Keras's `.encode('utf8')` gives). */
export function writeBytesAttr(obj: H5Group, name: string, value: string | string[]): void {
  const list = Array.isArray(value) ? value : [value];
  for (const s of list) {
    if (!/^[\x20-\x7e]*$/.test(s)) throw new Hdf5Error(`attribute ${name}: '${s}' is not plain ASCII`);
  }
  // NUL-terminated fixed length: one byte more than the longest string.
  const len = Math.max(1, ...list.map((s) => s.length)) + 1;
  if (Array.isArray(value)) obj.create_attribute(name, list, [list.length], `A${len}`);
  else obj.create_attribute(name, value, null, `A${len}`);
}

/** An empty list attribute: what h5py stores for `attrs[name] = []` (float64, shape [0]). */
export function writeEmptyListAttr(obj: H5Group, name: string): void {
  obj.create_attribute(name, new Float64Array(0), [0], '<d');
}
