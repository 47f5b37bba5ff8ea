/**
 * Classification metrics over predictions, with scikit-learn's definitions (platform-neutral):
 *
 *   confusionMatrix(yTrue, yPred, classes)  rows: true class, columns: predicted class
 *   classificationReport(confusion, names)  per-class precision, recall, F1, support; accuracy,
 *                                           macro and support-weighted averages
 *   formatClassificationReport(report)      the text of sklearn.metrics.classification_report
 *   classificationReportDict(report)        its output_dict=True form (for JSON)
 *   rocCurve(labels, scores), rocAuc(...)   ROC of a binary problem; the AUC is the trapezoid
 *                                           area under it (ties between scores count one half)
 *
 * Undefined ratios (a class never predicted, or absent from the data) are 0, as scikit-learn
 * returns with its default zero_division (it also warns).
 */

export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Images whose true class is this one. */
  support: number;
}

export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  classes: ClassMetrics[];
  accuracy: number;
  macroAvg: AverageMetrics;
  weightedAvg: AverageMetrics;
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

function checkLabel(v: number, classes: number, what: string, i: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= classes) throw new Error(`${what}[${i}] = ${v} is not a class index in [0, ${classes})`);
}

/** Counts: `m[t][p]` images of true class t predicted as p. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  if (yTrue.length !== yPred.length) throw new Error(`confusionMatrix: ${yTrue.length} true labels but ${yPred.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    checkLabel(yTrue[i]!, classes, 'yTrue', i);
    checkLabel(yPred[i]!, classes, 'yPred', i);
    m[yTrue[i]!]![yPred[i]!]!++;
  }
  return m;
}

/** Per-class and averaged precision / recall / F1 from a square confusion matrix. */
export function classificationReport(confusion: readonly (readonly number[])[], classNames: readonly string[]): ClassificationReport {
  const C = confusion.length;
  if (classNames.length !== C || confusion.some((row) => row.length !== C)) {
    throw new Error(`classificationReport: a ${C}-row confusion matrix needs ${C} columns per row and ${C} class names`);
  }
  const total = confusion.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const classes: ClassMetrics[] = classNames.map((name, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    // F1 from counts (2tp / (2tp + fp + fn)) equals 2PR/(P+R) where both are defined, and is 0
    // where it is not, as scikit-learn computes it.
    const f1 = ratio(2 * tp, predicted + support);
    return { name, precision, recall, f1, support };
  });
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const mean = (k: 'precision' | 'recall' | 'f1') => classes.reduce((s, m) => s + m[k], 0) / C;
  const weighted = (k: 'precision' | 'recall' | 'f1') => ratio(classes.reduce((s, m) => s + m[k] * m.support, 0), total);
  return {
    classes,
    accuracy: ratio(correct, total),
    macroAvg: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1'), support: total },
    weightedAvg: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1'), support: total },
  };
}

/** The text scikit-learn's classification_report prints (same columns, widths and rows). */
export function formatClassificationReport(r: ClassificationReport, digits = 2): string {
  const width = Math.max(...r.classes.map((c) => c.name.length), 'weighted avg'.length, digits);
  const col = (s: string) => ' ' + s.padStart(9);
  const f = (v: number) => col(v.toFixed(digits));
  const line = (name: string, cells: string) => name.padStart(width) + ' ' + cells + '\n';
  let out = line('', ['precision', 'recall', 'f1-score', 'support'].map(col).join('')) + '\n';
  for (const c of r.classes) out += line(c.name, f(c.precision) + f(c.recall) + f(c.f1) + col(String(c.support)));
  out += '\n';
  out += line('accuracy', col('') + col('') + f(r.accuracy) + col(String(r.macroAvg.support)));
  for (const [name, a] of [['macro avg', r.macroAvg], ['weighted avg', r.weightedAvg]] as const) {
    out += line(name, f(a.precision) + f(a.recall) + f(a.f1) + col(String(a.support)));
  }
  return out;
}

type ReportRow = { precision: number; recall: number; 'f1-score': number; support: number };

/** scikit-learn's classification_report(output_dict=True): class names, 'accuracy', 'macro avg', 'weighted avg'. */
export function classificationReportDict(r: ClassificationReport): Record<string, ReportRow | number> {
  const row = (m: AverageMetrics): ReportRow => ({ precision: m.precision, recall: m.recall, 'f1-score': m.f1, support: m.support });
  const out: Record<string, ReportRow | number> = {};
  for (const c of r.classes) out[c.name] = row(c);
  out.accuracy = r.accuracy;
  out['macro avg'] = row(r.macroAvg);
  out['weighted avg'] = row(r.weightedAvg);
  return out;
}

export interface RocCurve {
  /** False-positive rate at each threshold, from 0 to 1. */
  fpr: number[];
  /** True-positive rate at each threshold, from 0 to 1. */
  tpr: number[];
  /** Score thresholds, decreasing; the first is +Infinity (nothing predicted positive). */
  thresholds: number[];
}

/**
 * The ROC curve of binary labels (1 = positive) ranked by score: one point per distinct score
 * (scores equal to each other move the curve diagonally together), as sklearn.metrics.roc_curve
 * with drop_intermediate=False. Needs both classes present.
 */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const n = labels.length;
  if (scores.length !== n) throw new Error(`rocCurve: ${n} labels but ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`rocCurve: labels[${i}] = ${labels[i]} is not 0 or 1`);
    if (!Number.isFinite(scores[i]!)) throw new Error(`rocCurve: scores[${i}] = ${scores[i]} is not finite`);
    positives += labels[i]!;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) throw new Error('rocCurve: needs both positive and negative labels');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; ) {
    const s = scores[order[k]!]!;
    while (k < n && scores[order[k]!]! === s) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
      k++;
    }
    curve.fpr.push(fp / negatives);
    curve.tpr.push(tp / positives);
    curve.thresholds.push(s);
  }
  return curve;
}

/**
 * Area under the ROC curve (trapezoids) = the probability that a random positive scores above a
 * random negative, ties counting one half. NaN when a class is missing (the area is undefined;
 * scikit-learn raises an error there).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === labels.length) return NaN;
  const { fpr, tpr } = rocCurve(labels, scores);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  return area;
}
