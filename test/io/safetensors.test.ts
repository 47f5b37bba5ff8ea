import { describe, expect, it } from 'vitest';
import {
  SAFETENSORS_DTYPES,
  decodeSafetensors,
  dtypeByteSize,
  encodeSafetensors,
  type SafetensorsInputTensor,
} from '../../src/io/safetensors.js';

const enc = new TextEncoder();

/** Assemble a file by hand: u64 LE header length, header text (padded to 8), data bytes. */
function handFile(header: string, data: number[] | Uint8Array, opts: { pad?: boolean; lenOverride?: bigint } = {}): Uint8Array {
  let h = enc.encode(header);
  if (opts.pad !== false) {
    const padded = new Uint8Array(Math.ceil(h.length / 8) * 8).fill(0x20);
    padded.set(h);
    h = padded;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.lenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors encode', () => {
  it('matches a hand-computed file byte for byte', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    // Header JSON is 54 bytes, padded with 2 spaces to 56; then 8 data bytes.
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(header.length).toBe(54);
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0, // header length, u64 LE
      ...Array.from(enc.encode(header)),
      0x20, 0x20, // padding to a multiple of 8
      0x00, 0x00, 0x80, 0x3f, // 1.0f LE
      0x00, 0x00, 0x00, 0x40, // 2.0f LE
    ];
    expect(bytes.length).toBe(72);
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('writes metadata first and orders tensors by dtype width then name', () => {
    const bytes = encodeSafetensors(
      {
        zeta: { dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 9]) },
        beta: { dtype: 'F32', shape: [1], data: new Float32Array([0.5]) },
        alpha: { dtype: 'F32', shape: [1], data: new Float32Array([-1]) },
        wide: { dtype: 'F64', shape: [1], data: new Float64Array([3]) },
      },
      { format: 'pt' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"wide":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"alpha":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"beta":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"zeta":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}',
    );
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    expect(bytes.length).toBe(8 + n + 19);
    // alpha = -1.0f = 0xbf800000 LE at data offset 8
    expect(Array.from(bytes.subarray(8 + n + 8, 8 + n + 12))).toEqual([0x00, 0x00, 0x80, 0xbf]);
    expect(Array.from(bytes.subarray(8 + n + 16))).toEqual([7, 8, 9]);
  });

  it('refuses mismatched data and bad names', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/3 elements/);
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Int32Array(2) } })).toThrow(/Float32Array/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).toThrow(/reserved/);
    expect(() =>
      encodeSafetensors({ a: { dtype: 'X9' as never, shape: [1], data: new Uint8Array(1) } }),
    ).toThrow(/unknown dtype/);
  });
});

describe('safetensors round trip', () => {
  function sample(dtype: (typeof SAFETENSORS_DTYPES)[number]): SafetensorsInputTensor {
    const shape = [2, 3];
    switch (dtype) {
      case 'F64':
        return { dtype, shape, data: new Float64Array([1.5, -2.25, Math.PI, 1e-300, -0, 6]) };
      case 'F32':
        return { dtype, shape, data: new Float32Array([1.5, -2.25, Math.PI, 1e-30, NaN, Infinity]) };
      case 'I64':
        return { dtype, shape, data: new BigInt64Array([1n, -2n, 3n, -(2n ** 62n), 2n ** 62n, 0n]) };
      case 'U64':
        return { dtype, shape, data: new BigUint64Array([1n, 2n, 3n, 2n ** 64n - 1n, 5n, 0n]) };
      case 'I32':
        return { dtype, shape, data: new Int32Array([1, -2, 3, -(2 ** 31), 2 ** 31 - 1, 0]) };
      case 'U32':
        return { dtype, shape, data: new Uint32Array([1, 2, 3, 2 ** 32 - 1, 5, 0]) };
      case 'I16':
        return { dtype, shape, data: new Int16Array([1, -2, 3, -32768, 32767, 0]) };
      case 'U16':
      case 'F16':
      case 'BF16':
        return { dtype, shape, data: new Uint16Array([0x3c00, 0xc000, 3, 0xffff, 0x7e00, 0]) };
      case 'I8':
        return { dtype, shape, data: new Int8Array([1, -2, 3, -128, 127, 0]) };
      default:
        return { dtype, shape, data: new Uint8Array([1, 0, 3, 255, 127, 0]) };
    }
  }

  it('round-trips every dtype with shapes and metadata', () => {
    const input: Record<string, SafetensorsInputTensor> = {};
    for (const dt of SAFETENSORS_DTYPES) input[`t_${dt}`] = sample(dt);
    input.scalar = { dtype: 'F32', shape: [], data: new Float32Array([42]) };
    input.empty = { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) };
    const meta = { epoch: '7', note: 'héllo → wörld' };
    const bytes = encodeSafetensors(input, meta);
    const out = decodeSafetensors(bytes);
    expect(out.metadata).toEqual(meta);
    expect(Object.keys(out.tensors).sort()).toEqual(Object.keys(input).sort());
    for (const [name, t] of Object.entries(input)) {
      const got = out.tensors[name]!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(got.data.constructor).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as unknown as ArrayLike<number | bigint>));
      // copied into its own aligned buffer, not a view of the file
      expect(got.data.byteOffset).toBe(0);
      expect(got.data.buffer).not.toBe(bytes.buffer);
      expect(got.data.byteLength).toBe(dtypeByteSize(t.dtype) * t.shape.reduce((a, b) => a * b, 1));
    }
  });

  it('decodes from an ArrayBuffer and from an unaligned Uint8Array view', () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array([0.25, 0.5, 0.75]) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const view = shifted.subarray(3);
    expect(Array.from(decodeSafetensors(view).tensors.w!.data as Float32Array)).toEqual([0.25, 0.5, 0.75]);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(Array.from(decodeSafetensors(ab).tensors.w!.data as Float32Array)).toEqual([0.25, 0.5, 0.75]);
  });

  it('decodes a file written by hand without padding and with a different key order', () => {
    const file = handFile(
      '{"b":{"shape":[1],"dtype":"I32","data_offsets":[4,8]},"a":{"data_offsets":[0,4],"dtype":"I32","shape":[1]}}',
      [5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
      { pad: false },
    );
    const out = decodeSafetensors(file);
    expect(Array.from(out.tensors.a!.data as Int32Array)).toEqual([5]);
    expect(Array.from(out.tensors.b!.data as Int32Array)).toEqual([-1]);
    expect(out.metadata).toEqual({});
  });
});

