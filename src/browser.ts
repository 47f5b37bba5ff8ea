/// <reference types="@webgpu/types" preserve="true" />
/**
 * The package's platform-neutral API (`alexnet-webgpu/browser`): everything that runs wherever
 * WebGPU does — no Node imports, so a bundler can put it in a web page. The Node entry
 * (`alexnet-webgpu`, src/index.ts) adds files, folders, worker threads and Dawn.
 * docs/API.md describes it with examples.
 */

// A GPU context (the device, buffer pool, pipeline cache, batched submits).
export { GpuContext, GpuError, type GpuInfo, type GpuStats } from './kernels/context.js';
export { acquireContext, NO_ADAPTER_HELP } from './kernels/acquire.js';
export { createBrowserContext } from './platform/browser-gpu.js';

// Tensors, scopes and differentiable ops (tape autograd).
export * from './autograd/index.js';

// Layers, Sequential, the AlexNet builders.
export { Layer, type ForwardContext, type LayerConfig, type Parameter } from './nn/layers/layer.js';
export { Conv2D, type Conv2DOptions } from './nn/layers/conv2d.js';
export { Dense, type DenseOptions } from './nn/layers/dense.js';
export { BatchNorm, type BatchNormOptionsLayer as BatchNormOptions } from './nn/layers/batchnorm.js';
export { Dropout, Flatten, LRN, MaxPool, ReLU, Sigmoid } from './nn/layers/simple.js';
export { Sequential, probabilities, type ModelConfig, type OutputActivation } from './nn/sequential.js';
export { buildModel, MODEL_VARIANTS, type ModelOptions, type ModelVariant } from './nn/models.js';

// Training: the step runner, optimizers, the fit loop and its Keras callbacks.
export { Trainer, type StepResult } from './nn/trainer.js';
export { batchNormLayerCount, updateBatchNorm, type BatchNormUpdate, type InputBatch } from './nn/update-bn.js';
export { Adam, SGD, type AdamOptions, type Optimizer, type OptimizerConfig, type SGDOptions } from './nn/optim.js';
export {
  evaluate, fit, emptyHistory, NonFiniteLossError,
  type Batch, type BatchSet, type BatchStream, type FitHooks, type FitOptions, type FitPosition, type FitResult, type History, type ProgressInfo,
} from './nn/fit.js';
export {
  BestTracker, EarlyStopping, LrSchedule, ReduceLROnPlateau, scheduledLr,
  type BestTrackerOptions, type Callback, type CallbackContext, type EarlyStoppingOptions, type Logs, type LrScheduleOptions, type MonitorMode,
  type ReduceLROnPlateauOptions, type ScheduleShape,
} from './nn/callbacks.js';
export { StepWaitPolicy } from './nn/step-wait.js';
export { CsvLogger, parseCsvLog, pythonFloat, type CsvWrite } from './nn/csv-logger.js';
export { mulberry32 } from './nn/random.js';

// Evaluation metrics (scikit-learn's definitions).
export {
  classificationReport, classificationReportDict, confusionMatrix, formatClassificationReport, rocAuc, rocCurve,
  type AverageMetrics, type ClassMetrics, type ClassificationReport, type RocCurve,
} from './nn/metrics.js';

// Images in memory: resizing, crops, Keras's augmentation, the preprocessing a saved model expects.
export { type FloatRgbImage, type RgbImage, cropImage, flipHorizontal, tenCropOrigins, tenCrops } from './data/image.js';
export { type Interpolation, resizeImage } from './data/resize.js';
export {
  type AugmentOptions, type PcaNoiseOptions, type TransformParams, composeTransform, identityTransform, imageRng,
  isRandom, kerasTransformMatrix, outputSize, pcaColorShift, renderImage, sampleTransform, validateAugmentOptions,
} from './data/augment.js';
export { type Affine2x3, type FillMode, FILL_MODES, warpAffine } from './data/affine.js';
export { type PcaSampleOptions, type RgbPca, computeRgbPca } from './data/pca.js';
export { Rng, hashSeed, permutation } from './data/prng.js';
export { inputsFor } from './data/preprocess.js';
export { trainingStream, validationSet } from './data/streams.js';
export { mixupBatch, sampleBeta, smoothLabels } from './data/mixing.js';

// Models as bytes: safetensors weights and the model.json description (files: the Node entry).
export { decodeStateInto, encodeState, StateMismatchError } from './nn/state.js';
export { FORMAT, ManifestError, parseManifest, type ModelManifest, type Preprocessing } from './nn/manifest.js';
export {
  decodeSafetensors, encodeSafetensors,
  type SafetensorsDtype, type SafetensorsFile, type SafetensorsInputTensor, type SafetensorsTensor,
} from './io/safetensors.js';
