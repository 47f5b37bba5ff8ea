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
 */
export const RECIPE_NAMES = ['tutorial', 'quick'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export interface RecipeSettings {
  model: string;
  imageSize: number;
  width: number;
  batchSize: number;
  epochs: number;
  /** undefined: one pass over the training data per epoch. */
  stepsPerEpoch?: number;
  /** undefined: all of the validation data every epoch. */
  validationSteps?: number;
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
};

const quick: RecipeSettings = {
  ...tutorial,
  model: 'tutorial',
  imageSize: 112,
  width: 0.5,
  epochs: 8,
  stepsPerEpoch: undefined,
  validationSteps: undefined,
  lr: 5e-4,
  rotationRange: 15,
  widthShiftRange: 0.1,
  heightShiftRange: 0.1,
  shearRange: 0.1,
  validationAugment: false,
  reduceLrPatience: 2,
};

export const RECIPES: Record<RecipeName, RecipeSettings> = { tutorial, quick };

/** "tutorial: 100, quick: 8" — for --help, so the defaults shown are the ones used. */
export function recipeDefaults(key: keyof RecipeSettings): string {
  const show = (v: unknown) => (v === undefined ? 'all' : typeof v === 'number' && v > 0 && v < 1e-2 ? v.toExponential(0) : String(v));
  return RECIPE_NAMES.map((r) => `${r}: ${show(RECIPES[r][key])}`).join(', ');
}
