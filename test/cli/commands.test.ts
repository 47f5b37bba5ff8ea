/**
 * The commands end to end on the synthetic set, as a user runs them: train writes every
 * artefact, predict and evaluate read them; Ctrl-C saves a checkpoint that --resume
 * continues; bad input gets one clear line. (The non-finite-loss stop is tested at the fit
 * loop, test/nn/fit.test.ts.) Small images and few steps keep this quick.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { run } from './run.js';

const SMALL = ['--image-size', '67', '--width', '0.125', '--batch-size', '4', '--quiet'];

let data: string;
beforeAll(async () => {
  data = await ensureSyntheticDataset({});
}, 300_000);

describe('npm run train / predict / evaluate', () => {
  const out = mkdtempSync(join(tmpdir(), 'cli-'));

  it('train writes the model, best model, checkpoint, history and curves', async () => {
    const r = await run('train.ts', ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '3', '--validation-steps', '2', '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Total params:');
    expect(r.out).toMatch(/Epoch 2\/2 - \d+s - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+ - lr: 1\.00e-4/);
    for (const f of ['model/model.safetensors', 'model/model.json', 'best/model.safetensors', 'checkpoint/optimizer.safetensors', 'checkpoint/training-state.json', 'history.json', 'accuracy.png', 'loss.png']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.epoch).toEqual([1, 2]);
    expect(history.val_accuracy).toHaveLength(2);
    const png = PNG.sync.read(readFileSync(join(out, 'accuracy.png')));
    expect(png.width).toBeGreaterThan(300);
    const manifest = JSON.parse(readFileSync(join(out, 'model/model.json'), 'utf8'));
    expect(manifest.classNames).toEqual(['circles', 'squares']);
    expect(manifest.preprocessing).toMatchObject({ imageSize: 67, rescale: 1 / 255, resize: 'nearest' });
  });

  it('predict names a class per image and reports an unreadable one on its own line', async () => {
    const bad = join(out, 'not-an-image.jpg');
    writeFileSync(bad, 'hello');
    const img = join(data, 'test/circles/circle.0.jpg');
    const img2 = join(data, 'test/squares/square.0.jpg');
    const r = await run('predict.ts', ['--model', join(out, 'model'), img, bad, img2]);
    expect(r.code).toBe(1); // one image failed
    const lines = r.out.split('\n').filter((l) => l.includes('.jpg:'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/circle\.0\.jpg: (circles|squares) \(\d+\.\d%\)/);
    expect(lines[1]).toMatch(/not-an-image\.jpg: error: .*(not a JPEG or PNG|unrecognised|not an image)/i);
    expect(lines[2]).toMatch(/square\.0\.jpg: (circles|squares) \(\d+\.\d%\)/);
    const j = await run('predict.ts', ['--model', join(out, 'model'), '--json', '--ten-crop', img]);
    const obj = JSON.parse(j.out.split('\n').find((l) => l.startsWith('{'))!);
    expect(obj.probabilities.circles + obj.probabilities.squares).toBeCloseTo(1, 5);
  });

  it('evaluate prints loss, accuracy and a confusion matrix, and JSON with --json', async () => {
    const r = await run('evaluate.ts', ['--model', join(out, 'model'), '--data', join(data, 'test'), '--json']);
    expect(r.code, r.out).toBe(0);
    const res = JSON.parse(r.out.slice(r.out.indexOf('{')));
    expect(res.images).toBe(100);
    const total = res.confusion.flat().reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(100);
    expect(res.accuracy).toBeCloseTo((res.confusion[0][0] + res.confusion[1][1]) / 100, 10);
    expect(Number.isFinite(res.loss)).toBe(true);
  });

  it('Ctrl-C saves a checkpoint; --resume continues to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-int-'));
    let sent = false;
    const r = await run('train.ts', ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '40', '--validation-steps', '1', '--out', dir], {
      onOutput: (s, child) => {
        // Interrupt once training is under way (the first epoch-progress line appears in --quiet only at epoch end, so wait for the start line).
        if (!sent && s.includes('Training on')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      },
    });
    expect(r.code, r.out).toBe(130);
    expect(r.out).toContain('Checkpoint saved');
    const state = JSON.parse(readFileSync(join(dir, 'checkpoint/training-state.json'), 'utf8'));
    expect(state.position.globalStep).toBeGreaterThan(0);
    const resumed = await run('train.ts', ['--out', dir, '--resume', '--quiet']);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/Resuming .* at epoch \d, step \d+/);
    expect(JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')).epoch).toEqual([1, 2]);
  });

  it('bad input gets one clear line, not a stack trace', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cli-empty-'));
    const r = await run('train.ts', ['--data', empty, ...SMALL, '--out', join(empty, 'out')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: .*train/);
    expect(r.out).not.toMatch(/\n\s+at /);
    const m = await run('predict.ts', ['--model', join(empty, 'nope'), 'x.jpg']);
    expect(m.code).toBe(1);
    expect(m.out).toMatch(/error: model folder not found/);
    const noBn = await run('train.ts', ['--model', 'paper', '--update-bn', '800']);
    expect(noBn.out).toMatch(/error: --update-bn: the paper model has no batch normalisation layers/);
    const few = await run('train.ts', ['--update-bn', '3', '--batch-size', '4']);
    expect(few.out).toMatch(/error: --update-bn 3: give at least two batches' worth of images \(8 at --batch-size 4\)/);
    const opt = await run('train.ts', ['--batch-size', 'abc']);
    expect(opt.code).not.toBe(0);
    expect(opt.out).toMatch(/--batch-size: 'abc' is not a non-negative integer/);
  });

  it('with no GPU adapter every entry point says what is missing and how to install it', async () => {
    const env = { VK_ICD_FILENAMES: '/nonexistent/icd.json' };
    for (const [script, args] of [
      ['train.ts', ['--epochs', '1']],
      ['predict.ts', ['--model', 'runs/none', 'x.jpg']],
      ['evaluate.ts', ['--model', 'runs/none', '--data', 'datasets']],
      ['bench.ts', ['--only', 'gemm']],
    ] as const) {
      const r = await run(script, [...args], { env });
      expect(r.code, `${script}: ${r.out}`).toBe(2);
      expect(r.out).toMatch(/No WebGPU adapter is available.*lavapipe.*scripts\/setup\.sh/s);
      expect(r.out, script).not.toMatch(/\n\s+at /);
    }
  });
});
