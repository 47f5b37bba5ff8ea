/**
 * GpuContext: the one object every kernel launcher talks to.
 *
 * - Records many dispatches into one command encoder and submits them together on
 *   `flush()`; the host waits for the GPU only in `sync()` / `read()` (dawn.node busy-polls
 *   while a promise is pending, so waiting once per step instead of once per op matters).
 * - Caches shader modules and pipelines by (code, override constants).
 * - Hands out storage through a size-class BufferPool.
 * - Uniform parameters of every dispatch live in one arena buffer (256-byte slots) written
 *   once per submit, so steady-state steps create no buffers at all.
 * - WebGPU validation errors are caught through error scopes and rethrown naming the op
 *   (its label carries the shapes).
 *
 * Platform-neutral: it only needs a GPUDevice, so it runs in Node (src/platform/node-gpu.ts)
 * and in a browser alike.
 */
import { BufferPool, STORAGE_USAGE } from './buffer-pool.js';
import type { KernelPath, LimitsOption } from './kernel-path.js';
import { BufferUsage, MapMode } from './usage.js';

export interface DispatchSpec {
  /** Op name and shapes, used in error messages, e.g. "gemm[64x37 · 37x21]". */
  label: string;
  pipeline: GPUComputePipeline;
  /** Uniform parameters (≤ 256 bytes) bound at @binding(0), if any. */
  params?: ArrayBuffer;
  /** Storage buffers bound at @binding(1..n) (or 0..n-1 without params). */
  buffers: GPUBuffer[];
  workgroups: [number, number?, number?];
}

export interface GpuInfo {
  adapter: string;
  features: string[];
  hasTimestamps: boolean;
  /** GEMM/convolution kernels chosen for this adapter (kernel-path.ts); default 'software'. */
  kernelPath?: KernelPath;
  /** Whether the device was requested with the adapter's limits or WebGPU's defaults. */
  limits?: LimitsOption;
}

export interface GpuStats {
  buffersCreated: number;
  pipelinesCreated: number;
  dispatches: number;
  submits: number;
  readbacks: number;
}

const SLOT = 256;
const ARENA_SLOTS = 2048;
export const MAX_WORKGROUPS_PER_DIM = 65535;

export class GpuError extends Error {}

interface Profiler {
  querySet: GPUQuerySet;
  resolve: GPUBuffer;
  capacity: number;
  used: number;
  labels: string[];
  pending: Array<{ staging: GPUBuffer; labels: string[]; count: number }>;
}

