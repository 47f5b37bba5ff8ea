/**
 * Keras-compatible training callbacks (platform-neutral): the Callback interface the fit loop
 * holds a list of, and ReduceLROnPlateau, EarlyStopping, the best-model tracker and saver, a warm-up + cosine schedule.
 * One file per callback under callbacks/.
 */
export * from './callbacks/common.js';
export * from './callbacks/reduce-lr.js';
export * from './callbacks/early-stopping.js';
export * from './callbacks/best.js';
export * from './callbacks/lr-schedule.js';
