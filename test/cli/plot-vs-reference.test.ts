/** npm run plot-vs-reference: our history and reference CSVs on the same axes, as PNG files; bad input is one line. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { npmRun } from './spawn.js';

describe('npm run plot-vs-reference', () => {
  it('draws accuracy and loss of a run beside the reference runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plotref-'));
    const history = { epoch: [1, 2, 3], loss: [1.6, 1.4, 1.3], accuracy: [0.52, 0.58, 0.6], val_loss: [1.38, 1.3, 1.29], val_accuracy: [0.5, 0.55, 0.61], lr: [1e-4, 1e-4, 1e-4], seconds: [1, 1, 1] };
    writeFileSync(join(dir, 'history.json'), JSON.stringify(history));
    const ref = join(dir, 'ref');
    mkdirSync(ref);
    writeFileSync(join(ref, 'a.csv'), 'epoch,lr,train_loss,train_acc,val400_acc,val1000_acc,val1000_loss,val1000_bce,epoch_seconds\n1,1e-4,1.6,0.5,0.5,0.5,1.4,0.8,11\n2,1e-4,1.5,0.55,0.5,0.52,1.3,0.7,10\n');
    const r = await npmRun('plot-vs-reference', ['--history', join(dir, 'history.json'), '--reference', ref, '--out', join(dir, 'out')]).done;
    expect(r.code, r.out).toBe(0);
    for (const f of ['accuracy.png', 'loss.png']) {
      const png = PNG.sync.read(readFileSync(join(dir, 'out', f)));
      expect([png.width, png.height]).toEqual([1100, 650]);
    }
    const bad = await npmRun('plot-vs-reference', ['--history', join(dir, 'nope.json'), '--out', join(dir, 'out')]).done;
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^error: --history: .*nope\.json not found$/m);
    expect(bad.out).not.toMatch(/\n\s+at /);
  });
});
