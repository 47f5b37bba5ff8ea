/** The training curves `npm run train` writes: accuracy and loss per epoch, learning-rate changes marked. */
import { formatLr } from './chart-ticks.js';
import { PALETTE, renderLineChart, type ChartMarker, type LineSeries } from './plot.js';

export interface TrainingHistory {
  epoch: readonly number[];
  loss: readonly number[];
  accuracy: readonly number[];
  val_loss?: readonly number[];
  val_accuracy?: readonly number[];
  /** Learning rate used during each epoch; changes become labelled vertical markers. */
  lr?: readonly number[];
}

/**
 * Markers where the learning rate changed: lr[i] (used during epoch[i]) differs from lr[i-1].
 * The line sits halfway between the two epochs, labelled "lr 1e-4→5e-5".
 */
export function lrChangeMarkers(epoch: readonly number[], lr: readonly number[] | undefined): ChartMarker[] {
  const out: ChartMarker[] = [];
  if (!lr) return out;
  for (let i = 1; i < Math.min(epoch.length, lr.length); i++) {
    const a = lr[i - 1]!;
    const b = lr[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (Math.abs(a - b) > 1e-6 * Math.max(Math.abs(a), Math.abs(b))) {
      out.push({ x: (epoch[i - 1]! + epoch[i]!) / 2, label: `lr ${formatLr(a)}\u2192${formatLr(b)}` });
    }
  }
  return out;
}

export function plotTrainingHistory(
  history: TrainingHistory,
  opts: { width?: number; height?: number } = {},
): { accuracyPng: Uint8Array; lossPng: Uint8Array } {
  const { epoch } = history;
  const markers = lrChangeMarkers(epoch, history.lr);
  // Epochs without a value (e.g. validation every few epochs) are skipped, so the points that do
  // exist are joined by a line.
  const finitePairs = (y: readonly number[] | undefined): { x: number[]; y: number[] } => {
    const out = { x: [] as number[], y: [] as number[] };
    if (!y) return out;
    for (let i = 0; i < Math.min(epoch.length, y.length); i++) {
      if (Number.isFinite(epoch[i]) && Number.isFinite(y[i])) {
        out.x.push(epoch[i]!);
        out.y.push(y[i]!);
      }
    }
    return out;
  };
  const curves = (trainY: readonly number[], valY: readonly number[] | undefined): LineSeries[] => {
    const out: LineSeries[] = [{ name: 'Training', ...finitePairs(trainY), color: PALETTE[0], marker: 'circle' }];
    const v = finitePairs(valY);
    if (v.x.length > 0) out.push({ name: 'Validation', ...v, color: PALETTE[1], marker: 'square' });
    return out;
  };
  const common = { xLabel: 'Epoch', markers, width: opts.width, height: opts.height };
  const accuracyPng = renderLineChart({
    ...common,
    title: 'Training and validation accuracy',
    yLabel: 'Accuracy',
    series: curves(history.accuracy, history.val_accuracy),
  });
  const lossPng = renderLineChart({
    ...common,
    title: 'Training and validation loss',
    yLabel: 'Loss',
    series: curves(history.loss, history.val_loss),
  });
  return { accuracyPng, lossPng };
}
