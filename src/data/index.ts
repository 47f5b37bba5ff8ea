/**
 * The image data pipeline: a from-scratch `ImageDataGenerator.flow_from_directory`.
 * See loader.ts for the life of the data, augment.ts / affine.ts for the exact transforms.
 */
export { type Affine2x3, type FillMode, FILL_MODES, warpAffine, type WarpOptions, type WarpSource, type WarpTarget } from './affine.js';
export {
  type AugmentOptions, type PcaNoiseOptions, type TransformParams, composeTransform, identityTransform, imageRng,
  isRandom, kerasTransformMatrix, outputSize, pcaColorShift, renderImage, sampleTransform, validateAugmentOptions,
} from './augment.js';
export { type DecodeOptions, type ImageFormat, ImageDecodeError, applyExifOrientation, checkDeclaredSize, DEFAULT_MAX_PIXELS, decodeImage, defaultMaxPixels, decodeJpeg, decodePng, readExifOrientation, readImageSize, sniffImageFormat } from './decode.js';
export { DatasetError, type DirectoryListing, type ImageFile, type ListOptions, listDirectory } from './directory.js';
export { type FloatRgbImage, type RgbImage, cropImage, flipHorizontal, tenCropOrigins, tenCrops } from './image.js';
export { prepareKaggleSplit, type KaggleSplitOptions, type KaggleSplitResult } from './kaggle.js';
export {
  type Batch, BatchLoader, type ClassMode, type FlowOptions, ImageDataGenerator, type LoaderState, type SkippedFile,
  flowFromDirectory, withoutAugmentation,
} from './loader.js';
export { catsAndDogsDir, projectRoot, syntheticDir } from './paths.js';
export { type PcaSampleOptions, type RgbPca, computeRgbPca, symmetricEigen3 } from './pca.js';
export { WorkerPool, defaultWorkerCount } from './pool.js';
export { Rng, fmix32, hashSeed, permutation } from './prng.js';
export { type Interpolation, resizeImage } from './resize.js';
export { encodeJpeg } from './jpeg-encode.js';
export {
  SYNTHETIC_CLASSES, SYNTHETIC_DEFAULTS, SYNTHETIC_DIR, type SyntheticManifest, type SyntheticOptions, type SyntheticResult,
  ensureSyntheticDataset, makeSyntheticDataset, renderSyntheticImage,
} from './synthetic.js';
