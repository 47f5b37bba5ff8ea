import { BufferUsage } from './usage.js';

/**
 * GPU buffer pool keyed by size class.
 *
 * Every tensor's storage comes from here and goes back here, so a training step that
 * allocates the same shapes every time reaches a steady state in which no new GPU buffer
 * is created (`created` stops growing; a test asserts it). Size classes are powers of two
 * and 1.5× powers of two, so at most a third of a buffer is wasted.
 */
export const STORAGE_USAGE =
  BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

export function sizeClass(byteLength: number): number {
  const n = Math.max(256, Math.ceil(byteLength / 4) * 4);
  let p = 256;
  while (p < n) {
    if (p * 1.5 >= n) return p * 1.5;
    p *= 2;
  }
  return p;
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  /** GPU buffers ever created by this pool. */
  created = 0;
  /** Bytes currently handed out. */
  bytesInUse = 0;
  bytesAllocated = 0;

  constructor(private device: GPUDevice) {}

  acquire(byteLength: number, usage: number = STORAGE_USAGE, label = 'pooled'): GPUBuffer {
    const size = sizeClass(byteLength);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    const buf = list?.pop();
    this.bytesInUse += size;
    if (buf) return buf;
    this.created++;

    this.bytesAllocated += size;
    return this.device.createBuffer({ size, usage, label });
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
    this.bytesInUse -= buffer.size;
  }

  /** Destroys every free buffer (buffers in use are untouched). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.bytesAllocated -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}
