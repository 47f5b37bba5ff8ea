/**
 * The three AlexNet variants by name. Input size and a width multiplier are options so the
 * same networks run small in tests.
 */
import { BatchNorm } from './layers/batchnorm.js';
import { Conv2D } from './layers/conv2d.js';
import { Dense } from './layers/dense.js';
import { Dropout, Flatten, LRN, MaxPool } from './layers/simple.js';
import { Sequential } from './sequential.js';

export type ModelVariant = 'tutorial' | 'tutorial-regularized' | 'paper';
export const MODEL_VARIANTS: ModelVariant[] = ['tutorial', 'tutorial-regularized', 'paper'];

export interface ModelOptions {
  variant: ModelVariant;
  /** Square input size in pixels (224 in the tutorial and the paper). */
  imageSize?: number;
  /** Multiplies every conv filter count and dense width (1 = as published). */
  width?: number;
  /** Number of classes: 2 → one sigmoid unit (tutorial); > 2 → softmax. */
  classes?: number;
  /** Overrides the variant's dropout rate. */
  dropout?: number;
}

export function buildModel(o: ModelOptions): Sequential {
  const size = o.imageSize ?? 224;
  const wm = o.width ?? 1;
  const classes = o.classes ?? 2;
  const f = (n: number) => Math.max(1, Math.round(n * wm));
  // The paper ends in a softmax over its classes; the tutorial in one sigmoid unit.
  const softmax = o.variant === 'paper' ? true : classes > 2;
  const m = new Sequential(`alexnet-${o.variant}`, [size, size, 3], softmax ? 'softmax' : 'sigmoid', { ...o });
  const outUnits = softmax ? classes : 1;
  const pool = () => new MaxPool({ size: 3, stride: 2, padding: 'valid' });

  if (o.variant === 'tutorial' || o.variant === 'tutorial-regularized') {
    const reg = o.variant === 'tutorial-regularized';
    const l2 = reg ? 0.001 : undefined;
    const drop = o.dropout ?? 0.25;
    const conv = (filters: number, k: number, strides: number, padding: 'valid' | 'same') =>
      new Conv2D({ filters: f(filters), kernelSize: k, strides, padding, activation: 'relu', l2 });
    m.add(conv(48, 11, 4, 'valid'));
    m.add(new BatchNorm());
    m.add(pool());
    m.add(conv(128, 5, 1, 'same'));
    m.add(new BatchNorm());
    m.add(pool());
    m.add(conv(192, 3, 1, 'same'));
    if (reg) m.add(new BatchNorm());
    m.add(conv(192, 3, 1, 'same'));
    if (reg) m.add(new BatchNorm());
    m.add(conv(128, 3, 1, 'same'));
    if (reg) m.add(new BatchNorm());
    m.add(pool());
    m.add(new Flatten());
    m.add(new Dense({ units: f(1024), activation: 'relu' }));
    m.add(new Dropout(drop));
    m.add(new Dense({ units: f(1024), activation: 'relu' }));
    m.add(new Dropout(drop));
    m.add(new Dense({ units: outUnits }));
  } else if (o.variant === 'paper') {
    const drop = o.dropout ?? 0.5;
    // Krizhevsky et al. 2012: LRN after the first two convolutions (after ReLU), overlapping
    // 3/2 pooling, and the two-GPU split as groups=2 on conv2, conv4 and conv5.
    m.add(new Conv2D({ filters: f(96), kernelSize: 11, strides: 4, padding: 'valid', activation: 'relu' }));
    m.add(new LRN({ size: 5, k: 2, alpha: 1e-4, beta: 0.75 }));
    m.add(pool());
    m.add(new Conv2D({ filters: f(256), kernelSize: 5, padding: 'same', activation: 'relu', groups: 2 }));
    m.add(new LRN({ size: 5, k: 2, alpha: 1e-4, beta: 0.75 }));
    m.add(pool());
    m.add(new Conv2D({ filters: f(384), kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(new Conv2D({ filters: f(384), kernelSize: 3, padding: 'same', activation: 'relu', groups: 2 }));
    m.add(new Conv2D({ filters: f(256), kernelSize: 3, padding: 'same', activation: 'relu', groups: 2 }));
    m.add(pool());
    m.add(new Flatten());
    m.add(new Dense({ units: f(4096), activation: 'relu' }));
    m.add(new Dropout(drop));
    m.add(new Dense({ units: f(4096), activation: 'relu' }));
    m.add(new Dropout(drop));
    m.add(new Dense({ units: outUnits }));
  } else {
    throw new Error(`unknown model variant '${String(o.variant)}' (choose one of ${MODEL_VARIANTS.join(', ')})`);
  }
  try {
    m.computeShapes();
  } catch (e) {
    throw new Error(`model ${o.variant} cannot take ${size}×${size} images: ${(e as Error).message} (use --image-size 67 or larger)`);
  }
  return m;
}
