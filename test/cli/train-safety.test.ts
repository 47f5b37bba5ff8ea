/**
 * `npm run train` as a user meets it when things go wrong: Ctrl-C sent to the whole process
 * group (as a terminal does) at the first step and mid-epoch, two runs on one output folder,
 * a stale lock, a crash (SIGKILL) between mid-epoch checkpoints, and bad options answered
 * in one line before any image is decoded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { constants, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSyntheticDataset } from '../../src/data/synthetic.js';
import { npmRun } from './spawn.js';

const SMALL = ['--image-size', '67', '--width', '0.125', '--batch-size', '4', '--quiet'];
const state = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint/training-state.json'), 'utf8'));
const count = (s: string, sub: string) => s.split(sub).length - 1;
/** The exit status a shell reports: npm passes a child's signal exit on by re-raising the signal. */
const status = (r: { code: number | null; signal: NodeJS.Signals | null }) => r.code ?? 128 + constants.signals[r.signal!];

let data: string;
beforeAll(async () => {
  data = await ensureSyntheticDataset({});
}, 300_000);

describe('Ctrl-C to the process group of npm run train', () => {
  it('during the first step (pipelines compiling): one press finishes it, saves, exits 130', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sigint-first-'));
    const job = npmRun('train', ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '20', '--validation-steps', '1', '--out', out]);
    await job.waitFor(/Training on/);
    job.signalGroup('SIGINT');
    const r = await job.done;
    expect(status(r), r.out).toBe(130);
    expect(count(r.out, 'Ctrl-C: finishing this step'), r.out).toBe(1);
    expect(r.out).not.toContain('Second Ctrl-C');
    expect(r.out).toContain('Checkpoint saved');
    expect(state(out).position.globalStep).toBeLessThanOrEqual(1);
    expect(existsSync(join(out, '.lock')), 'the lock is released').toBe(false);
  });

  it('mid-epoch: saves that exact step; --resume continues it to the end', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sigint-mid-'));
    // Long enough that it cannot end before the signal, however fast the machine.
    const job = npmRun('train', ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '150', '--validation-steps', '1', '--save-freq', '4', '--out', out]);
    // Mid-epoch: once a periodic checkpoint shows training is under way.
    const ckpt = join(out, 'checkpoint/training-state.json');
    for (let i = 0; i < 1200 && !(existsSync(ckpt) && state(out).position.globalStep >= 4); i++) await new Promise((r) => setTimeout(r, 100));
    job.signalGroup('SIGINT');
    const r = await job.done;
    expect(status(r), r.out).toBe(130);
    expect(count(r.out, 'Ctrl-C: finishing this step'), r.out).toBe(1);
    expect(r.out).not.toContain('Second Ctrl-C');
    const pos = state(out).position;
    expect(pos.epoch).toBe(0);
    expect(pos.stepInEpoch).toBeGreaterThan(3);
    expect(pos.stepInEpoch).toBeLessThan(150);
    expect(r.out).toContain(`Interrupted at epoch 1, step ${pos.stepInEpoch}.`);
    const resumed = await npmRun('train', ['--out', out, '--resume', '--quiet']).done;
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain(`Resuming ${out} at epoch 1, step ${pos.stepInEpoch} (global step ${pos.stepInEpoch})`);
    expect(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).epoch).toEqual([1, 2]);
  });

  it('as soon as the GPU is up: exits 130 with one message, whichever phase the signal lands in', async () => {
    // The images' headers take milliseconds and the pixels decode in the background, so the
    // signal may be handled before training starts (nothing to save) or at the first step (saved).
    const out = mkdtempSync(join(tmpdir(), 'sigint-setup-'));
    const job = npmRun('train', ['--data', data, ...SMALL, '--epochs', '1', '--steps-per-epoch', '50', '--out', out]);
    await job.waitFor(/GPU: /);
    job.signalGroup('SIGINT');
    const r = await job.done;
    expect(status(r), r.out).toBe(130);
    const before = count(r.out, 'Interrupted before training started: nothing to save.');
    const during = count(r.out, 'Ctrl-C: finishing this step');
    expect(before + during, r.out).toBe(1);
    if (during) expect(state(out).position.globalStep).toBeLessThanOrEqual(1);
    else expect(existsSync(join(out, 'checkpoint'))).toBe(false);
    expect(r.out).not.toContain('Second Ctrl-C');
    expect(r.out).not.toMatch(/\n\s+at /);
  });
});

