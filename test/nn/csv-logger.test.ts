/**
 * The CSV training log: Python's float text (values checked against what CPython's repr()
 * prints for them), Keras's column order, resume keeping the finished epochs, and the file
 * side refusing to overwrite a file that is not a log.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvLogger, parseCsvLog, pythonFloat } from '../../src/nn/csv-logger.js';
import { CsvLogError, CsvLogFile } from '../../src/io/csv-log-file.js';

describe('pythonFloat', () => {
  it("prints floats as CPython's repr() does", () => {
    // Each right-hand side is what `python3 -c 'print(repr(x))'` prints.
    const cases: [number, string][] = [
      [0.0001, '0.0001'],
      [1e-5, '1e-05'],
      [5e-5, '5e-05'],
      [2.5e-7, '2.5e-07'],
      [0.5, '0.5'],
      [1, '1.0'],
      [0, '0.0'],
      [-0, '-0.0'],
      [-3.25, '-3.25'],
      [0.6931471805599453, '0.6931471805599453'],
      [123.456, '123.456'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [1.2345678901234568e20, '1.2345678901234568e+20'],
      [9.999999747378752e-5, '9.999999747378752e-05'],
      [NaN, 'nan'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
    ];
    for (const [v, want] of cases) expect(pythonFloat(v), String(v)).toBe(want);
  });
});

const logs = (e: number) => ({ loss: 0.7 - e / 10, accuracy: 0.5 + e / 10, val_loss: 0.8 - e / 10, val_accuracy: 0.4 + e / 10, lr: 1e-4 });

describe('CsvLogger', () => {
  it("writes Keras's header (epoch, then the log names sorted) and one row per epoch", () => {
    const l = new CsvLogger();
    const first = l.onEpochEnd(0, logs(0));
    expect(first).toEqual({ mode: 'replace', text: 'epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.0001,0.4,0.8\n' });
    expect(l.onEpochEnd(1, { ...logs(1), lr: 5e-5 })).toEqual({ mode: 'append', text: '1,0.6,0.6,5e-05,0.5,0.7000000000000001\n' });
    // A value missing from an epoch's logs is NA.
    expect(l.onEpochEnd(2, { loss: 0.25, accuracy: 1, lr: 5e-5 }).text).toBe('2,1.0,0.25,5e-05,NA,NA\n');
  });

  it('on resume keeps the rows of finished epochs and the header, and drops rows of epochs being redone', () => {
    const before = 'epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.0001,0.4,0.8\n1,0.6,0.6,0.0001,0.5,0.7\n2,0.9,0.1,0.0001,0.9,0.1\n';
    const l = new CsvLogger(before);
    // The checkpoint was at the end of epoch 1 (0-based): epoch 2's row came from a run that died before saving it.
    const w = l.onEpochEnd(2, logs(2));
    expect(w.mode).toBe('replace');
    expect(w.text).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.0001,0.4,0.8\n1,0.6,0.6,0.0001,0.5,0.7\n2,0.7,0.49999999999999994,0.0001,0.6000000000000001,0.6000000000000001\n');
    expect(parseCsvLog(w.text)!.rows.map((r) => r.epoch)).toEqual([0, 1, 2]);
  });

  it('a run starting at epoch 0 replaces an old log, as CSVLogger(append=False)', () => {
    const l = new CsvLogger('epoch,loss\n0,1.0\n1,0.5\n');
    expect(l.onEpochEnd(0, { loss: 2 }).text).toBe('epoch,loss\n0,2.0\n');
  });
});

describe('CsvLogFile', () => {
  it('writes the header and rows, appends later epochs, and continues a log on resume', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csvlog-'));
    const file = join(dir, 'log.csv');
    const a = CsvLogFile.open(file);
    a.onEpochEnd(0, logs(0));
    expect(readFileSync(file, 'utf8')).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,0.7,0.0001,0.4,0.8\n');
    a.onEpochEnd(1, logs(1));
    const b = CsvLogFile.open(file);
    b.onEpochEnd(2, logs(2));
    b.onEpochEnd(3, logs(3));
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss');
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['0', '1', '2', '3']);
  });

  it('writes through a symlink rather than replacing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csvlog-'));
    writeFileSync(join(dir, 'real.csv'), '');
    symlinkSync(join(dir, 'real.csv'), join(dir, 'link.csv'));
    CsvLogFile.open(join(dir, 'link.csv')).onEpochEnd(0, { loss: 1 });
    expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.csv'), 'utf8')).toBe('epoch,loss\n0,1.0\n');
  });

  it('refuses a file that is not a log, and a missing folder, before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csvlog-'));
    const notes = join(dir, 'notes.csv');
    writeFileSync(notes, 'name,value\nx,1\n');
    expect(() => CsvLogFile.open(notes)).toThrow(CsvLogError);
    expect(() => CsvLogFile.open(notes)).toThrow(/not a training log/);
    expect(readFileSync(notes, 'utf8')).toBe('name,value\nx,1\n');
    expect(() => CsvLogFile.open(join(dir, 'no/such/log.csv'))).toThrow(/does not exist/);
  });
});
