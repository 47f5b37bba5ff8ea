/**
 * Kernel specs: one declaration per WGSL entry point, from which its header is generated
 * and through which it is launched.
 *
 * A spec names the storage bindings (access, element type), the uniforms (name → scalar or
 * vector type, in struct order), the override constants and the workgroup size. From it:
 * - `defineKernel` writes the header — enable directives, overrides, the uniform struct,
 *   every @group/@binding declaration — in front of the hand-written body, so a body never
 *   declares a binding and the launcher can never disagree with it about their order;
 * - `packUniforms` lays a named object out by WGSL's struct layout rules (no positional
 *   arrays whose order must match the struct by hand);
 * - `launch` binds buffers by name and checks every one against the bytes the launch
 *   needs, in one place, with an error naming kernel, binding, needed and given bytes.
 *
 * The same idea as TensorFlow.js's WebGPU backend (a program's header generated from its
 * variable names and uniforms) or gpu.cpp's bindings, much smaller.
 */
import { type GpuContext, GpuError } from './context.js';

export type Access = 'read' | 'read_write';
export type ScalarType = 'u32' | 'i32' | 'f32';
export type UniformType = ScalarType | `vec${2 | 3 | 4}<${ScalarType}>`;
export type OverrideType = 'u32' | 'i32' | 'f32' | 'bool';

/** A storage binding: its access, or [access, element type] (default element type f32). */
export type BindingDecl = Access | readonly [Access, string];

export interface KernelSpec<B extends string = string, U extends string = string> {
  /** Pipeline label and error-message name, e.g. "gemm-4x4". */
  name: string;
  /** WGSL extensions (`enable …;`), e.g. ['subgroups']. */
  enables?: readonly string[];
  /** Override constants: [type, default]; no default = the launcher must set it. */
  overrides?: Readonly<Record<string, readonly [OverrideType, (number | boolean)?]>>;
  /** Uniform struct members in declaration order (bound at @binding(0) as `p`). */
  uniforms: Readonly<Record<U, UniformType>>;
  /** Storage buffers in binding order (@binding(1..n)). */
  bindings: Readonly<Record<B, BindingDecl>>;
  /** @workgroup_size arguments: override names or numbers. */
  workgroupSize: readonly (string | number)[];
}

export interface UniformField {
  name: string;
  type: UniformType;
  offset: number;
}

export interface UniformLayout {
  fields: UniformField[];
  /** Bytes the packed block takes (the struct's size, rounded to 16). */
  size: number;
}

export interface Kernel<B extends string = string, U extends string = string> {
  spec: KernelSpec<B, U>;
  layout: UniformLayout;
  /** The whole module: generated header + body. */
  code: string;
}

/** Alignment and size of a uniform member type (WGSL § memory layout). */
function alignSize(t: UniformType): [number, number] {
  const m = /^vec([234])</.exec(t);
  if (!m) return [4, 4];
  const n = Number(m[1]);
  return [n === 2 ? 8 : 16, 4 * n];
}

const roundUp = (k: number, v: number) => Math.ceil(v / k) * k;

/** Offsets of the uniform struct's members by WGSL's layout rules. */
export function uniformLayout(uniforms: Readonly<Record<string, UniformType>>): UniformLayout {
  const fields: UniformField[] = [];
  let offset = 0;
  let structAlign = 4;
  for (const [name, type] of Object.entries(uniforms)) {
    const [align, size] = alignSize(type);
    offset = roundUp(align, offset);
    fields.push({ name, type, offset });
    offset += size;
    structAlign = Math.max(structAlign, align);
  }
  // Uniform-buffer bindings are sized in 16-byte units; never empty.
  return { fields, size: Math.max(16, roundUp(16, roundUp(structAlign, offset))) };
}

function overrideLiteral(type: OverrideType, v: number | boolean): string {
  if (type === 'bool') return v ? 'true' : 'false';
  if (type === 'u32') return `${v}u`;
  if (type === 'i32') return `${v}i`;
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** The generated header: enables, overrides, the uniform struct and every binding. */
export function kernelHeader(spec: KernelSpec): string {
  const lines: string[] = [];
  for (const e of spec.enables ?? []) lines.push(`enable ${e};`);
  for (const [name, [type, def]] of Object.entries(spec.overrides ?? {})) {
    lines.push(def === undefined ? `override ${name}: ${type};` : `override ${name}: ${type} = ${overrideLiteral(type, def)};`);
  }
  const members = Object.entries(spec.uniforms).map(([n, t]) => `${n}: ${t}`);
  if (members.length === 0) throw new Error(`kernel ${spec.name}: a spec needs at least one uniform`);
  lines.push(`struct Params { ${members.join(', ')} };`);
  lines.push(`@group(0) @binding(0) var<uniform> p: Params;`);
  Object.entries<BindingDecl>(spec.bindings).forEach(([name, decl], k) => {
    const [access, type] = typeof decl === 'string' ? [decl, 'f32'] : decl;
    lines.push(`@group(0) @binding(${k + 1}) var<storage, ${access}> ${name}: array<${type}>;`);
  });
  return lines.join('\n');
}

/** Bindings that all hold one element type (e.g. `T` = vec4<f32> in the vector variants). */
export function ofType<B extends string>(bindings: Readonly<Record<B, Access>>, type: string): Record<B, BindingDecl> {
  const out = {} as Record<B, BindingDecl>;
  for (const [b, access] of Object.entries(bindings) as [B, Access][]) out[b] = [access, type];
  return out;
}

/**
 * A kernel from its spec, its entry point (`fn main(...) {...}`, without the @compute
 * attribute, which the spec's workgroup size supplies) and module-scope helpers.
 */
export function defineKernel<B extends string, U extends string>(spec: KernelSpec<B, U>, main: string, helpers = ''): Kernel<B, U> {
  const code = `${kernelHeader(spec)}
${helpers}
@compute @workgroup_size(${spec.workgroupSize.join(', ')})
${main.trim()}
`;
  return { spec, layout: uniformLayout(spec.uniforms), code };
}

/** Caches generated kernels by a variant key (they are rebuilt from text otherwise). */
export function kernelCache<A extends unknown[], K extends Kernel<any, any>>(make: (...a: A) => K): (...a: A) => K {
  const cache = new Map<string, K>();
  return (...a: A) => {
    const key = JSON.stringify(a);
    let k = cache.get(key);
    if (!k) {
      k = make(...a);
      cache.set(key, k);
    }
    return k;
  };
}

export type UniformValue = number | readonly number[];

function putScalar(view: DataView, offset: number, type: ScalarType, v: number, what: () => string): void {
  if (typeof v !== 'number') throw new GpuError(`${what()}: ${String(v)} is not a number`);
  if (type === 'f32') {
    view.setFloat32(offset, v, true);
  } else if (type === 'u32') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new GpuError(`${what()}: ${v} is not a u32`);
    view.setUint32(offset, v, true);
  } else {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new GpuError(`${what()}: ${v} is not an i32`);
    view.setInt32(offset, v, true);
  }
}

