/// <reference types="@webgpu/types" preserve="true" />
/**
 * The package's Node API (`alexnet-webgpu`): everything in ./browser.ts, plus what needs Node —
 * a GPU context through Dawn (the `webgpu` package), models saved to and loaded from folders,
 * the image-folder data pipeline on worker threads, image files, PNG charts and the CSV log.
 * docs/API.md describes it with examples.
 */
export * from './browser.js';

export { createNodeContext, GpuUnavailableError } from './platform/node-gpu.js';

// Models and checkpoints on disk.
export {
  CheckpointError, loadModel, loadOptimizerState, loadWeights, readManifest, readTrainingState, saveModel, saveTrainingCheckpoint,
  type TrainingState,
} from './io/checkpoint.js';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic-write.js';

// The image-folder pipeline: Keras's ImageDataGenerator.flow_from_directory.
export {
  BatchLoader, flowFromDirectory, ImageDataGenerator, withoutAugmentation,
  type Batch as LoaderBatch, type ClassMode, type FlowOptions, type LoaderState, type SkippedFile,
} from './data/loader.js';
export { DatasetError, listDirectory, type DirectoryListing, type ImageFile } from './data/directory.js';
export { WorkerPool, defaultWorkerCount } from './data/pool.js';

// Image files.
export { decodeImage, decodeJpeg, decodePng, ImageDecodeError, sniffImageFormat, type ImageFormat } from './data/decode.js';
export { encodeJpeg } from './data/jpeg-encode.js';
export { readImageFile } from './data/read-image.js';
export { makeSyntheticDataset, type SyntheticOptions, type SyntheticResult } from './data/synthetic.js';

// Charts and logs.
export { plotTrainingHistory, renderLineChart, type LineChartOptions, type LineSeries, type TrainingHistory } from './io/plot.js';
export { encodePng, type RgbaImage } from './io/raster.js';
export { renderConfusionMatrix, type ConfusionPlotOptions } from './io/confusion-plot.js';
export { CsvLogError, CsvLogFile } from './io/csv-log-file.js';