describe('safetensors refuses damaged files', () => {
  const good = encodeSafetensors(
    {
      a: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      b: { dtype: 'U8', shape: [4], data: new Uint8Array([1, 2, 3, 4]) },
    },
    { k: 'v' },
  );
  const hdrLen = Number(new DataView(good.buffer).getBigUint64(0, true));
  const D = /damaged or truncated safetensors file/;

  const cases: [string, () => Uint8Array, RegExp][] = [
    ['empty input', () => new Uint8Array(0), /shorter than the 8-byte/],
    ['only part of the length prefix', () => good.slice(0, 5), /shorter than the 8-byte/],
    ['truncated inside the header', () => good.slice(0, 8 + hdrLen - 3), /runs past the end/],
    ['truncated inside the data', () => good.slice(0, good.length - 1), /missing bytes|run past/],
    ['trailing bytes', () => { const x = new Uint8Array(good.length + 4); x.set(good); return x; }, /trailing bytes/],
    ['absurd header length', () => { const x = good.slice(); new DataView(x.buffer).setBigUint64(0, 2n ** 40n, true); return x; }, /exceeds/],
    ['header length beyond file', () => { const x = good.slice(); new DataView(x.buffer).setBigUint64(0, BigInt(good.length), true); return x; }, /runs past the end/],
    ['bad JSON', () => handFile('{"a":{"dtype":"F32",', [0, 0, 0, 0]), /not valid JSON/],
    ['header not an object', () => handFile('[1,2,3]', []), /does not start with/],
    ['invalid UTF-8', () => { const x = good.slice(); x[9] = 0xff; return x; }, /UTF-8/],
    ['unknown dtype', () => handFile('{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', new Uint8Array(16)), /unknown dtype "F128"/],
    ['negative dimension', () => handFile('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}', [0]), /invalid shape/],
    ['fractional offset', () => handFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0.5,1]}}', [0]), /invalid data_offsets/],
    ['missing offsets', () => handFile('{"a":{"dtype":"U8","shape":[1]}}', [0]), /invalid data_offsets/],
    ['end before begin', () => handFile('{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', [0]), /end before begin/],
    ['offsets out of range', () => handFile('{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', [1, 2, 3, 4]), /run past the 4-byte data buffer/],
    ['size ≠ shape × dtype size', () => handFile('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), /occupies 8 bytes but shape \[3\] of F32 needs 12/],
    ['overlapping tensors', () => handFile('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}', new Uint8Array(6)), /overlap/],
    ['gap between tensors', () => handFile('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}', new Uint8Array(6)), /gap of 2/],
    ['metadata value not a string', () => handFile('{"__metadata__":{"x":1}}', []), /not a string/],
    ['tensor entry not an object', () => handFile('{"a":5}', []), /not an object/],
  ];

  for (const [name, make, specific] of cases) {
    it(`refuses: ${name}`, () => {
      const bad = make();
      let err: Error | undefined;
      try {
        decodeSafetensors(bad);
      } catch (e) {
        err = e as Error;
      }
      expect(err, 'decode should throw').toBeInstanceOf(Error);
      expect(err!.message).toMatch(D);
      expect(err!.message).toMatch(specific);
    });
  }

  it('still accepts the undamaged file', () => {
    const out = decodeSafetensors(good);
    expect(Array.from(out.tensors.a!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(out.metadata).toEqual({ k: 'v' });
  });
});

describe('decoding from a Node Buffer', () => {
  it('copies tensor data out of a Buffer that is a view into a larger pool (Buffer.slice is a view)', () => {
    const values = Float32Array.from([1.5, -2.25, 3.125, 4]);
    const encoded = encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: values } });
    const big = new ArrayBuffer(encoded.length + 40);
    new Uint8Array(big, 24, encoded.length).set(encoded);
    const asBuffer = Buffer.from(big, 24, encoded.length);
    const t = decodeSafetensors(asBuffer).tensors.w!;
    expect(Array.from(t.data as Float32Array)).toEqual([1.5, -2.25, 3.125, 4]);
  });
});
