/**
 * The PyTorch benchmark peer's plumbing (scripts/bench/torch.ts), against stand-in workers that
 * speak its line protocol: the ready line, one timing line per "step", and the one-line answer
 * when PyTorch is not installed. (The real peer needs Debian's python3-torch, which CI does not
 * install; docs/BENCHMARKS.md has a real run.)
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TORCH_HELP, TorchPeer } from '../../scripts/bench/torch.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-peer-'));
function stub(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}
afterEach(() => {
  delete process.env.ALEXNET_PYTHON;
  delete process.env.ALEXNET_TORCH_DEVICE;
});

describe('PyTorch peer', () => {
  it('reads the ready line, then one timing per step, passing size, batch, threads and device through', async () => {
    process.env.ALEXNET_PYTHON = stub(
      'fake-python',
      // $1 is the peer script; echo the arguments back in the ready line, then answer each "step".
      `echo "{\\"ready\\": true, \\"torch\\": \\"$2x$3\\", \\"threads\\": $4, \\"blas\\": \\"OpenBLAS\\", \\"device\\": \\"$5\\"}"\n` +
        `n=0; while read line; do n=$((n+1)); echo "{\\"trainMs\\": $n.5, \\"inferMs\\": $((n*2))}"; done`,
    );
    const peer = await TorchPeer.start({ size: 224, batch: 8, threads: 2 });
    try {
      expect(peer.info).toEqual({ ready: true, torch: '224x8', threads: 2, blas: 'OpenBLAS', device: 'cpu' });
      expect(await peer.step()).toEqual({ trainMs: 1.5, inferMs: 2 });
      expect(await peer.step()).toEqual({ trainMs: 2.5, inferMs: 4 });
    } finally {
      peer.close();
    }
  });

  it('ALEXNET_TORCH_DEVICE names the device it runs on (a lent GPU machine)', async () => {
    process.env.ALEXNET_PYTHON = stub('fake-python-dev', `echo "{\\"ready\\": true, \\"torch\\": \\"x\\", \\"threads\\": 1, \\"blas\\": \\"b\\", \\"device\\": \\"$5\\"}"; cat >/dev/null`);
    process.env.ALEXNET_TORCH_DEVICE = 'cuda';
    const peer = await TorchPeer.start({ size: 64, batch: 2, threads: 1 });
    peer.close();
    expect(peer.info.device).toBe('cuda');
  });

  it('without PyTorch: one line saying what to install', async () => {
    process.env.ALEXNET_PYTHON = stub('no-torch', `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`);
    await expect(TorchPeer.start({ size: 224, batch: 8, threads: 2 })).rejects.toThrow(TORCH_HELP);
  });
});