/** Packs `values` (every uniform by name, no others) into a block laid out as the struct. */
export function packUniforms(kernel: Pick<Kernel, 'spec' | 'layout'>, values: Readonly<Record<string, UniformValue>>): ArrayBuffer {
  const buf = new ArrayBuffer(kernel.layout.size);
  const view = new DataView(buf);
  const name = kernel.spec.name;
  for (const key of Object.keys(values)) {
    if (!(key in kernel.spec.uniforms)) throw new GpuError(`kernel ${name}: unknown uniform '${key}'`);
  }
  for (const f of kernel.layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new GpuError(`kernel ${name}: uniform '${f.name}' not given`);
    const what = () => `kernel ${name}: uniform '${f.name}' (${f.type})`;
    const m = /^vec([234])<(\w+)>$/.exec(f.type);
    if (m) {
      const n = Number(m[1]);
      if (typeof v === 'number' || v.length !== n) throw new GpuError(`${what()}: needs ${n} components`);
      v.forEach((c, i) => putScalar(view, f.offset + 4 * i, m[2] as ScalarType, c, what));
    } else {
      if (typeof v !== 'number') throw new GpuError(`${what()}: needs a number`);
      putScalar(view, f.offset, f.type as ScalarType, v, what);
    }
  }
  return buf;
}

/** Bytes of n float32 (or u32) values, for `need`. */
export const f32Bytes = (n: number): number => n * 4;

export interface LaunchOptions<B extends string, U extends string> {
  /** Op name and shapes, for errors and profiles; defaults to the kernel's name. */
  label?: string;
  uniforms: Readonly<Record<U, UniformValue>>;
  buffers: Readonly<Record<B, GPUBuffer>>;
  /** Bytes each binding must hold for this launch (0: unread, e.g. a stand-in for an absent bias). */
  need: Readonly<Record<B, number>>;
  /** Values of the spec's override constants. */
  constants?: Record<string, number>;
  workgroups: [number, number?, number?];
}

/** Every constant is a declared override, and every override without a default is set. */
function checkConstants(label: string, spec: KernelSpec, constants: Record<string, number> = {}): void {
  const overrides = spec.overrides ?? {};
  for (const c of Object.keys(constants)) {
    if (!(c in overrides)) throw new GpuError(`${label}: kernel ${spec.name} has no override '${c}'`);
  }
  for (const [name, [, def]] of Object.entries(overrides)) {
    if (def === undefined && constants[name] === undefined) throw new GpuError(`${label}: kernel ${spec.name} needs override '${name}'`);
  }
}

/** Checks every binding's size and the override constants, packs the uniforms and records the dispatch. */
export function launch<B extends string, U extends string>(ctx: GpuContext, kernel: Kernel<B, U>, o: LaunchOptions<B, U>): void {
  const label = o.label ?? kernel.spec.name;
  const names = Object.keys(kernel.spec.bindings) as B[];
  const buffers = names.map((b) => {
    const buf = o.buffers[b];
    if (!buf) throw new GpuError(`${label}: kernel ${kernel.spec.name} needs a buffer for binding '${b}'`);
    const need = o.need[b];
    if (need === undefined) throw new GpuError(`${label}: kernel ${kernel.spec.name}: no size given for binding '${b}'`);
    if (buf.size < need) {
      throw new GpuError(`${label}: kernel ${kernel.spec.name}, binding '${b}' needs ${need} bytes, the buffer given has ${buf.size}`);
    }
    return buf;
  });
  checkConstants(label, kernel.spec, o.constants);
  ctx.dispatch({
    label,
    pipeline: ctx.pipeline(kernel.spec.name, kernel.code, o.constants),
    params: packUniforms(kernel, o.uniforms as Record<string, UniformValue>),
    buffers,
    workgroups: o.workgroups,
  });
}
