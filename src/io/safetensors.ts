/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors), platform-neutral:
 * works on Uint8Array / ArrayBuffer only, no Node or DOM APIs.
 *
 * File layout:
 *   [0..8)        N, the header length, unsigned 64-bit little-endian
 *   [8..8+N)      UTF-8 JSON object:
 *                   { "__metadata__"?: {string: string},
 *                     "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, ... }
 *                 padded with trailing spaces (0x20) so that 8+N is a multiple of 8
 *   [8+N..EOF)    the byte buffer; data_offsets are relative to its start, little-endian data,
 *                 tensors contiguous with no gaps, and the last one ends exactly at EOF.
 *
 * The writer mirrors the reference Rust implementation: `__metadata__` first, tensors ordered by
 * dtype (widest first, which keeps every tensor naturally aligned) then by name, and the header
 * padded with spaces to a multiple of 8 bytes.
 */

export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL'
  | 'F8_E5M2'
  | 'F8_E4M3';

/** JS storage per dtype. F16/BF16 keep raw bit patterns in Uint16Array; BOOL and F8 in Uint8Array. */
export interface SafetensorsDataMap {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
  F8_E5M2: Uint8Array;
  F8_E4M3: Uint8Array;
}

export type SafetensorsTypedArray = SafetensorsDataMap[SafetensorsDtype];

export interface SafetensorsTensor<D extends SafetensorsDtype = SafetensorsDtype> {
  dtype: D;
  shape: number[];
  data: SafetensorsDataMap[D];
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

type TypedArrayCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): SafetensorsTypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

interface DtypeInfo {
  size: number;
  ctor: TypedArrayCtor;
  /** Position in the reference implementation's Dtype enum; higher sorts first when writing. */
  rank: number;
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  BOOL: { size: 1, ctor: Uint8Array as unknown as TypedArrayCtor, rank: 0 },
  U8: { size: 1, ctor: Uint8Array as unknown as TypedArrayCtor, rank: 1 },
  I8: { size: 1, ctor: Int8Array as unknown as TypedArrayCtor, rank: 2 },
  F8_E5M2: { size: 1, ctor: Uint8Array as unknown as TypedArrayCtor, rank: 3 },
  F8_E4M3: { size: 1, ctor: Uint8Array as unknown as TypedArrayCtor, rank: 4 },
  I16: { size: 2, ctor: Int16Array as unknown as TypedArrayCtor, rank: 5 },
  U16: { size: 2, ctor: Uint16Array as unknown as TypedArrayCtor, rank: 6 },
  F16: { size: 2, ctor: Uint16Array as unknown as TypedArrayCtor, rank: 7 },
  BF16: { size: 2, ctor: Uint16Array as unknown as TypedArrayCtor, rank: 8 },
  I32: { size: 4, ctor: Int32Array as unknown as TypedArrayCtor, rank: 9 },
  U32: { size: 4, ctor: Uint32Array as unknown as TypedArrayCtor, rank: 10 },
  F32: { size: 4, ctor: Float32Array as unknown as TypedArrayCtor, rank: 11 },
  F64: { size: 8, ctor: Float64Array as unknown as TypedArrayCtor, rank: 12 },
  I64: { size: 8, ctor: BigInt64Array as unknown as TypedArrayCtor, rank: 13 },
  U64: { size: 8, ctor: BigUint64Array as unknown as TypedArrayCtor, rank: 14 },
};

export const SAFETENSORS_DTYPES: readonly SafetensorsDtype[] = Object.keys(DTYPES) as SafetensorsDtype[];

/** Bytes per element of a safetensors dtype. */
export function dtypeByteSize(dtype: SafetensorsDtype): number {
  const info = DTYPES[dtype];
  if (!info) throw new Error(`unknown safetensors dtype ${JSON.stringify(dtype)}`);
  return info.size;
}

/** Largest header the reader accepts (same limit as the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteswapInPlace(bytes: Uint8Array, elemSize: number): void {
  if (elemSize === 1) return;
  for (let i = 0; i < bytes.length; i += elemSize) {
    for (let a = i, b = i + elemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isDim(d: unknown): d is number {
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

export interface SafetensorsInputTensor {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: ArrayBufferView;
}

/**
 * Serialize tensors (and optional string metadata) into safetensors bytes.
 * The data array must have exactly prod(shape) elements of the dtype's storage type
 * (see SafetensorsDataMap; any typed array with the same element size and kind is accepted).
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInputTensor>,
  metadata?: Record<string, string>,
): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved and cannot name a tensor');
    if (name.length === 0) throw new Error('safetensors: tensor names must be non-empty');
    const info = DTYPES[t.dtype];
    if (!info) throw new Error(`safetensors: tensor "${name}" has unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every(isDim)) {
      throw new Error(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const data = t.data;
    if (!ArrayBuffer.isView(data) || data instanceof DataView) {
      throw new Error(`safetensors: tensor "${name}" data must be a typed array`);
    }
    const ctorName = (data as unknown as { constructor: { name: string } }).constructor.name;
    const okCtor =
      data instanceof (info.ctor as unknown as typeof Uint8Array) ||
      ctorName === info.ctor.name ||
      (info.size === 1 && data instanceof Uint8ClampedArray);
    if (!okCtor) {
      throw new Error(`safetensors: tensor "${name}" is ${t.dtype} and needs a ${info.ctor.name}, got ${ctorName}`);
    }
    const n = numElements(t.shape);
    if (data.byteLength !== n * info.size) {
      throw new Error(
        `safetensors: tensor "${name}" has shape [${t.shape.join(', ')}] (${n} elements) but its data holds ` +
          `${data.byteLength / info.size} elements`,
      );
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors: metadata value for "${k}" must be a string`);
    }
  }

  // Widest dtype first, then name (byte-wise ordering of the UTF-16 names, like Rust's str cmp for ASCII).
  entries.sort(([na, a], [nb, b]) => {
    const r = DTYPES[b.dtype].rank - DTYPES[a.dtype].rank;
    if (r !== 0) return r;
    return na < nb ? -1 : na > nb ? 1 : 0;
  });

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    const len = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  const dataLen = offset;

  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  const headerLen = json.length + pad;
  const out = new Uint8Array(8 + headerLen + dataLen);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);

  let pos = 8 + headerLen;
  for (const [, t] of entries) {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    if (!HOST_LITTLE_ENDIAN) byteswapInPlace(out.subarray(pos, pos + src.length), DTYPES[t.dtype].size);
    pos += src.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

function damaged(problem: string): Error {
  return new Error(`damaged or truncated safetensors file: ${problem}`);
}

/**
 * Parse safetensors bytes. Every structural property is validated; any problem throws an Error
 * whose message starts with "damaged or truncated safetensors file: " followed by the specifics.
 * Tensor data is copied into fresh, properly aligned typed arrays (never views of `bytes`).
 */
export function decodeSafetensors(input: Uint8Array | ArrayBufferLike): SafetensorsFile {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) {
    throw damaged(`file is ${bytes.length} bytes, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw damaged(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(n64);
  if (8 + headerLen > bytes.length) {
    throw damaged(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }
  if (headerLen < 2) throw damaged(`header length ${headerLen} is too small to hold a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw damaged('header is not valid UTF-8');
  }
  if (text[0] !== '{') throw damaged('header does not start with "{"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw damaged(`header is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw damaged('header JSON is not an object');
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const infos: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw damaged('"__metadata__" is not an object of strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw damaged(`"__metadata__" entry "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw damaged(`entry for tensor "${name}" is not an object`);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPES, dtype)) {
      throw damaged(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      throw damaged(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isDim)) {
      throw damaged(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw damaged(`tensor "${name}" has data_offsets [${begin}, ${end}] with end before begin`);
    if (end > dataLen) {
      throw damaged(`tensor "${name}" data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data buffer`);
    }
    const dt = dtype as SafetensorsDtype;
    const expected = numElements(shape) * DTYPES[dt].size;
    if (end - begin !== expected) {
      throw damaged(
        `tensor "${name}" occupies ${end - begin} bytes but shape [${shape.join(', ')}] of ${dt} needs ${expected}`,
      );
    }
    infos.push({ name, dtype: dt, shape: [...shape], begin, end });
  }

  // The tensors must tile the data buffer exactly: no overlaps, no holes, nothing left over.
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of byOffset) {
    if (t.begin < cursor) {
      throw damaged(`tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (ends at ${cursor})`);
    }
    if (t.begin > cursor) {
      throw damaged(`gap of ${t.begin - cursor} unaccounted bytes before tensor "${t.name}" at data offset ${cursor}`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLen) {
    throw damaged(
      `tensors account for ${cursor} data bytes but the file has ${dataLen} after the header ` +
        `(${dataLen > cursor ? 'trailing bytes' : 'missing bytes'})`,
    );
  }

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const t of infos) {
    const info = DTYPES[t.dtype];
    // A fresh, offset-0 buffer. Not bytes.slice(): on a Node Buffer (readFileSync) slice is a view.
    const copy = new Uint8Array(t.end - t.begin);
    copy.set(bytes.subarray(dataStart + t.begin, dataStart + t.end));
    if (!HOST_LITTLE_ENDIAN) byteswapInPlace(copy, info.size);
    const data = new info.ctor(copy.buffer, 0, (t.end - t.begin) / info.size);
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data } as SafetensorsTensor;
  }
  return { tensors, metadata };
}
