/**
 * Named training recipes: every setting that differs between them, by the train command's
 * option names (the names model.json records under `training`). An option given on the
 * command line always wins over the recipe.
 *
 * - `tutorial`: the Keras tutorial's final recipe, exactly (the default when --data is given):
 *     model = half-width AlexNet + BatchNormalization after every conv + L2 1e-3 on the conv
 *             kernels ('tutorial-regularized'), 224×224 nearest resize
 *     ImageDataGenerator(rescale=1/255, rotation_range=40, width_shift_range=0.2,
 *       height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, horizontal_flip=True,
 *       fill_mode='nearest'), used for the validation generator too
 *     batch 8, Adam 1e-4, binary cross-entropy
 *     fit(steps_per_epoch=100, epochs=100, validation_steps=50)
 *     ReduceLROnPlateau(monitor='val_acc', factor=0.5, patience=5, min_lr=1e-5, verbose=1)
 * - `quick`: the default run on the synthetic set (no --data): a couple of minutes on a
 *     software GPU, with milder augmentation and a higher learning rate so it learns in 8 epochs.
 * - `better`: ours, for models/cats-dogs-best (docs/TRAINING.md): the same network and photos;
 *     the AlexNet paper's random 224 crops of 256-px images with flips and PCA colour noise
 *     (σ 0.1), milder affine augmentation (rotation 15, zoom 0.1, no shift or shear), Adam 5e-4
 *     with 2 epochs of warm-up and a cosine decay to 0 instead of ReduceLROnPlateau, label
 *     smoothing 0.1, 50 full passes, validation on 50 un-augmented batches per epoch after
 *     re-estimating batch norm's statistics (800 training photos), ten-crop evaluation.
 */
export const RECIPE_NAMES = ['tutorial', 'quick', 'better'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export interface RecipeSettings {
  model: string;
  imageSize: number;
  width: number;
  batchSize: number;
  epochs: number;
  /** 0: one pass over the training data per epoch (--steps-per-epoch all). */
  stepsPerEpoch: number;
  /** 0: all of the validation data every epoch (--validation-steps all). */
  validationSteps: number;
  lr: number;
  optimizer: string;
  rescale: number;
  resize: string;
  rotationRange: number;
  widthShiftRange: number;
  heightShiftRange: number;
  shearRange: number;
  zoomRange: number;
  horizontalFlip: boolean;
  fillMode: string;
  validationAugment: boolean;
  reduceLr: boolean;
  reduceLrMonitor: string;
  reduceLrFactor: number;
  reduceLrPatience: number;
  reduceLrMinLr: number;
  cropFrom: number;
  pcaNoise: number;
  lrSchedule: string;
  warmupEpochs: number;
  labelSmoothing: number;
  tenCropEval: boolean;
  updateBn: number;
}

const tutorial: RecipeSettings = {
  model: 'tutorial-regularized',
  imageSize: 224,
  width: 1,
  batchSize: 8,
  epochs: 100,
  stepsPerEpoch: 100,
  validationSteps: 50,
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
  reduceLr: true,
  reduceLrMonitor: 'val_accuracy',
  reduceLrFactor: 0.5,
  reduceLrPatience: 5,
  reduceLrMinLr: 1e-5,
  cropFrom: 0,
  pcaNoise: 0,
  lrSchedule: 'none',
  warmupEpochs: 0,
  labelSmoothing: 0,
  tenCropEval: false,
  updateBn: 0,
};

const quick: RecipeSettings = {
  ...tutorial,
  model: 'tutorial',
  imageSize: 112,
  width: 0.5,
  epochs: 8,
  stepsPerEpoch: 0,
  validationSteps: 0,
  lr: 5e-4,
  rotationRange: 15,
  widthShiftRange: 0.1,
  heightShiftRange: 0.1,
  shearRange: 0.1,
  validationAugment: false,
  reduceLrPatience: 2,
};

const better: RecipeSettings = {
  ...tutorial,
  epochs: 50,
  stepsPerEpoch: 0,
  validationSteps: 50,
  lr: 5e-4,
  rotationRange: 15,
  widthShiftRange: 0,
  heightShiftRange: 0,
  shearRange: 0,
  zoomRange: 0.1,
  validationAugment: false,
  reduceLr: false,
  cropFrom: 256,
  pcaNoise: 0.1,
  lrSchedule: 'cosine',
  warmupEpochs: 2,
  labelSmoothing: 0.1,
  tenCropEval: true,
  updateBn: 800,
};

export const RECIPES: Record<RecipeName, RecipeSettings> = { tutorial, quick, better };

/** "tutorial: 100, quick: 8" — for --help, so the defaults shown are the ones used. */
export function recipeDefaults(key: keyof RecipeSettings): string {
  const show = (v: unknown) => ((key === 'stepsPerEpoch' || key === 'validationSteps') && v === 0 ? 'all' : typeof v === 'number' && v > 0 && v < 1e-2 ? v.toExponential(0) : String(v));
  return RECIPE_NAMES.map((r) => `${r}: ${show(RECIPES[r][key])}`).join(', ');
}
