/**
 * npm run train — trains an AlexNet variant the way the Keras tutorial does, on this engine.
 * With no options it trains quickly on the project's synthetic image set (generated on first
 * use); with --data, the defaults are the tutorial's recipe. `npm run train -- --help` lists
 * every option with its default.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError, createNodeContext, runMain } from '../src/platform/node-gpu.js';
import { buildModel, type ModelOptions, type ModelVariant } from '../src/nn/models.js';
import { Trainer } from '../src/nn/trainer.js';
import { fit, NonFiniteLossError, type FitPosition } from '../src/nn/fit.js';
import { BestTracker, EarlyStopping, LrSchedule, ReduceLROnPlateau, type CallbackContext, type Logs, type ScheduleShape } from '../src/nn/callbacks.js';
import { makeOptimizer, type OptimizerName } from './lib/optimizer.js';
import { CheckpointError, saveModel, saveTrainingCheckpoint, readTrainingState, loadOptimizerState, loadWeights, type Preprocessing } from '../src/io/checkpoint.js';
import { openTrainingData } from './lib/data.js';
import { progress, type Progress } from './lib/progress.js';
import { plotTrainingHistory } from '../src/io/plot.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { checkBatchFits, checkOptions, parseSaveFreq, recordedOptions, resolveOptions, trainCommand } from './lib/train-options.js';
import { installInterruptHandler } from './lib/interrupt.js';
import { acquireRunLock } from './lib/run-lock.js';
import { openCsvLog } from './lib/csv-log.js';

async function main(): Promise<number> {
  // From the first moment: a Ctrl-C before training starts exits at once, saying so; during
  // training it finishes the step and saves (see interrupt.ts for why one press may arrive twice).
  const interrupt = installInterruptHandler();
  const cmd = trainCommand();
  cmd.parse(process.argv);
  const given = cmd.opts();
  const out = resolve(given.out as string);
  const ckptDir = join(out, 'checkpoint');

  let resumeState: ReturnType<typeof readTrainingState> | null = null;
  if (given.resume) {
    if (!existsSync(join(ckptDir, 'training-state.json'))) {
      throw new UserError(`--resume: no checkpoint in ${ckptDir} (train without --resume first, or pick the run with --out)`);
    }
    try {
      resumeState = readTrainingState(ckptDir);
    } catch (e) {
      if (e instanceof CheckpointError) throw new UserError(`--resume: ${e.message}`);
      throw e;
    }
  }
  const o = resolveOptions(cmd, resumeState ? (resumeState.options as Record<string, unknown>) : null);
  checkOptions(o);
  const checkpointEvery = parseSaveFreq(o.saveFreq as string);
  if (resumeState && resumeState.position.epoch >= o.epochs) {
    throw new UserError(
      `--resume: the run in ${out} has already trained ${resumeState.position.epoch} of ${o.epochs} epochs; ` +
        `give a larger --epochs to train on (its model is in ${join(out, 'model')})`,
    );
  }
  // One run per output folder, held until this process exits.
  acquireRunLock(out);
  const csvLog = o.csv ? openCsvLog(o.csv) : null;

  const ctx = await createNodeContext();
  if (process.env.ALEXNET_GPU_DEBUG) ctx.debug = true;
  console.log(`GPU: ${ctx.info.adapter} (${ctx.kernelPath} kernels${ctx.info.limits === 'default' ? ', default limits' : ''})`);
  checkBatchFits(o, ctx.device.limits);

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
    validationAugment: o.validationAugment,
    validationShuffle: o.validationShuffle,
    followLinks: o.followLinks,
    labelSmoothing: o.labelSmoothing,
    mixup: o.mixup,
    batchNormImages: o.updateBn > 0,
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
    const manifestBase = {
      modelOptions,
      classNames: data.classNames,
      preprocessing,
      evaluation: { tenCrop: Boolean(o.tenCropEval) },
      training: recordedOptions(o),
    };

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

    // An epoch's model (best/, epochs/epoch-NNN) records that epoch's logs with the settings.
    const saveWithLogs = (dir: string, logs: Logs, step: number) =>
      saveModel(dir, model, { ...manifestBase, step, training: { ...recordedOptions(o), logs } });

    let bar: Progress | null = null;
    let checkpointSaved = resumeState !== null;
    const saveCkpt = async (pos: FitPosition) => {
      await saveTrainingCheckpoint(ckptDir, model, { ...manifestBase, step: pos.globalStep }, optimizer.stateTensors(), {
        position: pos,
        optimizer: { config: optimizer.config(), iterations: optimizer.iterations },
        options: { ...o, resume: false },
      });
      checkpointSaved = true;
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
    interrupt.phase = 'training';
    let result;
    try {
      result = await fit(trainer, data.train, data.validation, {
        epochs: o.epochs,
        stepsPerEpoch,
        validationSteps: o.validationSteps || undefined, // 0 = all
        seed: o.seed,
        checkpointEvery,
        batchNormUpdate: data.batchNorm ? { data: data.batchNorm, batches: Math.floor(o.updateBn / o.batchSize) } : undefined,
        callbacks: [
          ...(o.reduceLr
            ? [
                new ReduceLROnPlateau({
                  monitor: o.reduceLrMonitor,
                  factor: o.reduceLrFactor,
                  patience: o.reduceLrPatience,
                  minLr: o.reduceLrMinLr,
                  minDelta: o.reduceLrMinDelta,
                  cooldown: o.reduceLrCooldown,
                  mode: o.reduceLrMode,
                  verbose: 1,
                }),
              ]
            : []),
          ...(o.earlyStoppingPatience > 0
            ? [new EarlyStopping({ monitor: o.monitor, patience: o.earlyStoppingPatience, restoreBestWeights: o.restoreBestWeights, verbose: 1 })]
            : []),
          ...(o.lrSchedule !== 'none'
            ? [
                new LrSchedule({
                  shape: o.lrSchedule as ScheduleShape,
                  lr: o.lr,
                  minLr: o.minLr,
                  totalSteps: o.epochs * stepsPerEpoch,
                  warmupSteps: Math.round(o.warmupEpochs * stepsPerEpoch),
                }),
              ]
            : []),
          // Keras's ModelCheckpoint with an {epoch} file name, for weight averaging (npm run average).
          {
            name: 'epoch-models',
            onEpochEnd: async (epoch: number, logs: Logs, c: CallbackContext) => {
              if (o.saveEpochsFrom > 0 && epoch + 1 >= o.saveEpochsFrom) {
                const dir = join(out, 'epochs', `epoch-${String(epoch + 1).padStart(3, '0')}`);
                await saveWithLogs(dir, logs, c.globalStep!);
              }
            },
          },
          new BestTracker({
            monitor: o.monitor,
            save: async (_epoch, logs, c) => {
              await saveWithLogs(join(out, 'best'), logs, c.globalStep!);
            },
          }),
        ],
        resume,
        hooks: {
          onEpochBegin: (e, n) => {
            if (!o.quiet) bar = progress(`Epoch ${e + 1}/${n}`, stepsPerEpoch);
          },
          onBatchEnd: (p) =>
            bar?.update(p.step, `loss: ${p.loss.toFixed(4)} - accuracy: ${p.accuracy.toFixed(4)} - ${p.imagesPerSecond.toFixed(1)} img/s`),
          onBatchNormUpdateBegin: () => bar?.update(stepsPerEpoch, 'updating batch-norm statistics...'),
          onValidationBegin: () => bar?.update(stepsPerEpoch, 'validating...'),
          onEpochEnd: (_e, _logs, summary) => {
            csvLog?.onEpochEnd(_e, _logs);
            bar?.stop();
            bar = null;
            console.log(summary);
          },
          log: (m) => console.log(m),
          saveCheckpoint: async (pos, reason) => {
            await saveCkpt(pos);
            await writeHistory(pos);
            if (reason === 'interrupt') {
              bar?.stop();
              console.log(
                `\nInterrupted at epoch ${pos.epoch + 1}, step ${pos.stepInEpoch}. Checkpoint saved to ${ckptDir}.\n` +
                  `Resume with: npm run train -- --out ${given.out} --resume`,
              );
            }
          },
          shouldStop: () => interrupt.requested,
        },
      });
    } catch (e) {
      (bar as Progress | null)?.stop();
      if (e instanceof NonFiniteLossError) {
        console.error(`\nerror: ${e.message}`);
        console.error(
          checkpointSaved
            ? `Last good checkpoint: ${ckptDir} (resume from it with a lower --lr in a new run, or inspect it)`
            : 'No checkpoint was saved before it (it happened before the first save).',
        );
        return 3;
      }
      throw e;
    }
    if (result.interrupted) return 130;
    await saveModel(join(out, 'model'), model, { ...manifestBase, step: result.position.globalStep });
    await writeHistory(result.position);
    const h = result.history;
    const bestEpochIdx = h.val_accuracy.indexOf(Math.max(...h.val_accuracy.filter(Number.isFinite)));
    const bestSaved = existsSync(join(out, 'best', 'model.json'));
    console.log(`\nSaved the final model to ${join(out, 'model')}${bestSaved ? `, the best (by ${o.monitor}) to ${join(out, 'best')}` : ''}.`);
    console.log(`History: ${join(out, 'history.json')}; curves: ${join(out, 'accuracy.png')}, ${join(out, 'loss.png')}.`);
    if (bestEpochIdx >= 0) console.log(`Best val_accuracy ${h.val_accuracy[bestEpochIdx]!.toFixed(4)} at epoch ${h.epoch[bestEpochIdx]}.`);
    console.log(`Predict with: npm run predict -- --model ${join(given.out as string, bestSaved ? 'best' : 'model')} IMAGE...`);
    return 0;
  } finally {
    await data.close();
  }
}

runMain(main);
