/**
 * Runs the project's commands the way a user's terminal does: `npm run <cmd> -- args` in a
 * process group of its own (as a shell puts a foreground job), so a test can send a signal
 * to the whole group, as Ctrl-C in a terminal does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const root = resolve(__dirname, '../..');

export interface Job {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Resolves once the output matches (rejects after `timeoutMs` or if the job ends first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal to the whole process group (npm, the shell and node), as a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

export function npmRun(command: string, args: string[], env: Record<string, string> = {}): Job {
  const child = spawn('npm', ['run', '--silent', command, '--', ...args], {
    cwd: root,
    detached: true, // its own process group, like a shell's foreground job
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; ok: () => void }[] = [];
  const on = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) (w.re.test(out) ? w.ok : () => waiters.push(w))();
  };
  child.stdout!.on('data', on);
  child.stderr!.on('data', on);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, out })),
  );
  return {
    child,
    output: () => out,
    done,
    signalGroup(signal) {
      process.kill(-child.pid!, signal);
    },
    waitFor(re, timeoutMs = 120_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((ok, fail) => {
        const t = setTimeout(() => fail(new Error(`timed out waiting for ${re} in:\n${out}`)), timeoutMs);
        void done.then(() => {
          clearTimeout(t);
          if (re.test(out)) ok();
          else fail(new Error(`the command ended before printing ${re}:\n${out}`));
        });
        waiters.push({
          re,
          ok: () => {
            clearTimeout(t);
            ok();
          },
        });
      });
    },
  };
}
