/**
 * Progress display for long work: a live bar on a terminal (cli-progress), and on a pipe or
 * CI log a plain line every few seconds so logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, text: string): void;
  stop(): void;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progress(title: string, total: number, stream: NodeJS.WriteStream = process.stdout): Progress {
  const start = performance.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${title} [{bar}] {value}/{total} - {text} - ETA {etaStr}`,
        barCompleteChar: '=',
        barIncompleteChar: '.',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stream,
        fps: 8,
      },
      cliProgress.Presets.legacy,
    );
    bar.start(total, 0, { text: '', etaStr: '--' });
    return {
      update(done, text) {
        const el = (performance.now() - start) / 1000;
        bar.update(done, { text, etaStr: eta((el / Math.max(done, 1e-9)) * (total - done)) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let last = 0;
  return {
    update(done, text) {
      const now = performance.now();
      if (done < total && now - last < 5000) return;
      last = now;
      const el = (now - start) / 1000;
      stream.write(`${title} ${done}/${total} - ${text} - ETA ${eta((el / Math.max(done, 1e-9)) * (total - done))}\n`);
    },
    stop() {},
  };
}
