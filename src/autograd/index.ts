export { Tensor, sizeOf, shapeStr, type Shape } from './tensor.js';
export { tidy, tidyAsync, keep } from './scope.js';
export { backward, noGrad, record, isRecording, tapeLength, clearTape } from './tape.js';
export * from './ops/basic.js';
export * from './ops/matmul.js';
