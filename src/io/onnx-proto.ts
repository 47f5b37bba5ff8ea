/**
 * A protobuf encoder for the few ONNX messages an inference graph needs: ModelProto,
 * OperatorSetIdProto, GraphProto, NodeProto, AttributeProto, TensorProto (float32, raw_data),
 * ValueInfoProto/TypeProto/TensorShapeProto and StringStringEntryProto. Field numbers are
 * onnx/onnx.proto3's. Written by hand (about 150 lines) rather than pulling in protobufjs and
 * a .proto schema: the exporter only writes, the messages are fixed, and this file stays
 * platform-neutral (plain Uint8Array), so the page could export too.
 *
 * Wire format: each field is a key varint (field << 3 | wire type) then its value: varint (0)
 * for ints and enums, 32-bit little-endian (5) for floats, length-delimited (2) for strings,
 * bytes, sub-messages and packed repeated ints.
 */

/** TensorProto.DataType.FLOAT; the only element type this exporter writes. */
export const ONNX_FLOAT = 1;

export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** One attribute; exactly one value field is set (its kind is the AttributeProto type). */
export type OnnxAttribute =
  | { name: string; i: number }
  | { name: string; f: number }
  | { name: string; s: string }
  | { name: string; ints: number[] }
  | { name: string; floats: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: OnnxAttribute[];
}

/** A float tensor's name and shape; a string dimension is symbolic (e.g. the batch 'N'). */
export interface OnnxValueInfo {
  name: string;
  dims: (number | string)[];
  doc?: string;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  doc?: string;
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
  metadata?: Record<string, string>;
  doc?: string;
}

class Writer {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private rawVarint(v: bigint): void {
    // Negative int64s are sent as their 64-bit two's complement (10 bytes), as protobuf does.
    let u = BigInt.asUintN(64, v);
    const out: number[] = [];
    do {
      let byte = Number(u & 0x7fn);
      u >>= 7n;
      if (u !== 0n) byte |= 0x80;
      out.push(byte);
    } while (u !== 0n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number): this {
    if (!Number.isInteger(v)) throw new Error(`onnx: field ${field} needs an integer, got ${v}`);
    this.key(field, 0);
    this.rawVarint(BigInt(v));
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(BigInt(b.length));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  packedInts(field: number, vs: number[]): this {
    const inner = new Writer();
    for (const v of vs) inner.rawVarint(BigInt(v));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function tensorProto(t: OnnxTensor): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new Error(`onnx: tensor ${t.name} has ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  // raw_data is little-endian, as ONNX requires; copy so a subarray's neighbours stay out.
  const raw = new Uint8Array(Float32Array.from(t.data).buffer);
  return new Writer().packedInts(1, t.dims).int(2, ONNX_FLOAT).string(8, t.name).bytes(9, raw).finish();
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function attributeProto(a: OnnxAttribute): Uint8Array {
  const w = new Writer().string(1, a.name);
  if ('f' in a) w.float(2, a.f).int(20, ATTR.FLOAT);
  else if ('i' in a) w.int(3, a.i).int(20, ATTR.INT);
  else if ('s' in a) w.string(4, a.s).int(20, ATTR.STRING);
  else if ('floats' in a) {
    for (const f of a.floats) w.float(7, f);
    w.int(20, ATTR.FLOATS);
  } else w.packedInts(8, a.ints).int(20, ATTR.INTS);
  return w.finish();
}

function nodeProto(n: OnnxNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const a of n.attributes ?? []) w.bytes(5, attributeProto(a));
  return w.finish();
}

function valueInfoProto(v: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.dims) {
    shape.bytes(1, typeof d === 'number' ? new Writer().int(1, d).finish() : new Writer().string(2, d).finish());
  }
  const tensorType = new Writer().int(1, ONNX_FLOAT).bytes(2, shape.finish()).finish();
  const type = new Writer().bytes(1, tensorType).finish();
  const w = new Writer().string(1, v.name).bytes(2, type);
  if (v.doc) w.string(3, v.doc);
  return w.finish();
}

function graphProto(g: OnnxGraph): Uint8Array {
  const w = new Writer();
  for (const n of g.nodes) w.bytes(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.bytes(5, tensorProto(t));
  if (g.doc) w.string(10, g.doc);
  for (const i of g.inputs) w.bytes(11, valueInfoProto(i));
  for (const o of g.outputs) w.bytes(12, valueInfoProto(o));
  return w.finish();
}

/** The serialized ModelProto (what a .onnx file holds). */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const w = new Writer().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.bytes(7, graphProto(m.graph));
  w.bytes(8, new Writer().string(1, '').int(2, m.opsetVersion).finish());
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.bytes(14, new Writer().string(1, k).string(2, v).finish());
  return w.finish();
}
