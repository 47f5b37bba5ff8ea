/**
 * `npm run train -- --csv FILE` as a user runs it: one row per epoch with the same numbers as
 * history.json, the rows of a resumed run appended under the same header, and a file that is
 * not a log refused in one line before training starts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from '../../src/data/synthetic.js';
import { run } from './run.js';

const SMALL = ['--image-size', '67', '--width', '0.125', '--batch-size', '4', '--quiet', '--steps-per-epoch', '2', '--validation-steps', '1'];

let data: string;
beforeAll(async () => {
  data = (await makeSyntheticDataset({ dir: join(mkdtempSync(join(tmpdir(), 'csv-data-')), 'set'), size: 67, perClass: { train: 4, validation: 2, test: 1 } })).dir;
});

describe('train --csv', () => {
  it('logs each epoch as Keras does and appends on --resume', async () => {
    const out = mkdtempSync(join(tmpdir(), 'csv-run-'));
    const csv = join(out, 'log.csv');
    const first = await run('train.ts', ['--data', data, ...SMALL, '--epochs', '1', '--out', out, '--csv', csv]);
    expect(first.code, first.out).toBe(0);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(2);
    const resumed = await run('train.ts', ['--out', out, '--resume', '--epochs', '2']);
    expect(resumed.code, resumed.out).toBe(0);

    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    expect(header).toBe('epoch,accuracy,loss,lr,val_accuracy,val_loss');
    expect(rows).toHaveLength(2);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    rows.forEach((line, i) => {
      const [epoch, accuracy, loss, lr, valAccuracy, valLoss] = line.split(',').map(Number);
      expect(epoch).toBe(i); // 0-based, as Keras's CSVLogger writes it (history.json counts from 1)
      expect(history.epoch[i]).toBe(i + 1);
      // Written with full precision, so the numbers are exactly history.json's.
      expect(accuracy).toBe(history.accuracy[i]);
      expect(loss).toBe(history.loss[i]);
      expect(lr).toBe(history.lr[i]);
      expect(valAccuracy).toBe(history.val_accuracy[i]);
      expect(valLoss).toBe(history.val_loss[i]);
    });
  });

  it('refuses a file that is not a training log, in one line, and leaves it alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-bad-'));
    const notes = join(dir, 'notes.csv');
    writeFileSync(notes, 'name,value\nx,1\n');
    const r = await run('train.ts', ['--data', data, ...SMALL, '--epochs', '1', '--out', join(dir, 'out'), '--csv', notes]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error: --csv: .*notes\.csv exists and is not a training log/m);
    expect(r.out).not.toMatch(/\n\s+at /);
    expect(r.out).not.toContain('GPU:'); // refused before the GPU and the data were opened
    expect(readFileSync(notes, 'utf8')).toBe('name,value\nx,1\n');
  });
});
