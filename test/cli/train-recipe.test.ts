/**
 * What `npm run train` records and what predict does with it: the tutorial recipe's settings
 * in model.json (no machine paths), a warm-up + cosine schedule with label smoothing and mixup
 * (and batch norm re-estimated at each epoch end) that resumes exactly after a crash, and a model meant for ten crops that predict averages
 * ten crops for by default.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { defaultModelDir } from '../../src/data/paths.js';
import { scheduledLr } from '../../src/nn/callbacks.js';
import { npmRun, root } from './spawn.js';

const SMALL = ['--image-size', '67', '--width', '0.125', '--batch-size', '4', '--quiet'];
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));

let data: string;
beforeAll(async () => {
  data = await ensureSyntheticDataset({});
}, 300_000);

describe('train records its recipe', () => {
  it('--data without --recipe is the tutorial recipe, recorded setting by setting, without machine paths', async () => {
    const out = mkdtempSync(join(tmpdir(), 'recipe-'));
    const r = await npmRun('train', ['--data', data, ...SMALL, '--epochs', '1', '--steps-per-epoch', '2', '--validation-steps', '1', '--out', out]).done;
    expect(r.code, r.out).toBe(0);
    const m = manifest(join(out, 'model'));
    expect(m.training).toMatchObject({
      recipe: 'tutorial',
      model: 'tutorial-regularized',
      lr: 1e-4,
      optimizer: 'adam',
      rescale: 1 / 255,
      resize: 'nearest',
      rotationRange: 40,
      widthShiftRange: 0.2,
      heightShiftRange: 0.2,
      shearRange: 0.2,
      zoomRange: 0.2,
      horizontalFlip: true,
      fillMode: 'nearest',
      validationAugment: true,
      validationShuffle: true,
      reduceLr: true,
      reduceLrMonitor: 'val_accuracy',
      reduceLrFactor: 0.5,
      reduceLrPatience: 5,
      reduceLrMinLr: 1e-5,
      // Given on the command line, so not the recipe's:
      batchSize: 4,
      epochs: 1,
      stepsPerEpoch: 2,
      validationSteps: 1,
      imageSize: 67,
    });
    expect(m.modelOptions.variant).toBe('tutorial-regularized');
    expect(m.evaluation).toEqual({ tenCrop: false });
    const text = readFileSync(join(out, 'model/model.json'), 'utf8');
    expect(text).not.toContain(root);
    // Folders are recorded relative to where train ran, never as absolute paths.
    for (const v of Object.values(m.training)) if (typeof v === 'string') expect(v.startsWith('/'), v).toBe(false);
  });

  it('--recipe better: its settings, written out here, recorded; ten-crop evaluation recorded for predict and evaluate', async () => {
    const out = mkdtempSync(join(tmpdir(), 'recipe-better-'));
    const given = ['--epochs', '2', '--warmup-epochs', '1', '--steps-per-epoch', '2', '--validation-steps', '1', '--crop-from', '80', '--update-bn', '8'];
    const r = await npmRun('train', ['--data', data, '--recipe', 'better', ...SMALL, ...given, '--out', out]).done;
    expect(r.code, r.out).toBe(0);
    const m = manifest(join(out, 'model'));
    expect(m.training).toMatchObject({
      recipe: 'better',
      model: 'tutorial-regularized',
      lr: 5e-4,
      optimizer: 'adam',
      rotationRange: 15,
      widthShiftRange: 0,
      heightShiftRange: 0,
      shearRange: 0,
      zoomRange: 0.1,
      horizontalFlip: true,
      validationAugment: false,
      reduceLr: false,
      pcaNoise: 0.1,
      lrSchedule: 'cosine',
      minLr: 0,
      labelSmoothing: 0.1,
      tenCropEval: true,
      // Given on the command line, so not the recipe's (50 epochs, 2 of warm-up, crops of 256, 800 photos):
      epochs: 2,
      warmupEpochs: 1,
      stepsPerEpoch: 2,
      validationSteps: 1,
      cropFrom: 80,
      updateBn: 8,
      imageSize: 67,
    });
    expect(m.evaluation).toEqual({ tenCrop: true });
    expect(m.preprocessing).toMatchObject({ imageSize: 67, cropFrom: 80 });
  });

  it("'all' overrides the recipe's step counts with one pass over each set (recorded as 0)", async () => {
    const out = mkdtempSync(join(tmpdir(), 'recipe-all-'));
    const r = await npmRun('train', ['--data', data, ...SMALL, '--epochs', '1', '--steps-per-epoch', 'all', '--validation-steps', 'all', '--out', out]).done;
    expect(r.code, r.out).toBe(0);
    // 400 training images in batches of 4; all 100 validation images (a 50-batch window of 4 would see 200).
    expect(r.out).toMatch(/Training on 400 images .*validating on 100; 100 steps of 4 per epoch, 1 epochs/);
    const m = manifest(join(out, 'model'));
    expect(m.training).toMatchObject({ recipe: 'tutorial', stepsPerEpoch: 0, validationSteps: 0 });
    const bad = await npmRun('train', ['--data', data, ...SMALL, '--steps-per-epoch', 'some', '--out', out]).done;
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/error: --steps-per-epoch: 'some' is not a non-negative integer/);
  });
});

describe('a schedule, label smoothing and mixup', () => {
  it('follow the warm-up + cosine curve, and a run killed mid-epoch resumes to the same weights', async () => {
    const args = ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '6', '--validation-steps', '1', '--lr', '1e-3', '--lr-schedule', 'cosine', '--warmup-epochs', '1', '--label-smoothing', '0.1', '--mixup', '0.2', '--save-freq', '3', '--ten-crop-eval', '--update-bn', '8'];
    const whole = mkdtempSync(join(tmpdir(), 'sched-whole-'));
    const w = await npmRun('train', [...args, '--out', whole]).done;
    expect(w.code, w.out).toBe(0);
    const history = JSON.parse(readFileSync(join(whole, 'history.json'), 'utf8'));
    const o = { shape: 'cosine' as const, lr: 1e-3, minLr: 0, totalSteps: 12, warmupSteps: 6 };
    // The rate recorded at an epoch's end is the one its last step used.
    expect(history.lr[0]).toBeCloseTo(scheduledLr(o, 5), 12);
    expect(history.lr[1]).toBeCloseTo(scheduledLr(o, 11), 12);
    expect(manifest(join(whole, 'model')).training).toMatchObject({ lrSchedule: 'cosine', reduceLr: false, labelSmoothing: 0.1, mixup: 0.2, updateBn: 8 });
    expect(w.out).not.toMatch(/warning/); // the un-augmented training loader for --update-bn does not repeat the data's warnings

    const crashed = mkdtempSync(join(tmpdir(), 'sched-crash-'));
    const job = npmRun('train', [...args, '--out', crashed]);
    await job.waitFor(/Training on/);
    for (let i = 0; i < 600; i++) {
      const f = join(crashed, 'checkpoint/training-state.json');
      if (existsSync(f) && JSON.parse(readFileSync(f, 'utf8')).position.globalStep >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    job.signalGroup('SIGKILL');
    await job.done;
    const resumed = await npmRun('train', ['--out', crashed, '--resume', '--quiet']).done;
    expect(resumed.code, resumed.out).toBe(0);
    expect(readFileSync(join(crashed, 'model/model.safetensors')).equals(readFileSync(join(whole, 'model/model.safetensors')))).toBe(true);

    // --ten-crop-eval: predict averages ten crops unless told not to.
    const png = new PNG({ width: 90, height: 80 });
    for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) % 251;
    const photo = join(whole, 'photo.png');
    writeFileSync(photo, PNG.sync.write(png));
    const prob = async (extra: string[]) => {
      const p = await npmRun('predict', ['--model', join(whole, 'model'), '--json', ...extra, photo]).done;
      expect(p.code, p.out).toBe(0);
      return JSON.parse(p.out.trim().split('\n').at(-1)!).probability as number;
    };
    const byDefault = await prob([]);
    expect(byDefault).toBe(await prob(['--ten-crop']));
    expect(byDefault).not.toBe(await prob(['--no-ten-crop']));
  });
});

describe('predict without --model', () => {
  it('uses the first shipped model there is (models/cats-dogs-best, else the tutorial one), and says which', async () => {
    const png = new PNG({ width: 40, height: 40 });
    png.data.fill(200);
    const photo = join(mkdtempSync(join(tmpdir(), 'nomodel-')), 'p.png');
    writeFileSync(photo, PNG.sync.write(png));
    const shipped = ['cats-dogs-best', 'cats-dogs-tutorial'].find((n) => existsSync(join(root, 'models', n, 'model.json')));
    // The repository ships the tutorial's model at least (models/README.md).
    expect(shipped).toBeDefined();
    expect(defaultModelDir()).toBe(join(root, 'models', shipped!));
    const r = await npmRun('predict', [photo]).done;
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`model: models/${shipped} (the shipped default`);
    expect(r.out).toMatch(/p\.png: (cats|dogs) \(\d+\.\d%\)/);
  });
});
