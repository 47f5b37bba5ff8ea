/**
 * npm run train — trains an AlexNet variant the way the Keras tutorial does, on this engine.
 * With no options it trains quickly on the project's synthetic image set (generated on first
 * use). `npm run train -- --help` lists every option with its default.
 */
import { Command, Option } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { buildModel, MODEL_VARIANTS, type ModelOptions, type ModelVariant } from '../src/nn/models.js';
import { Trainer } from '../src/nn/trainer.js';
import { fit, NonFiniteLossError, type FitPosition } from '../src/nn/fit.js';
import { BestTracker, EarlyStopping, ReduceLROnPlateau } from '../src/nn/callbacks.js';
import { makeOptimizer, OPTIMIZERS, type OptimizerName } from './lib/optimizer.js';
import { CheckpointError, saveModel, saveTrainingCheckpoint, readTrainingState, loadOptimizerState, loadWeights, type Preprocessing } from '../src/io/checkpoint.js';
import { openTrainingData } from './lib/data.js';
import { progress, type Progress } from './lib/progress.js';
import { plotTrainingHistory } from '../src/io/plot.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { openCsvLog } from './lib/csv-log.js';

function num(name: string) {
  return (v: string): number => {
    const n = v.includes('/') ? Number(v.split('/')[0]) / Number(v.split('/')[1]) : Number(v);
    if (!Number.isFinite(n)) throw new UserError(`--${name}: '${v}' is not a number`);
    return n;
  };
}
function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--${name}: '${v}' is not a non-negative integer`);
    return n;
  };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('Train AlexNet (cats vs dogs by default) with the Keras tutorial\'s recipe on this WebGPU engine.')
    .option('--data <dir>', 'data folder with train/ and validation/ (one sub-folder per class); default: the synthetic set, generated on first use (env ALEXNET_DATA)')
    .addOption(new Option('--model <variant>', 'model variant').choices(MODEL_VARIANTS).default('tutorial'))
    .option('--image-size <px>', 'input size (square); the synthetic quick run uses 112', int('image-size'), 224)
    .option('--width <mult>', 'width multiplier for every layer (1 = published widths); the synthetic quick run uses 0.5', num('width'), 1)
    .option('--batch-size <n>', 'batch size', int('batch-size'), 8)
    .option('--epochs <n>', 'epochs; the synthetic quick run uses 8', int('epochs'), 10)
    .option('--steps-per-epoch <n>', 'batches per epoch (default: one pass over the training data)', int('steps-per-epoch'))
    .option('--validation-steps <n>', 'validation batches per epoch (default: all of the validation data)', int('validation-steps'))
    .option('--lr <rate>', 'learning rate', num('lr'), 1e-4)
    .addOption(new Option('--optimizer <name>', 'adam (Keras ε 1e-7), adam-pytorch (ε 1e-8), or sgd').choices(OPTIMIZERS).default('adam'))
    .option('--momentum <m>', 'SGD momentum', num('momentum'), 0.9)
    .option('--weight-decay <wd>', 'SGD weight decay', num('weight-decay'), 0)
    .option('--rescale <factor>', 'pixel rescale (Keras ImageDataGenerator rescale)', num('rescale'), 1 / 255)
    .addOption(new Option('--resize <method>', 'resize interpolation (Keras default: nearest)').choices(['nearest', 'bilinear']).default('nearest'))
    .option('--rotation-range <deg>', 'random rotation range in degrees', num('rotation-range'), 15)
    .option('--width-shift-range <frac>', 'random horizontal shift (fraction of width)', num('width-shift-range'), 0.1)
    .option('--height-shift-range <frac>', 'random vertical shift (fraction of height)', num('height-shift-range'), 0.1)
    .option('--shear-range <deg>', 'random shear angle in degrees', num('shear-range'), 0.1)
    .option('--zoom-range <z>', 'random zoom in [1-z, 1+z]', num('zoom-range'), 0.2)
    .option('--no-horizontal-flip', 'disable random horizontal flips')
    .option('--vertical-flip', 'random vertical flips', false)
    .addOption(new Option('--fill-mode <mode>', 'how points outside the image are filled').choices(['nearest', 'constant', 'reflect', 'wrap']).default('nearest'))
    .option('--cval <v>', 'fill value for --fill-mode constant (0-255)', num('cval'), 0)
    .option('--no-augment', 'turn every augmentation off (rescale and resize only)')
    .option('--crop-from <px>', "AlexNet paper's recipe: resize to this size and take random --image-size crops (0 = off)", int('crop-from'), 0)
    .option('--pca-noise <sigma>', "AlexNet paper's PCA colour noise σ (0 = off; the paper uses 0.1)", num('pca-noise'), 0)
    .option('--reduce-lr-monitor <metric>', 'ReduceLROnPlateau monitor', 'val_accuracy')
    .option('--reduce-lr-factor <f>', 'ReduceLROnPlateau factor', num('reduce-lr-factor'), 0.5)
    .option('--reduce-lr-patience <n>', 'ReduceLROnPlateau patience (epochs)', int('reduce-lr-patience'), 2)
    .option('--reduce-lr-min-lr <lr>', 'ReduceLROnPlateau min_lr', num('reduce-lr-min-lr'), 1e-5)
    .option('--reduce-lr-min-delta <d>', 'ReduceLROnPlateau min_delta', num('reduce-lr-min-delta'), 1e-4)
    .option('--reduce-lr-cooldown <n>', 'ReduceLROnPlateau cooldown (epochs)', int('reduce-lr-cooldown'), 0)
    .addOption(new Option('--reduce-lr-mode <mode>', 'ReduceLROnPlateau mode').choices(['auto', 'min', 'max']).default('auto'))
    .option('--no-reduce-lr', 'disable ReduceLROnPlateau')
    .option('--early-stopping-patience <n>', 'stop after this many epochs without val improvement (0 = off)', int('early-stopping-patience'), 0)
    .option('--monitor <metric>', 'metric that picks the best model (saved to OUT/best)', 'val_accuracy')
    .option('--seed <n>', 'seed for weights, data order, augmentation and dropout', int('seed'), 42)
    .option('--out <dir>', 'output folder (model, checkpoints, history, curves)', 'runs/latest')
    .option('--resume', 'continue the run in --out from its last checkpoint (same options, state and data order)', false)
    .option('--workers <n>', 'image decoding worker threads (default: the number of cores)', int('workers'))
    .option('--quiet', 'no progress bar; one line per epoch', false)
    .option('--csv <file>', "append one row per epoch to this CSV file (Keras's CSVLogger: epoch,accuracy,loss,lr,val_accuracy,val_loss)");
}

type Opts = ReturnType<ReturnType<typeof trainCommand>['opts']> & Record<string, any>;

async function main(): Promise<number> {
  const cmd = trainCommand();
  cmd.parse(process.argv);
  let o = cmd.opts() as Opts;
  const out = resolve(o.out as string);
  const ckptDir = join(out, 'checkpoint');

  let resumeState: ReturnType<typeof readTrainingState> | null = null;
  if (o.resume) {
    if (!existsSync(join(ckptDir, 'training-state.json'))) {
      throw new UserError(`--resume: no checkpoint in ${ckptDir} (train without --resume first, or pick the run with --out)`);
    }
    try {
      resumeState = readTrainingState(ckptDir);
    } catch (e) {
      if (e instanceof CheckpointError) throw new UserError(`--resume: ${e.message}`);
      throw e;
    }
    // Same run, same options: only --quiet/--workers/--epochs may change on resume.
    o = { ...(resumeState.options as Opts), quiet: o.quiet, workers: o.workers, epochs: cmd.getOptionValueSource('epochs') === 'cli' ? o.epochs : resumeState.options.epochs, resume: true, out: o.out };
  } else {
    const synthetic = !o.data && !process.env.ALEXNET_DATA;
    if (synthetic) {
      // The default run must be quick on a software GPU: smaller images, half width.
      if (cmd.getOptionValueSource('imageSize') === 'default') o.imageSize = 112;
      if (cmd.getOptionValueSource('width') === 'default') o.width = 0.5;
      if (cmd.getOptionValueSource('epochs') === 'default') o.epochs = 8;
      if (cmd.getOptionValueSource('lr') === 'default') o.lr = 5e-4;
    }
    o.data = o.data ?? process.env.ALEXNET_DATA;
  }

  const csvLog = o.csv ? openCsvLog(o.csv) : null;
  const ctx = await createNodeContext();
  if (process.env.ALEXNET_GPU_DEBUG) ctx.debug = true;
  console.log(`GPU: ${ctx.info.adapter}`);

  const data = await openTrainingData({
    dir: o.data,
    imageSize: o.imageSize,
    batchSize: o.batchSize,
    seed: o.seed,
    workers: o.workers,
    resize: o.resize,
    augment: o.augment
      ? {
          rescale: o.rescale,
          rotationRange: o.rotationRange,
          widthShiftRange: o.widthShiftRange,
          heightShiftRange: o.heightShiftRange,
          shearRange: o.shearRange,
          zoomRange: o.zoomRange,
          horizontalFlip: o.horizontalFlip,
          verticalFlip: o.verticalFlip,
          fillMode: o.fillMode,
          cval: o.cval,
        }
      : { rescale: o.rescale },
    cropFrom: o.cropFrom,
    pcaNoise: o.pcaNoise,
    categorical: o.model === 'paper',
    log: (m: string) => console.log(m),
  });

  try {
    const modelOptions: ModelOptions = {
      variant: o.model as ModelVariant,
      imageSize: o.imageSize,
      width: o.width,
      classes: data.classNames.length,
    };
    const model = buildModel(modelOptions).build(ctx, o.seed);
    console.log(model.summary());
    const optimizer = makeOptimizer(o.optimizer as OptimizerName, { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
    const trainer = new Trainer(ctx, model, optimizer);
    const stepsPerEpoch = o.stepsPerEpoch || data.trainBatchesPerEpoch;
    const preprocessing: Preprocessing = { imageSize: o.imageSize, rescale: o.rescale, resize: o.resize, cropFrom: o.cropFrom || undefined };
    const manifestBase = { modelOptions, classNames: data.classNames, preprocessing, training: { ...o } };

    let resume: FitPosition | undefined;
    if (resumeState) {
      try {
        loadWeights(ckptDir, model, resumeState.step);
        loadOptimizerState(ckptDir, optimizer.stateTensors(), resumeState.step);
      } catch (e) {
        if (e instanceof CheckpointError) throw new UserError(`--resume: ${e.message}`);
        throw e;
      }
      optimizer.setIterations(resumeState.optimizer.iterations);
      resume = resumeState.position;
      console.log(`Resuming ${out} at epoch ${resume.epoch + 1}, step ${resume.stepInEpoch} (global step ${resume.globalStep}).`);
    }
    mkdirSync(out, { recursive: true });

    let stopRequested = false;
    const onSigint = () => {
      if (stopRequested) {
        console.error('\nSecond Ctrl-C: exiting without saving.');
        process.exit(130);
      }
      stopRequested = true;
      process.stderr.write('\nCtrl-C: finishing this step, then saving a checkpoint (press again to quit at once)...\n');
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);

    let bar: Progress | null = null;
    const saveCkpt = async (pos: FitPosition) => {
      await saveTrainingCheckpoint(ckptDir, model, { ...manifestBase, step: pos.globalStep }, optimizer.stateTensors(), {
        position: pos,
        optimizer: { config: optimizer.config(), iterations: optimizer.iterations },
        options: { ...o, resume: false },
      });
    };
    const writeHistory = async (pos: FitPosition) => {
      await writeFileAtomic(join(out, 'history.json'), JSON.stringify(pos.history, null, 2) + '\n');
      if (pos.history.epoch.length > 0) {
        const { accuracyPng, lossPng } = plotTrainingHistory(pos.history);
        await writeFileAtomic(join(out, 'accuracy.png'), accuracyPng);
        await writeFileAtomic(join(out, 'loss.png'), lossPng);
      }
    };

    console.log(
      `Training on ${data.trainCount} images (${data.classNames.join(', ')}), validating on ${data.valCount}; ` +
        `${stepsPerEpoch} steps of ${o.batchSize} per epoch, ${o.epochs} epochs. Output: ${out}`,
    );
    let result;
    try {
      result = await fit(trainer, data.train, data.validation, {
        epochs: o.epochs,
        stepsPerEpoch,
        validationSteps: o.validationSteps,
        seed: o.seed,
        reduceLr: o.reduceLr
          ? new ReduceLROnPlateau({
              monitor: o.reduceLrMonitor,
              factor: o.reduceLrFactor,
              patience: o.reduceLrPatience,
              minLr: o.reduceLrMinLr,
              minDelta: o.reduceLrMinDelta,
              cooldown: o.reduceLrCooldown,
              mode: o.reduceLrMode,
              verbose: 1,
            })
          : null,
        earlyStopping: o.earlyStoppingPatience > 0 ? new EarlyStopping({ monitor: o.monitor, patience: o.earlyStoppingPatience, verbose: 1 }) : null,
        best: new BestTracker({ monitor: o.monitor }),
        resume,
        hooks: {
          onEpochBegin: (e, n) => {
            if (!o.quiet) bar = progress(`Epoch ${e + 1}/${n}`, stepsPerEpoch);
          },
          onBatchEnd: (p) =>
            bar?.update(p.step, `loss: ${p.loss.toFixed(4)} - accuracy: ${p.accuracy.toFixed(4)} - ${p.imagesPerSecond.toFixed(1)} img/s`),
          onValidationBegin: () => bar?.update(stepsPerEpoch, 'validating...'),
          onEpochEnd: (_e, _logs, summary) => {
            csvLog?.onEpochEnd(_e, _logs);
            bar?.stop();
            bar = null;
            console.log(summary);
          },
          log: (m) => console.log(m),
          saveBest: async (pos, logs) => {
            await saveModel(join(out, 'best'), model, { ...manifestBase, step: pos.globalStep, training: { ...o, logs } });
          },
          saveCheckpoint: async (pos, reason) => {
            await saveCkpt(pos);
            await writeHistory(pos);
            if (reason === 'interrupt') {
              bar?.stop();
              console.log(`\nInterrupted. Checkpoint saved to ${ckptDir}.\nResume with: npm run train -- --out ${o.out} --resume`);
            }
          },
          shouldStop: () => stopRequested,
        },
      });
    } catch (e) {
      (bar as Progress | null)?.stop();
      if (e instanceof NonFiniteLossError) {
        console.error(`\nerror: ${e.message}`);
        console.error(`Last good checkpoint: ${ckptDir}`);
        return 3;
      }
      throw e;
    }
    if (result.interrupted) return 130;
    await saveModel(join(out, 'model'), model, { ...manifestBase, step: result.position.globalStep });
    await writeHistory(result.position);
    const h = result.history;
    const bestEpochIdx = h.val_accuracy.indexOf(Math.max(...h.val_accuracy.filter(Number.isFinite)));
    console.log(`\nSaved the final model to ${join(out, 'model')}, the best (by ${o.monitor}) to ${join(out, 'best')}.`);
    console.log(`History: ${join(out, 'history.json')}; curves: ${join(out, 'accuracy.png')}, ${join(out, 'loss.png')}.`);
    if (bestEpochIdx >= 0) console.log(`Best val_accuracy ${h.val_accuracy[bestEpochIdx]!.toFixed(4)} at epoch ${h.epoch[bestEpochIdx]}.`);
    console.log(`Predict with: npm run predict -- --model ${join(o.out, 'best')} IMAGE...`);
    return 0;
  } finally {
    await data.close();
  }
}

runMain(main);