describe('one run per output folder', () => {
  it('a second run on the same --out is refused while the first runs; a stale lock is taken over', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lock-'));
    const first = npmRun('train', ['--data', data, ...SMALL, '--epochs', '50', '--steps-per-epoch', '30', '--validation-steps', '1', '--out', out]);
    await first.waitFor(/Training on/);
    const lock = JSON.parse(readFileSync(join(out, '.lock'), 'utf8'));
    expect(lock.host).toBe(hostname());
    const second = await npmRun('train', ['--data', data, ...SMALL, '--epochs', '1', '--out', out]).done;
    expect(second.code, second.out).toBe(1);
    expect(second.out).toMatch(new RegExp(`error: .* is in use by another training run \\(pid ${lock.pid}, since`));
    expect(second.out).not.toContain('decoded');
    first.signalGroup('SIGINT');
    expect(status(await first.done)).toBe(130);
    const before = readFileSync(join(out, 'checkpoint/training-state.json'), 'utf8');

    // A lock left by a process that no longer runs (killed with SIGKILL, say) is stale.
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: '2026-01-01T00:00:00.000Z', command: 'x' }));
    const third = await npmRun('train', ['--out', out, '--resume', '--quiet', '--epochs', '1']).done;
    expect(third.out).toMatch(/removed a stale lock .*no longer running/);
    expect(third.code, third.out).toBe(0);
    expect(third.out).toMatch(/Resuming .* at epoch 1/);
    expect(readFileSync(join(out, 'checkpoint/training-state.json'), 'utf8')).not.toBe(before);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});

