/** Runs a command-line script as a user does (node with tsx's loader), collecting stdout and stderr. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const root = resolve(__dirname, '../..');

export function run(
  script: string,
  args: string[],
  opts: { onOutput?: (s: string, child: ReturnType<typeof spawn>) => void; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], { cwd: opts.cwd ?? root, env: { ...process.env, FORCE_COLOR: '0', ...opts.env } });
    let out = '';
    let stdout = '';
    const on = (d: Buffer) => {
      out += d.toString();
      opts.onOutput?.(out, child);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      on(d);
    });
    child.stderr.on('data', on);
    child.on('close', (code) => res({ code, out, stdout }));
  });
}
