/**
 * Kernel specs (src/kernels/spec.ts): the generated header, the uniform layout against
 * WGSL's struct layout rules (offsets worked out by hand from the WGSL spec's alignment
 * table, and read back by a real shader), and the one size check of every binding.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/autograd/tensor.js';
import { defineKernel, kernelHeader, launch, packUniforms, uniformLayout } from '../../src/kernels/spec.js';
import { gpu, poisoned } from '../helpers.js';

describe('header generation', () => {
  it('writes enables, overrides, the uniform struct and every binding in order', () => {
    const h = kernelHeader({
      name: 't',
      enables: ['subgroups'],
      overrides: { WG: ['u32', 64], FLAG: ['bool', false], K: ['u32'], S: ['f32', 2] },
      uniforms: { n: 'u32', a: 'f32' },
      bindings: { x: 'read', y: ['read', 'vec4<f32>'], out: 'read_write' },
      workgroupSize: ['WG'],
    });
    expect(h.split('\n')).toEqual([
      'enable subgroups;',
      'override WG: u32 = 64u;',
      'override FLAG: bool = false;',
      'override K: u32;',
      'override S: f32 = 2.0;',
      'struct Params { n: u32, a: f32 };',
      '@group(0) @binding(0) var<uniform> p: Params;',
      '@group(0) @binding(1) var<storage, read> x: array<f32>;',
      '@group(0) @binding(2) var<storage, read> y: array<vec4<f32>>;',
      '@group(0) @binding(3) var<storage, read_write> out: array<f32>;',
    ]);
  });

  it('puts the workgroup size on the entry point', () => {
    const k = defineKernel(
      { name: 't', uniforms: { n: 'u32' }, bindings: { out: 'read_write' }, workgroupSize: ['WGX', 4] },
      'fn main() {}',
    );
    expect(k.code).toContain('@compute @workgroup_size(WGX, 4)\nfn main() {}');
  });
});

describe('uniform layout (WGSL alignment: scalars 4, vec2 8, vec3 and vec4 16)', () => {
  it('offsets and the padded size', () => {
    const l = uniformLayout({ a: 'u32', b: 'vec2<f32>', c: 'f32', d: 'vec3<u32>', e: 'i32', f: 'vec4<f32>', g: 'f32' });
    // a@0, b@8 (align 8), c@16, d@32 (align 16, size 12), e@44 (fills vec3's tail), f@48, g@64; size 68 → 80.
    expect(l.fields.map((f) => [f.name, f.offset])).toEqual([
      ['a', 0], ['b', 8], ['c', 16], ['d', 32], ['e', 44], ['f', 48], ['g', 64],
    ]);
    expect(l.size).toBe(80);
    expect(uniformLayout({ n: 'u32' }).size).toBe(16);
    expect(uniformLayout({ a: 'f32', b: 'f32', c: 'f32', d: 'f32', e: 'u32' }).size).toBe(32);
  });

  it('packs by name, in struct order, with each type', () => {
    const k = defineKernel(
      { name: 'pack', uniforms: { n: 'u32', s: 'i32', x: 'f32', v: 'vec2<f32>' }, bindings: { out: 'read_write' }, workgroupSize: [1] },
      'fn main() {}',
    );
    const buf = packUniforms(k, { v: [0.5, -2], x: 1.25, s: -7, n: 4000000000 });
    const d = new DataView(buf);
    // v is a vec2: aligned to 8, so at 16 (not 12); the struct's 24 bytes round to 32.
    expect(buf.byteLength).toBe(32);
    expect(d.getUint32(0, true)).toBe(4000000000);
    expect(d.getInt32(4, true)).toBe(-7);
    expect(d.getFloat32(8, true)).toBe(1.25);
    expect([d.getFloat32(16, true), d.getFloat32(20, true)]).toEqual([0.5, -2]);
  });

  it('rejects missing, unknown and ill-typed uniforms, naming kernel and uniform', () => {
    const k = defineKernel({ name: 'pk', uniforms: { n: 'u32', a: 'f32' }, bindings: { out: 'read_write' }, workgroupSize: [1] }, 'fn main() {}');
    expect(() => packUniforms(k, { n: 1 })).toThrow("kernel pk: uniform 'a' not given");
    expect(() => packUniforms(k, { n: 1, a: 1, b: 2 })).toThrow("kernel pk: unknown uniform 'b'");
    expect(() => packUniforms(k, { n: -1, a: 1 })).toThrow("kernel pk: uniform 'n' (u32): -1 is not a u32");
    expect(() => packUniforms(k, { n: 1.5, a: 1 })).toThrow(/1.5 is not a u32/);
  });
});

describe('launch', () => {
  // Copies every uniform to out as f32, so the shader itself confirms the offsets.
  const ECHO = defineKernel(
    {
      name: 'echo-uniforms',
      uniforms: { a: 'u32', b: 'vec2<f32>', c: 'f32', d: 'vec3<u32>', e: 'i32', f: 'vec4<f32>', g: 'f32' },
      bindings: { src: 'read', out: 'read_write' },
      workgroupSize: [1],
    },
    /* wgsl */ `
fn main() {
  out[0] = f32(p.a); out[1] = p.b.x; out[2] = p.b.y; out[3] = p.c;
  out[4] = f32(p.d.x); out[5] = f32(p.d.y); out[6] = f32(p.d.z); out[7] = f32(p.e);
  out[8] = p.f.x; out[9] = p.f.y; out[10] = p.f.z; out[11] = p.f.w; out[12] = p.g + src[0];
}`,
  );
  const values = { a: 3, b: [0.5, -1.5], c: 2.25, d: [7, 8, 9], e: -4, f: [1, 2, 3, 4], g: 6.5 };

  it('a shader reads back every uniform where the packer put it', async () => {
    const ctx = await gpu();
    const src = Tensor.fromArray(ctx, [0.25], [1]);
    const out = poisoned(ctx, [13]);
    launch(ctx, ECHO, { uniforms: values, buffers: { src: src.buffer, out: out.buffer }, need: { src: 4, out: 52 }, workgroups: [1] });
    expect(Array.from(await out.toArray())).toEqual([3, 0.5, -1.5, 2.25, 7, 8, 9, -4, 1, 2, 3, 4, 6.75]);
    src.dispose();
    out.dispose();
  });

  it('checks every binding before dispatching: kernel, binding, needed and given bytes', async () => {
    const ctx = await gpu();
    const src = Tensor.fromArray(ctx, [0.25], [1]);
    const out = poisoned(ctx, [13]);
    const given = out.buffer.size;
    const before = ctx.stats.dispatches;
    expect(() =>
      launch(ctx, ECHO, { label: 'echo[13]', uniforms: values, buffers: { src: src.buffer, out: out.buffer }, need: { src: 4, out: given + 4 }, workgroups: [1] }),
    ).toThrow(`echo[13]: kernel echo-uniforms, binding 'out' needs ${given + 4} bytes, the buffer given has ${given}`);
    expect(ctx.stats.dispatches).toBe(before);
    src.dispose();
    out.dispose();
  });

  it('checks override constants: each one declared, the ones without a default set', async () => {
    const ctx = await gpu();
    const out = poisoned(ctx, [4]);
    const K = defineKernel(
      { name: 'needs-k', overrides: { K: ['u32'], WG: ['u32', 1] }, uniforms: { n: 'u32' }, bindings: { out: 'read_write' }, workgroupSize: ['WG'] },
      'fn main() { out[0] = f32(K + p.n - 1u); }',
    );
    const base = { uniforms: { n: 1 }, buffers: { out: out.buffer }, need: { out: 4 }, workgroups: [1] as [number] };
    expect(() => launch(ctx, K, base)).toThrow("needs-k: kernel needs-k needs override 'K'");
    expect(() => launch(ctx, K, { ...base, constants: { K: 1, KK: 2 } })).toThrow("kernel needs-k has no override 'KK'");
    launch(ctx, K, { ...base, constants: { K: 7 } });
    expect((await out.toArray())[0]).toBe(7);
    out.dispose();
  });

  it('the launchers check sizes through it (elementwise had no check before)', async () => {
    const { unary } = await import('../../src/kernels/elementwise/elementwise.js');
    const ctx = await gpu();
    const x = Tensor.fromArray(ctx, new Float32Array(8), [8]);
    const y = Tensor.empty(ctx, [8]);
    expect(() => unary(ctx, 'relu', x.buffer, y.buffer, 1000)).toThrow(/relu\[1000\]: kernel unary-vec4, binding 'x' needs 4000 bytes/);
    x.dispose();
    y.dispose();
  });
});
