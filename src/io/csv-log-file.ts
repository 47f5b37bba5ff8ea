/**
 * The CSV training log in a file (Node): src/nn/csv-logger.ts decides the text, this writes it.
 * The first row of a run rewrites the file atomically (header, the rows a resumed run keeps,
 * the row); each later row is appended and synced before the next epoch starts, so the file is
 * complete up to the last finished epoch even if the process is killed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logs } from '../nn/callbacks.js';
import { CsvLogger, parseCsvLog } from '../nn/csv-logger.js';
import { writeFileAtomicSync } from './atomic-write.js';

export class CsvLogError extends Error {}

export class CsvLogFile {
  private readonly logger: CsvLogger;

  private constructor(
    readonly path: string,
    existing: string | null,
    separator: string,
  ) {
    this.logger = new CsvLogger(existing, separator);
  }

  /**
   * Checks the file can be written (its folder exists; an existing file is a CSV log, not some
   * other file the user would lose) and reads what a resumed run keeps. Throws CsvLogError.
   */
  static open(file: string, opts: { separator?: string } = {}): CsvLogFile {
    const separator = opts.separator ?? ',';
    let target = path.resolve(file);
    const dir = path.dirname(target);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CsvLogError(`${file}: folder ${dir} does not exist`);
    let existing: string | null = null;
    if (fs.existsSync(target)) {
      target = fs.realpathSync(target); // write through a symlink, not over it
      if (!fs.statSync(target).isFile()) throw new CsvLogError(`${file} exists and is not a file`);
      existing = fs.readFileSync(target, 'utf8');
      if (existing.trim().length > 0 && !parseCsvLog(existing, separator)) {
        throw new CsvLogError(`${file} exists and is not a training log (its first line is not an 'epoch${separator}...' header); choose another file`);
      }
    }
    return new CsvLogFile(target, existing, separator);
  }

  /** Records one finished epoch (0-based, as the fit loop's onEpochEnd hook gives it). */
  onEpochEnd(epoch: number, logs: Logs): void {
    const w = this.logger.onEpochEnd(epoch, logs);
    if (w.mode === 'replace') {
      writeFileAtomicSync(this.path, w.text);
      return;
    }
    const fd = fs.openSync(this.path, 'a');
    try {
      fs.writeSync(fd, w.text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
