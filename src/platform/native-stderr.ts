/**
 * Keeping known native noise out of the user's stderr.
 *
 * Dawn prints two lines when it finds the adapter (on lavapipe and most Vulkan drivers):
 *   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
 *   Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 …
 * They come from C++ (`fprintf(stderr, …)` in Dawn's logging, during the synchronous part of
 * `requestAdapter`), so no JavaScript stream sees them, Dawn has no toggle or log level that
 * silences them, and they say nothing the user can act on (WebGPU's own default for both
 * limits is lower still). So for the duration of that one synchronous call, file descriptor 2
 * is pointed at an unlinked temporary file (dup/dup2 from libc, through the `koffi` FFI
 * package); afterwards the original stderr is put back and whatever was captured is written
 * to it, minus lines matching the given patterns. Nothing else is lost: any other line, from
 * Dawn or from JavaScript, comes out unchanged, just after the call.
 *
 * Where koffi or libc cannot be loaded (another OS, koffi not installed: it is an optional
 * dependency) the call simply runs unfiltered.
 */
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Libc {
  dup(fd: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
}

let libc: Libc | null | undefined;

/** libc's dup, dup2 and close, or null where they cannot be had. Loaded once. */
async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux' && process.platform !== 'darwin') return libc;
  try {
    const koffi = ((await import('koffi')) as unknown as { default: KoffiLike }).default;
    const lib = koffi.load(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6');
    libc = {
      dup: lib.func('int dup(int)') as Libc['dup'],
      dup2: lib.func('int dup2(int, int)') as Libc['dup2'],
      close: lib.func('int close(int)') as Libc['close'],
    };
  } catch {
    libc = null;
  }
  return libc;
}

interface KoffiLike {
  load(path: string): { func(signature: string): (...args: number[]) => number };
}

/** Prepares {@link withStderrFiltered} (loads the FFI); call once before it, anywhere async. */
export async function prepareStderrFilter(): Promise<boolean> {
  return (await loadLibc()) !== null;
}

/**
 * Runs `fn` (synchronously) with file descriptor 2 captured, then writes what it printed to
 * the real stderr without the lines matching any of `drop`. Unfiltered when
 * {@link prepareStderrFilter} was not awaited or found no libc.
 */
export function withStderrFiltered<T>(drop: readonly RegExp[], fn: () => T): T {
  const c = libc;
  if (!c) return fn();
  const saved = c.dup(2);
  if (saved < 0) return fn();
  let capture = -1;
  try {
    const path = join(tmpdir(), `alexnet-stderr-${process.pid}-${Date.now()}`);
    capture = openSync(path, 'w+', 0o600);
    unlinkSync(path); // the descriptor keeps it; nothing is left behind, even on a crash
  } catch {
    c.close(saved);
    return fn();
  }
  if (c.dup2(capture, 2) < 0) {
    c.close(saved);
    closeSync(capture);
    return fn();
  }
  try {
    return fn();
  } finally {
    c.dup2(saved, 2);
    c.close(saved);
    const size = fstatSync(capture).size;
    const buf = Buffer.alloc(size);
    if (size > 0) readSync(capture, buf, 0, size, 0);
    closeSync(capture);
    const kept = buf
      .toString('utf8')
      .split(/(?<=\n)/)
      .filter((line) => !drop.some((re) => re.test(line)))
      .join('');
    if (kept) writeSync(2, kept);
  }
}

/** Dawn's two notices about clamping the dynamic-buffer limits (see the file comment). */
export const DAWN_LIMIT_NOTICES: readonly RegExp[] = [
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?\n?$/,
];
