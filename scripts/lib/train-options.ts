/**
 * The train command's options: their definitions (defaults come from the recipe, see
 * recipes.ts), the checks that run before any expensive work, what --resume may change, and
 * what model.json records.
 */
import { Command, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../../src/platform/node-gpu.js';
import { buildModel, MODEL_VARIANTS, type ModelVariant } from '../../src/nn/models.js';
import { batchNormLayerCount } from '../../src/nn/update-bn.js';
import { OPTIMIZERS } from './optimizer.js';
import { packageVersion } from './version.js';
import { RECIPES, RECIPE_NAMES, recipeDefaults, type RecipeName, type RecipeSettings } from './recipes.js';

function num(name: string) {
  return (v: string): number => {
    const n = v.includes('/') ? Number(v.split('/')[0]) / Number(v.split('/')[1]) : Number(v);
    if (!Number.isFinite(n)) throw new UserError(`--${name}: '${v}' is not a number`);
    return n;
  };
}
function posInt(name: string) {
  return (v: string): number => {
    const n = int(name)(v);
    if (n < 1) throw new UserError(`--${name}: must be at least 1 (got '${v}')`);
    return n;
  };
}
/** A number of batches, or 'all' (one pass over the data), kept as 0. */
function stepsOrAll(name: string) {
  return (v: string): number => (v.trim().toLowerCase() === 'all' ? 0 : posInt(name)(v));
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
    .version(packageVersion())
    .description('Train AlexNet (cats vs dogs by default) with the Keras tutorial\'s recipe on this WebGPU engine.')
    .option('--data <dir>', 'data folder with train/ and validation/ (one sub-folder per class); default: the synthetic set, generated on first use (env ALEXNET_DATA)')
    .addOption(
      new Option('--recipe <name>', 'named set of defaults for every option below (tutorial: the Keras tutorial\'s final recipe, exactly; quick: a short run on the synthetic set; better: ours, for models/cats-dogs-best — crops of 256-px images, PCA noise, warm-up + cosine, label smoothing, 50 passes, re-estimated batch norm, ten-crop evaluation); options given here override it')
        .choices(RECIPE_NAMES as unknown as string[]),
    )
    .addOption(new Option('--model <variant>', `model variant (${recipeDefaults('model')})`).choices(MODEL_VARIANTS))
    .option('--image-size <px>', `input size, square (${recipeDefaults('imageSize')})`, posInt('image-size'))
    .option('--width <mult>', `width multiplier for every layer, 1 = the variant's widths (${recipeDefaults('width')})`, num('width'))
    .option('--batch-size <n>', `batch size (${recipeDefaults('batchSize')})`, posInt('batch-size'))
    .option('--epochs <n>', `epochs (${recipeDefaults('epochs')})`, posInt('epochs'))
    .option('--steps-per-epoch <n>', `batches per epoch; all = one pass over the training data (${recipeDefaults('stepsPerEpoch')})`, stepsOrAll('steps-per-epoch'))
    .option('--validation-steps <n>', `validation batches per epoch, the next ones of a shuffled endless stream as in Keras; all = the whole validation set (${recipeDefaults('validationSteps')})`, stepsOrAll('validation-steps'))
    .option('--validation-augment', `validate on augmented images, as the tutorial's validation generator does (${recipeDefaults('validationAugment')})`)
    .option('--no-validation-augment', 'validate on un-augmented images')
    .option('--no-validation-shuffle', 'validate on the validation images in folder order (default: shuffled, seeded, as Keras)')
    .option('--lr <rate>', `learning rate (${recipeDefaults('lr')})`, num('lr'))
    .addOption(new Option('--optimizer <name>', 'adam (Keras ε 1e-7), adam-pytorch (ε 1e-8), or sgd').choices(OPTIMIZERS))
    .option('--momentum <m>', 'SGD momentum', num('momentum'), 0.9)
    .option('--weight-decay <wd>', 'SGD weight decay', num('weight-decay'), 0)
    .option('--rescale <factor>', 'pixel rescale (Keras ImageDataGenerator rescale)', num('rescale'), 1 / 255)
    .addOption(new Option('--resize <method>', 'resize interpolation (Keras default: nearest)').choices(['nearest', 'bilinear']).default('nearest'))
    .option('--rotation-range <deg>', `random rotation range in degrees (${recipeDefaults('rotationRange')})`, num('rotation-range'))
    .option('--width-shift-range <frac>', `random horizontal shift, fraction of width (${recipeDefaults('widthShiftRange')})`, num('width-shift-range'))
    .option('--height-shift-range <frac>', `random vertical shift, fraction of height (${recipeDefaults('heightShiftRange')})`, num('height-shift-range'))
    .option('--shear-range <deg>', `random shear angle in degrees (${recipeDefaults('shearRange')})`, num('shear-range'))
    .option('--zoom-range <z>', `random zoom in [1-z, 1+z] (${recipeDefaults('zoomRange')})`, num('zoom-range'))
    .option('--no-horizontal-flip', 'disable random horizontal flips')
    .option('--vertical-flip', 'random vertical flips', false)
    .addOption(new Option('--fill-mode <mode>', 'how points outside the image are filled').choices(['nearest', 'constant', 'reflect', 'wrap']).default('nearest'))
    .option('--cval <v>', 'fill value for --fill-mode constant (0-255)', num('cval'), 0)
    .option('--no-augment', 'turn every augmentation off (rescale and resize only)')
    .option('--crop-from <px>', `AlexNet paper's recipe: resize to this size and take random --image-size crops (0 = off; ${recipeDefaults('cropFrom')})`, int('crop-from'), 0)
    .option('--ten-crop-eval', `record in model.json that the model is meant to be evaluated on ten crops (the paper's test-time averaging): predict, evaluate and the page then average ten crops by default (${recipeDefaults('tenCropEval')})`, false)
    .option('--update-bn <images>', `at each epoch end, re-estimate batch norm's moving statistics over this many un-augmented training images before validating and saving (precise BN, as npm run update-bn; 0 = off; ${recipeDefaults('updateBn')})`, int('update-bn'), 0)
    .option('--pca-noise <sigma>', `AlexNet paper's PCA colour noise σ (0 = off; the paper uses 0.1; ${recipeDefaults('pcaNoise')})`, num('pca-noise'), 0)
    .option('--reduce-lr-monitor <metric>', 'ReduceLROnPlateau monitor', 'val_accuracy')
    .option('--reduce-lr-factor <f>', 'ReduceLROnPlateau factor', num('reduce-lr-factor'), 0.5)
    .option('--reduce-lr-patience <n>', `ReduceLROnPlateau patience in epochs (${recipeDefaults('reduceLrPatience')})`, int('reduce-lr-patience'))
    .option('--reduce-lr-min-lr <lr>', 'ReduceLROnPlateau min_lr', num('reduce-lr-min-lr'), 1e-5)
    .option('--reduce-lr-min-delta <d>', 'ReduceLROnPlateau min_delta', num('reduce-lr-min-delta'), 1e-4)
    .option('--reduce-lr-cooldown <n>', 'ReduceLROnPlateau cooldown (epochs)', int('reduce-lr-cooldown'), 0)
    .addOption(new Option('--reduce-lr-mode <mode>', 'ReduceLROnPlateau mode').choices(['auto', 'min', 'max']).default('auto'))
    .option('--no-reduce-lr', 'disable ReduceLROnPlateau')
    .addOption(new Option('--lr-schedule <shape>', `per-step schedule instead of ReduceLROnPlateau: cosine (decay to --min-lr) or constant, after --warmup-epochs of linear warm-up (${recipeDefaults('lrSchedule')})`).choices(['none', 'cosine', 'constant']).default('none'))
    .option('--warmup-epochs <n>', `linear warm-up epochs of --lr-schedule (${recipeDefaults('warmupEpochs')})`, num('warmup-epochs'), 0)
    .option('--min-lr <lr>', 'floor of the cosine schedule', num('min-lr'), 0)
    .option('--label-smoothing <eps>', `label smoothing of the training targets (Keras label_smoothing; 0 = off; ${recipeDefaults('labelSmoothing')})`, num('label-smoothing'), 0)
    .option('--mixup <alpha>', 'mixup of training images and labels with λ ~ Beta(α, α) (0 = off; 0.2 is common)', num('mixup'), 0)
    .option('--early-stopping-patience <n>', 'stop after this many epochs without val improvement (0 = off)', int('early-stopping-patience'), 0)
    .option('--restore-best-weights', "with --early-stopping-patience: end with the best epoch's weights (Keras restore_best_weights)", false)
    .option('--monitor <metric>', 'metric that picks the best model (saved to OUT/best)', 'val_accuracy')
    .option('--seed <n>', 'seed for weights, data order, augmentation and dropout', int('seed'), 42)
    .option('--out <dir>', 'output folder (model, checkpoints, history, curves)', 'runs/latest')
    .option('--save-epochs-from <n>', 'also keep the model of every epoch from this one on, in OUT/epochs/epoch-NNN (for npm run average; 0 = off; may change on --resume)', int('save-epochs-from'), 0)
    .option('--save-freq <when>', "mid-epoch checkpoints (Keras BackupAndRestore's save_freq): every N steps, every 90s / 5m / 1h, or 'epoch' (only at epoch ends)", '5m')
    .option('--resume', 'continue the run in --out from its last checkpoint (same options, state and data order)', false)
    .option('--workers <n>', 'image decoding worker threads (default: the number of cores)', int('workers'))
    .option('--quiet', 'no progress bar; one line per epoch', false)
    .option('--csv <file>', "append one row per epoch to this CSV file (Keras's CSVLogger: epoch,accuracy,loss,lr,val_accuracy,val_loss)")
    .option('--follow-links', 'enter symbolic links to folders inside class folders (Keras: follow_links=False, the default here too)', false);
}

export type Opts = ReturnType<ReturnType<typeof trainCommand>['opts']> & Record<string, any>;



/** Options a resumed run may change; every other one must match the checkpoint's. */
const RESUMABLE = new Set(['out', 'resume', 'quiet', 'workers', 'epochs', 'saveFreq', 'csv', 'saveEpochsFrom']);

function flagOf(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * The options of a run: the recipe's settings under whatever the command line gave, or on
 * --resume the checkpoint's, refusing any other option that differs from them.
 */
export function resolveOptions(cmd: Command, saved: Record<string, unknown> | null): Opts {
  const given = cmd.opts() as Opts;
  const fromCli = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  if (saved) {
    const differ = Object.keys(given)
      .filter((k) => fromCli(k) && !RESUMABLE.has(k) && JSON.stringify(given[k]) !== JSON.stringify(saved[k]))
      .map((k) => `${flagOf(k)} (the run has ${JSON.stringify(saved[k])}, given ${JSON.stringify(given[k])})`);
    if (differ.length > 0) {
      throw new UserError(
        `--resume continues the run with its own settings; these differ: ${differ.join('; ')}. ` +
          `Drop them (only --epochs, --save-freq, --save-epochs-from, --csv, --workers and --quiet may change), or start a new run with another --out`,
      );
    }
    // Options added since the run started take their defaults, not undefined.
    const defaults = Object.fromEntries(Object.keys(given).filter((k) => cmd.getOptionValueSource(k) === 'default').map((k) => [k, given[k]]));
    return {
      ...defaults,
      ...(saved as Opts),
      quiet: given.quiet,
      workers: given.workers,
      epochs: fromCli('epochs') ? given.epochs : (saved.epochs as number),
      saveFreq: fromCli('saveFreq') ? given.saveFreq : (saved.saveFreq ?? given.saveFreq),
      csv: fromCli('csv') ? given.csv : saved.csv,
      saveEpochsFrom: fromCli('saveEpochsFrom') ? given.saveEpochsFrom : (saved.saveEpochsFrom ?? given.saveEpochsFrom),
      resume: true,
      out: given.out,
    };
  }
  const o = { ...given };
  const synthetic = !o.data && !process.env.ALEXNET_DATA;
  // The default run on the synthetic set must be quick on a software GPU; with --data the
  // defaults are the tutorial's recipe.
  o.recipe = (o.recipe as RecipeName | undefined) ?? (synthetic ? 'quick' : 'tutorial');
  const recipe: RecipeSettings = RECIPES[o.recipe as RecipeName];
  for (const key of Object.keys(recipe) as (keyof RecipeSettings)[]) {
    if (!fromCli(key)) o[key] = recipe[key];
  }
  o.data = o.data ?? process.env.ALEXNET_DATA;
  // Both would set the learning rate: a schedule replaces the recipe's ReduceLROnPlateau.
  if (o.lrSchedule !== 'none' && o.reduceLr) {
    if (fromCli('reduceLr')) throw new UserError('--lr-schedule and ReduceLROnPlateau both set the learning rate: give --no-reduce-lr, or no --lr-schedule');
    o.reduceLr = false;
  }
  return o;
}

/** Checks that need no data and no GPU: run before decoding a single image. */
export function checkOptions(o: Opts): void {
  if (o.data !== undefined) {
    const dir = resolve(o.data as string);
    if (!existsSync(dir)) throw new UserError(`data folder not found: ${o.data}`);
    if (!statSync(dir).isDirectory()) throw new UserError(`--data ${o.data} is a file, not a folder (expected train/<class>/*.jpg and validation/<class>/*.jpg)`);
    if (!existsSync(join(dir, 'train'))) {
      throw new UserError(`data folder ${o.data} has no train/ sub-folder (expected train/<class>/*.jpg and validation/<class>/*.jpg)`);
    }
  }
  if (o.labelSmoothing < 0 || o.labelSmoothing >= 1) throw new UserError(`--label-smoothing must be in [0, 1), got ${o.labelSmoothing}`);
  if (o.mixup < 0) throw new UserError(`--mixup must be ≥ 0, got ${o.mixup}`);
  if (o.lrSchedule !== 'none' && !(o.minLr >= 0 && o.minLr <= o.lr)) throw new UserError(`--min-lr ${o.minLr} must be in [0, --lr ${o.lr}]`);
  if (o.lrSchedule !== 'none' && o.warmupEpochs > o.epochs) throw new UserError(`--warmup-epochs ${o.warmupEpochs} is longer than --epochs ${o.epochs}`);
  if (o.cropFrom && o.cropFrom < o.imageSize) {
    throw new UserError(`--crop-from ${o.cropFrom} is smaller than --image-size ${o.imageSize}: crops are taken from the larger image`);
  }
  let shape;
  try {
    shape = buildModel({ variant: o.model as ModelVariant, imageSize: o.imageSize, width: o.width, classes: 2 });
    shape.computeShapes();
  } catch (e) {
    throw new UserError(`--image-size ${o.imageSize}: ${(e as Error).message}`);
  }
  if (o.updateBn > 0 && batchNormLayerCount(shape) === 0) throw new UserError(`--update-bn: the ${o.model} model has no batch normalisation layers`);
  if (o.updateBn > 0 && o.updateBn < 2 * o.batchSize) {
    throw new UserError(`--update-bn ${o.updateBn}: give at least two batches' worth of images (${2 * o.batchSize} at --batch-size ${o.batchSize}), e.g. 800`);
  }
}

/**
 * The largest GPU buffer a training step of this model needs grows with the batch: the
 * input and each layer's output (gradients are the same sizes). Refuse a batch whose largest
 * buffer exceeds the adapter's limits, naming the largest that fits.
 */
export function checkBatchFits(o: Opts, limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): void {
  const m = buildModel({ variant: o.model as ModelVariant, imageSize: o.imageSize, width: o.width, classes: 2 });
  const shapes = [[o.imageSize, o.imageSize, 3], ...m.computeShapes()];
  const perImage = Math.max(...shapes.map((s) => s.reduce((a, b) => a * b, 1) * 4));
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const fits = Math.floor(limit / perImage);
  if (o.batchSize > fits) {
    throw new UserError(
      `--batch-size ${o.batchSize} is too large for this GPU: one step of ${o.model} at ${o.imageSize}×${o.imageSize} needs a ` +
        `${((o.batchSize * perImage) / 2 ** 20).toFixed(0)} MiB buffer, over the adapter's ${(limit / 2 ** 20).toFixed(0)} MiB limit; ` +
        `the largest batch that fits is ${fits}`,
    );
  }
}

/** --save-freq: "300s", "5m", "1h" (by time), "500" (steps) or "epoch" (only at epoch ends). */
export function parseSaveFreq(v: string): { steps?: number; seconds?: number } {
  if (v === 'epoch') return {};
  if (/^\d+$/.test(v) && Number(v) > 0) return { steps: Number(v) };
  const m = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (m && Number(m[1]) > 0) return { seconds: Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'] };
  throw new UserError(`--save-freq: '${v}' is not a number of steps (500), a time (90s, 5m, 1h) or 'epoch'`);
}

/** The settings model.json records: every option, with folders relative to the working directory (no machine paths). */
export function recordedOptions(o: Opts): Record<string, unknown> {
  const rel = (p: unknown) => (typeof p === 'string' && isAbsolute(p) ? relative(process.cwd(), p) || '.' : p);
  const { resume: _resume, quiet: _quiet, workers: _workers, ...settings } = o;
  return { ...settings, data: rel(settings.data), out: rel(settings.out) };
}
