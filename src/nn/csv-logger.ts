/**
 * Keras's CSVLogger as text (platform-neutral; src/io/csv-log-file.ts puts it in a file).
 *
 * One row per epoch as it ends: `epoch` (0-based, as Keras writes it) and then the epoch's logs
 * under their names in sorted order — for this engine's fit loop
 *   epoch,accuracy,loss,lr,val_accuracy,val_loss
 * Numbers are written as Python writes floats (repr: `0.0001`, `1e-05`, `nan`), so the file
 * reads the same as one Keras wrote; a value missing from an epoch's logs is `NA`.
 *
 * Resuming: the logger is handed the file's current text. Rows of the epochs before the one
 * now ending are kept (with their header), so a resumed run appends after them; rows of that
 * epoch or later (written before a crash, by a run that is being redone) are dropped. A run
 * that starts at epoch 0 replaces the file, as Keras's CSVLogger(append=False) does.
 */
import type { Logs } from './callbacks.js';

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  const e = Number(exp);
  const decpt = e + 1; // position of the decimal point after the first digit
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** What to do with the file: replace its whole text, or append to it. */
export interface CsvWrite {
  mode: 'replace' | 'append';
  text: string;
}

/** Parses a log's text: its columns (after `epoch`) and its rows with their epochs; null if it is not a log. */
export function parseCsvLog(text: string, separator = ','): { keys: string[]; rows: { epoch: number; line: string }[] } | null {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) return null;
  const header = lines[0]!.split(separator);
  if (header[0] !== 'epoch') return null;
  const rows = lines.slice(1).map((line) => ({ epoch: Number(line.split(separator)[0]), line }));
  return { keys: header.slice(1), rows: rows.filter((r) => Number.isInteger(r.epoch)) };
}

export class CsvLogger {
  private keys: string[] | null = null;
  private started = false;

  /** `existing`: the file's text when the logger starts (empty or null when there is none). */
  constructor(
    private readonly existing: string | null = null,
    readonly separator = ',',
  ) {}

  /** The header line for these logs' keys (no newline). */
  static header(keys: readonly string[], separator = ','): string {
    return ['epoch', ...keys].join(separator);
  }

  private row(epoch: number, logs: Logs): string {
    const cells = this.keys!.map((k) => (typeof logs[k] === 'number' ? pythonFloat(logs[k]) : 'NA'));
    return [String(epoch), ...cells].join(this.separator);
  }

  /** The write that records this epoch's row (`epoch` 0-based, as the fit loop's onEpochEnd gives it). */
  onEpochEnd(epoch: number, logs: Logs): CsvWrite {
    if (this.started) return { mode: 'append', text: this.row(epoch, logs) + '\n' };
    this.started = true;
    const previous = epoch > 0 && this.existing ? parseCsvLog(this.existing, this.separator) : null;
    const kept = previous ? previous.rows.filter((r) => r.epoch < epoch).map((r) => r.line) : [];
    this.keys = previous && previous.keys.length > 0 ? previous.keys : Object.keys(logs).sort();
    const lines = [CsvLogger.header(this.keys, this.separator), ...kept, this.row(epoch, logs)];
    return { mode: 'replace', text: lines.join('\n') + '\n' };
  }
}
