/**
 * Ctrl-C for long commands: one press means "finish what you are doing, save, exit 130";
 * a second press means "quit now, without saving".
 *
 * A terminal sends SIGINT to the whole foreground process group, and `npm run` also forwards
 * the SIGINT it gets to its child, so one press can reach this process two or more times in
 * quick succession (more when the main thread was busy, e.g. compiling GPU pipelines, and the
 * signals queued). Signals within `duplicateWindowMs` of the first are taken as the same press.
 */
export interface InterruptHandler {
  /** True once Ctrl-C (SIGINT) or SIGTERM arrived. */
  readonly requested: boolean;
  /**
   * 'setup': nothing to save yet — a press exits 130 at once, saying so. 'training': a press
   * asks the fit loop to stop after the current step and save.
   */
  phase: 'setup' | 'training';
  dispose(): void;
}

export interface InterruptOptions {
  duplicateWindowMs?: number;
  /** Printed on the first press during training. */
  message?: string;
  write?: (s: string) => void;
  exit?: (code: number) => void;
}

export function installInterruptHandler(o: InterruptOptions = {}): InterruptHandler {
  const window = o.duplicateWindowMs ?? 1000;
  const write = o.write ?? ((s: string) => process.stderr.write(s));
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let firstAt = -Infinity;
  const h = {
    requested: false,
    phase: 'setup' as 'setup' | 'training',
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
  function on(signal: NodeJS.Signals): void {
    const now = performance.now();
    if (h.requested) {
      if (now - firstAt < window) return; // the same press, relayed
      write(`\nSecond ${signal === 'SIGINT' ? 'Ctrl-C' : signal}: exiting without saving.\n`);
      exit(130);
      return;
    }
    h.requested = true;
    firstAt = now;
    if (h.phase === 'setup') {
      write('\nInterrupted before training started: nothing to save.\n');
      exit(130);
      return;
    }
    write(o.message ?? '\nCtrl-C: finishing this step, then saving a checkpoint (press again to quit at once)...\n');
  }
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return h;
}