export class GpuContext {
  readonly pool: BufferPool;
  private modules = new Map<string, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private arena: GPUBuffer;
  private arenaCpu = new Uint8Array(SLOT * ARENA_SLOTS);
  private arenaUsed = 0;
  private batchLabels: string[] = [];
  private pendingErrors: Promise<void>[] = [];
  /** Release these pooled buffers once the current batch is submitted. */
  private releaseAfterSubmit: GPUBuffer[] = [];
  private pipelineCount = 0;
  private dispatchCount = 0;
  private submitCount = 0;
  private readbackCount = 0;
  /** Submit after every dispatch so an error names exactly one op (slow; for debugging). */
  debug = false;
  /**
   * How the trainer waits for a step's readback. The platform may replace it: Node on Linux
   * lowers the main thread's priority meanwhile (src/platform/quiet-wait.ts).
   */
  hostWait: <T>(wait: () => Promise<T>) => Promise<T> = (wait) => wait();
  /** 'quiet' once the platform has replaced hostWait with the niced wait (for reports). */
  hostWaitKind: 'plain' | 'quiet' = 'plain';
  /**
   * Which GEMM and convolution kernels run: 'software' (shaped for lavapipe) or 'tiled'
   * (workgroup-memory tiles, for real GPUs). Chosen per adapter at acquisition
   * (kernel-path.ts); writable so a test or benchmark can run either on one device.
   */
  kernelPath: KernelPath;
  private lost: string | null = null;
  private profiler: Profiler | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly info: GpuInfo,
  ) {
    this.kernelPath = info.kernelPath ?? 'software';
    this.pool = new BufferPool(device);
    this.arena = device.createBuffer({
      size: SLOT * ARENA_SLOTS,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      label: 'uniform-arena',
    });
    device.lost.then((l) => {
      this.lost = `${l.reason}: ${l.message}`;
    });
  }

  get stats(): GpuStats {
    return {
      buffersCreated: this.pool.created,
      pipelinesCreated: this.pipelineCount,
      dispatches: this.dispatchCount,
      submits: this.submitCount,
      readbacks: this.readbackCount,
    };
  }

  /**
   * The adapter's smallest subgroup size when the device has the 'subgroups' feature, else
   * 0: the one query the subgroup kernels (GEMM, convolution) decide by.
   */
  get subgroupMinSize(): number {
    if (!this.info.features.includes('subgroups')) return 0;
    const min = (this.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo?.subgroupMinSize;
    return typeof min === 'number' ? min : 0;
  }

  private module(code: string, label: string): GPUShaderModule {
    let m = this.modules.get(code);
    if (!m) {
      m = this.device.createShaderModule({ code, label });
      this.modules.set(code, m);
    }
    return m;
  }

  private static key(code: string, constants?: Record<string, number>): string {
    return constants ? code + '\u0000' + JSON.stringify(constants) : code;
  }

  /** A cached compute pipeline for (code, constants); entry point `main`. */
  pipeline(label: string, code: string, constants?: Record<string, number>): GPUComputePipeline {
    const key = GpuContext.key(code, constants);
    let p = this.pipelines.get(key);
    if (p) return p;
    this.device.pushErrorScope('validation');
    p = this.device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module: this.module(code, label), entryPoint: 'main', constants },
    });
    this.trackErrors(`compiling pipeline ${label}`);
    this.pipelines.set(key, p);
    this.pipelineCount++;
    return p;
  }

  private trackErrors(what: string): void {
    this.pendingErrors.push(
      this.device.popErrorScope().then((err) => {
        if (err) throw new GpuError(`WebGPU ${err.constructor.name} in ${what}: ${err.message}`);
      }),
    );
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  dispatch(spec: DispatchSpec): void {
    if (this.lost) throw new GpuError(`GPU device lost (${this.lost}); cannot run ${spec.label}`);
    const [x, y = 1, z = 1] = spec.workgroups;
    if (x > MAX_WORKGROUPS_PER_DIM || y > MAX_WORKGROUPS_PER_DIM || z > MAX_WORKGROUPS_PER_DIM) {
      throw new GpuError(`${spec.label}: dispatch ${x}×${y}×${z} exceeds ${MAX_WORKGROUPS_PER_DIM} workgroups per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    if (this.arenaUsed >= ARENA_SLOTS) this.flush();
    const entries: GPUBindGroupEntry[] = [];
    let binding = 0;
    if (spec.params) {
      const bytes = new Uint8Array(spec.params);
      if (bytes.byteLength > SLOT) throw new GpuError(`${spec.label}: params exceed ${SLOT} bytes`);
      const offset = this.arenaUsed * SLOT;
      this.arenaCpu.set(bytes, offset);
      this.arenaUsed++;
      entries.push({ binding: binding++, resource: { buffer: this.arena, offset, size: SLOT } });
    }
    for (const b of spec.buffers) entries.push({ binding: binding++, resource: { buffer: b } });
    if (this.batchLabels.length === 0) this.device.pushErrorScope('validation');
    const bindGroup = this.device.createBindGroup({
      label: spec.label,
      layout: spec.pipeline.getBindGroupLayout(0),
      entries,
    });
    const prof = this.profiler;
    let pass: GPUComputePassEncoder;
    if (prof) {
      // One pass per dispatch, with timestamps at its start and end.
      if (prof.used + 2 > prof.capacity) this.flush();
      const enc = this.ensureEncoder();
      const k = prof.used;
      prof.used += 2;
      prof.labels.push(spec.label);
      pass = enc.beginComputePass({
        timestampWrites: { querySet: prof.querySet, beginningOfPassWriteIndex: k, endOfPassWriteIndex: k + 1 },
      });
      this.pass = pass;
    } else {
      pass = this.ensurePass();
    }
    pass.setPipeline(spec.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    if (prof) {
      pass.end();
      this.pass = null;
    }
    this.batchLabels.push(spec.label);
    this.dispatchCount++;
    if (this.debug) this.flush();
  }

  copy(src: GPUBuffer, dst: GPUBuffer, byteLength: number, srcOffset = 0, dstOffset = 0): void {
    const enc = this.ensureEncoder();
    if (this.batchLabels.length === 0) this.device.pushErrorScope('validation');
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, byteLength);
    this.batchLabels.push(`copy ${byteLength} bytes`);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (this.arenaUsed > 0) {
      this.device.queue.writeBuffer(this.arena, 0, this.arenaCpu, 0, this.arenaUsed * SLOT);
      this.arenaUsed = 0;
    }
    const labels = this.batchLabels;
    const prof = this.profiler;
    let resolved: { staging: GPUBuffer; labels: string[]; count: number } | null = null;
    if (prof && prof.used > 0) {
      const enc = this.encoder;
      enc.resolveQuerySet(prof.querySet, 0, prof.used, prof.resolve, 0);
      const staging = this.device.createBuffer({ size: prof.used * 8, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      enc.copyBufferToBuffer(prof.resolve, 0, staging, 0, prof.used * 8);
      resolved = { staging, labels: prof.labels, count: prof.used };
      prof.used = 0;
      prof.labels = [];
    }
    this.device.queue.submit([this.encoder.finish()]);
    if (resolved && prof) prof.pending.push(resolved);
    this.encoder = null;
    this.submitCount++;
    if (labels.length > 0) {
      const what =
        labels.length === 1
          ? labels[0]!
          : `a batch of ${labels.length} ops (${labels.slice(0, 3).join(', ')}${labels.length > 3 ? ', …' : ''}); ` +
            `rerun with ALEXNET_GPU_DEBUG=1 to name the single failing op`;
      this.trackErrors(what);
    }
    this.batchLabels = [];
    for (const b of this.releaseAfterSubmit) this.pool.release(b);
    this.releaseAfterSubmit = [];
  }

  /** Returns a pooled buffer to the pool after the work recorded so far is submitted. */
  releaseLater(b: GPUBuffer): void {
    this.releaseAfterSubmit.push(b);
  }

  /** Writes host data into a buffer, ordered after all work recorded so far. */
  upload(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    // queue.writeBuffer runs before any not-yet-submitted command buffer, so submit first.
    this.flush();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Waits for all submitted work and raises any validation error it produced. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  async checkErrors(): Promise<void> {
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    await Promise.all(pending);
    if (this.lost) throw new GpuError(`GPU device lost: ${this.lost}`);
  }

  /**
   * Copies `byteLength` bytes of `src` to the host. Pass `into` to read into a preallocated
   * array (copying out of a mapped range is much cheaper than slicing it).
   */
  async read(src: GPUBuffer, byteLength: number, into?: Float32Array, srcOffset = 0): Promise<Float32Array> {
    const staging = this.pool.acquire(byteLength, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'staging');
    this.copy(src, staging, Math.ceil(byteLength / 4) * 4, srcOffset, 0);
    this.flush();
    this.readbackCount++;
    try {
      await staging.mapAsync(MapMode.READ, 0, Math.ceil(byteLength / 4) * 4);
      const out = into ?? new Float32Array(byteLength / 4);
      out.set(new Float32Array(staging.getMappedRange(0, Math.ceil(byteLength / 4) * 4), 0, byteLength / 4));
      staging.unmap();
      return out;
    } finally {
      this.pool.release(staging);
      await this.checkErrors();
    }
  }

  newStorage(byteLength: number, label?: string): GPUBuffer {
    return this.pool.acquire(byteLength, STORAGE_USAGE, label);
  }

  /** Measures GPU time of `fn`'s dispatches with wall time around a sync (see bench for timestamps). */
  async time(fn: () => void): Promise<number> {
    await this.sync();
    const t0 = performance.now();
    fn();
    await this.sync();
    return performance.now() - t0;
  }

  /**
   * Starts timing every dispatch with GPU timestamp queries (each in its own compute pass);
   * `stopProfiling()` returns the label and duration of each. Needs 'timestamp-query'.
   */
  startProfiling(capacity = 4096): void {
    if (!this.info.hasTimestamps) throw new GpuError('this adapter has no timestamp-query feature');
    this.flush();
    this.profiler = {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: capacity }),
      resolve: this.device.createBuffer({ size: capacity * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC }),
      capacity,
      used: 0,
      labels: [],
      pending: [],
    };
  }

  async stopProfiling(): Promise<Array<{ label: string; ms: number }>> {
    const prof = this.profiler;
    if (!prof) return [];
    this.flush();
    this.profiler = null;
    const out: Array<{ label: string; ms: number }> = [];
    for (const r of prof.pending) {
      await r.staging.mapAsync(MapMode.READ);
      const t = new BigUint64Array(r.staging.getMappedRange().slice(0));
      r.staging.unmap();
      r.staging.destroy();
      for (let i = 0; i < r.labels.length; i++) out.push({ label: r.labels[i]!, ms: Number(t[2 * i + 1]! - t[2 * i]!) / 1e6 });
    }
    prof.querySet.destroy();
    prof.resolve.destroy();
    return out;
  }

  destroy(): void {
    this.flush();
    this.pool.trim();
    this.arena.destroy();
    this.device.destroy();
  }
}

/** Splits `n` workgroups into a 2-D grid within the per-dimension limit. */
export function grid2d(n: number): [number, number] {
  if (n <= MAX_WORKGROUPS_PER_DIM) return [Math.max(n, 1), 1];
  const y = Math.ceil(n / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(n / y), y];
}

/**
 * Packs positional uniform parameters (u32 for integers by default, f32 where listed), for
 * hand-written shaders outside src/kernels (scripts/bench/ceilings.ts). Kernels declare
 * their uniforms in a spec and pack them by name (spec.ts).
 */
export function params(values: Array<number | { f32: number } | { i32: number }>): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16));
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  const i = new Int32Array(buf);
  values.forEach((v, k) => {
    if (typeof v === 'number') u[k] = v >>> 0;
    else if ('f32' in v) f[k] = v.f32;
    else i[k] = v.i32;
  });
  return buf;
}
