/**
 * PyTorch on the CPU (or the GPU ALEXNET_TORCH_DEVICE names) as a benchmark peer (bench-only;
 * src/ never uses it): a Python worker
 * (torch_peer.py, Debian's python3-torch) that times the tutorial AlexNet's training step and
 * inference when asked, so that our steps and its steps alternate round by round.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';

export interface TorchInfo {
  torch: string;
  threads: number;
  blas: string;
  /** 'cpu', or the GPU it ran on (ALEXNET_TORCH_DEVICE). */
  device?: string;
}

export const TORCH_HELP = "PyTorch is needed for --compare torch: apt-get install python3-torch libopenblas0-openmp (Debian's build, CPU only)";

/** Debian's python3 first (python3-torch installs there), then whatever python3 is on PATH; ALEXNET_PYTHON overrides. */
function pythonCommand(): string {
  if (process.env.ALEXNET_PYTHON) return process.env.ALEXNET_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export class TorchPeer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    readonly info: TorchInfo,
  ) {}

  static async start(o: { size: number; batch: number; threads: number }): Promise<TorchPeer> {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_peer.py');
    // ALEXNET_TORCH_DEVICE=cuda times the peer on a GPU (a lent GPU machine: scripts/device/).
    const device = process.env.ALEXNET_TORCH_DEVICE ?? 'cpu';
    const child = spawn(pythonCommand(), [script, String(o.size), String(o.batch), String(o.threads), device], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('error', (e) => reject(new Error(`${TORCH_HELP} (${e.message})`)));
      // 'close', not 'exit': only then has all of its stderr arrived (the error text is the clue).
      child.once('close', (code) =>
        reject(new Error(/No module named .?torch/.test(stderr) ? TORCH_HELP : `the PyTorch peer exited with ${code}: ${stderr.trim().split('\n').at(-1)}`)),
      );
    });
    const info = JSON.parse(first) as TorchInfo & { ready: boolean };
    return new TorchPeer(child, lines, info);
  }

  /** One timed training step and one timed inference pass, in milliseconds. */
  step(): Promise<{ trainMs: number; inferMs: number }> {
    return new Promise((resolve) => {
      this.lines.once('line', (l) => resolve(JSON.parse(l) as { trainMs: number; inferMs: number }));
      this.child.stdin.write('step\n');
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
