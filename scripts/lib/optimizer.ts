/** Optimizer by CLI name. */
import { Adam, SGD, type Optimizer } from '../../src/nn/optim.js';

export const OPTIMIZERS = ['adam', 'adam-pytorch', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export function makeOptimizer(name: OptimizerName, o: { lr: number; momentum?: number; weightDecay?: number }): Optimizer {
  switch (name) {
    case 'adam':
      return new Adam({ lr: o.lr, convention: 'keras' });
    case 'adam-pytorch':
      return new Adam({ lr: o.lr, convention: 'pytorch' });
    case 'sgd':
      return new SGD({ lr: o.lr, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
  }
}
