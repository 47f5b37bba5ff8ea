/** Reading an image file for predict and evaluate (Node); preprocessing is src/data/preprocess.ts. */
export { readImageFile as loadRgb } from '../../src/data/read-image.js';
export { inputsFor } from '../../src/data/preprocess.js';