describe('mid-epoch checkpoints (--save-freq)', () => {
  it('a run killed with SIGKILL resumes from its last periodic checkpoint and ends on the same weights as an uninterrupted run', async () => {
    const args = ['--data', data, ...SMALL, '--epochs', '1', '--steps-per-epoch', '12', '--validation-steps', '1', '--save-freq', '3'];
    const whole = mkdtempSync(join(tmpdir(), 'savefreq-whole-'));
    const w = await npmRun('train', [...args, '--out', whole]).done;
    expect(w.code, w.out).toBe(0);

    const crashed = mkdtempSync(join(tmpdir(), 'savefreq-crash-'));
    const job = npmRun('train', [...args, '--out', crashed]);
    await job.waitFor(/Training on/);
    // Wait for the second periodic checkpoint (step 6), then crash hard.
    for (let i = 0; i < 600; i++) {
      const s = existsSync(join(crashed, 'checkpoint/training-state.json')) ? state(crashed) : null;
      if (s && s.position.globalStep >= 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    job.signalGroup('SIGKILL');
    await job.done;
    const saved = state(crashed).position;
    expect(saved.epoch).toBe(0);
    expect([6, 9]).toContain(saved.globalStep);
    const resumed = await npmRun('train', ['--out', crashed, '--resume', '--quiet']).done;
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain(`at epoch 1, step ${saved.globalStep} (global step ${saved.globalStep})`);
    const a = readFileSync(join(whole, 'model/model.safetensors'));
    const b = readFileSync(join(crashed, 'model/model.safetensors'));
    expect(b.equals(a), 'resumed weights equal the uninterrupted run').toBe(true);
  });
});

describe('bad options: one line, before decoding anything', () => {
  it.each([
    [['--epochs', '0'], /--epochs: must be at least 1 \(got '0'\)/],
    [['--batch-size', '0'], /--batch-size: must be at least 1 \(got '0'\)/],
    [['--image-size', '0'], /--image-size: must be at least 1 \(got '0'\)/],
    [['--image-size', '16'], /--image-size 16: .*use --image-size 67 or larger/],
    [['--image-size', '32'], /--image-size 32: .*use --image-size 67 or larger/],
    [['--save-freq', 'often'], /--save-freq: 'often' is not/],
    [['--batch-size', '100000'], /--batch-size 100000 is too large for this GPU: .* the largest batch that fits is \d+/],
  ])('%j', async (bad, message) => {
    const out = mkdtempSync(join(tmpdir(), 'badopt-'));
    const r = await npmRun('train', ['--data', data, ...SMALL, '--out', out, ...bad]).done;
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(message);
    expect(r.out).not.toContain('decoded');
    expect(r.out).not.toMatch(/\n\s+at /);
  });

  it('a missing --data folder is called missing', async () => {
    const r = await npmRun('train', ['--data', join(tmpdir(), 'no-such-folder-here'), '--quiet']).done;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: data folder not found: .*no-such-folder-here/);
  });

  it('--resume names every changed option and keeps the run as it was', async () => {
    const out = mkdtempSync(join(tmpdir(), 'resume-changed-'));
    const job = npmRun('train', ['--data', data, ...SMALL, '--epochs', '2', '--steps-per-epoch', '30', '--validation-steps', '1', '--out', out]);
    await job.waitFor(/Training on/);
    job.signalGroup('SIGINT');
    expect(status(await job.done)).toBe(130);
    const before = readFileSync(join(out, 'checkpoint/training-state.json'), 'utf8');
    const r = await npmRun('train', ['--out', out, '--resume', '--lr', '0.01', '--batch-size', '8', '--quiet']).done;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/--lr \(the run has 0\.0001, given 0\.01\); --batch-size \(the run has 4, given 8\)/);
    expect(readFileSync(join(out, 'checkpoint/training-state.json'), 'utf8')).toBe(before);

    // A run saved before some options existed resumes with their defaults.
    const saved = JSON.parse(before);
    for (const k of ['lrSchedule', 'warmupEpochs', 'minLr', 'labelSmoothing', 'mixup', 'saveFreq', 'followLinks', 'tenCropEval', 'updateBn', 'saveEpochsFrom']) delete saved.options[k];
    writeFileSync(join(out, 'checkpoint/training-state.json'), JSON.stringify(saved));
    // --save-epochs-from may be given on resume (it changes what is kept, not the training).
    const old = await npmRun('train', ['--out', out, '--resume', '--quiet', '--save-epochs-from', '2']).done;
    expect(old.code, old.out).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'model/model.json'), 'utf8')).training).toMatchObject({ lrSchedule: 'none', mixup: 0, labelSmoothing: 0, updateBn: 0, saveEpochsFrom: 2 });
    expect(readdirSync(join(out, 'epochs'))).toEqual(['epoch-002']); // from epoch 2 on; the last epoch's is the final model
    expect(readFileSync(join(out, 'epochs/epoch-002/model.safetensors')).equals(readFileSync(join(out, 'model/model.safetensors')))).toBe(true);
  });

  it('a loss that turns NaN before any checkpoint says none was saved', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nan-'));
    const r = await npmRun('train', ['--data', data, ...SMALL, '--epochs', '1', '--steps-per-epoch', '20', '--validation-steps', '1', '--lr', '1e30', '--save-freq', 'epoch', '--out', out]).done;
    expect(r.code, r.out).toBe(3);
    expect(r.out).toMatch(/error: the loss became (NaN|Infinity|-Infinity) at epoch 1/);
    expect(r.out).toContain('No checkpoint was saved before it');
    expect(r.out).not.toContain('Last good checkpoint');
  });
});
