/**
 * Classification metrics against hand-computed values (a 3-class example worked out on paper,
 * scikit-learn's documented roc_curve example) and, for the ROC AUC, against two independent
 * formulas on random scores with many ties: the Mann–Whitney U statistic from mid-ranks, and
 * the pairwise count P(score+ > score−) + ½ P(score+ = score−).
 */
import { describe, expect, it } from 'vitest';
import {
  classificationReport, classificationReportDict, confusionMatrix, formatClassificationReport, rocAuc, rocCurve,
} from '../../src/nn/metrics.js';
import { rng } from '../helpers.js';

// true:  a a a b b c      predicted: a b a b c c
const Y_TRUE = [0, 0, 0, 1, 1, 2];
const Y_PRED = [0, 1, 0, 1, 2, 2];

describe('confusion matrix and classification report', () => {
  it('counts true class by row, predicted class by column', () => {
    expect(confusionMatrix(Y_TRUE, Y_PRED, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/yTrue\[1\] = 3/);
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(/1 true labels but 2 predictions/);
  });

  it('per-class precision, recall, F1 and support, with accuracy and both averages', () => {
    const r = classificationReport(confusionMatrix(Y_TRUE, Y_PRED, 3), ['a', 'b', 'c']);
    // By hand: precision = tp / column sum, recall = tp / row sum, F1 = 2PR / (P + R).
    const want = [
      { name: 'a', precision: 2 / 2, recall: 2 / 3, f1: 0.8, support: 3 },
      { name: 'b', precision: 1 / 2, recall: 1 / 2, f1: 0.5, support: 2 },
      { name: 'c', precision: 1 / 2, recall: 1, f1: 2 / 3, support: 1 },
    ];
    r.classes.forEach((c, i) => {
      expect(c.name).toBe(want[i]!.name);
      expect(c.support).toBe(want[i]!.support);
      for (const k of ['precision', 'recall', 'f1'] as const) expect(c[k], `${c.name} ${k}`).toBeCloseTo(want[i]![k], 12);
    });
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(r.macroAvg.precision).toBeCloseTo(2 / 3, 12);
    expect(r.macroAvg.recall).toBeCloseTo(13 / 18, 12);
    expect(r.macroAvg.f1).toBeCloseTo(59 / 90, 12);
    expect(r.weightedAvg.precision).toBeCloseTo(4.5 / 6, 12);
    expect(r.weightedAvg.recall).toBeCloseTo(4 / 6, 12); // weighted recall is the accuracy
    expect(r.weightedAvg.f1).toBeCloseTo((3 * 0.8 + 2 * 0.5 + 1 * (2 / 3)) / 6, 12);
    expect(r.macroAvg.support).toBe(6);
  });

  it('prints the same text as scikit-learn classification_report', () => {
    const r = classificationReport(confusionMatrix(Y_TRUE, Y_PRED, 3), ['a', 'b', 'c']);
    // sklearn.metrics.classification_report([0,0,0,1,1,2], [0,1,0,1,2,2], target_names=['a','b','c'])
    expect(formatClassificationReport(r)).toBe(
      [
        '              precision    recall  f1-score   support',
        '',
        '           a       1.00      0.67      0.80         3',
        '           b       0.50      0.50      0.50         2',
        '           c       0.50      1.00      0.67         1',
        '',
        '    accuracy                           0.67         6',
        '   macro avg       0.67      0.72      0.66         6',
        'weighted avg       0.75      0.67      0.68         6',
        '',
      ].join('\n'),
    );
    // A long class name widens the first column for every row.
    const long = formatClassificationReport(classificationReport([[1, 0], [0, 1]], ['cats', 'a-much-longer-name']), 3);
    expect(long.split('\n')[3]).toBe('a-much-longer-name      1.000     1.000     1.000         1');
    expect(long.split('\n')[5]).toBe('          accuracy                          1.000         2');
  });

  it('a class never predicted gets precision 0 (scikit-learn zero_division default), not NaN', () => {
    const r = classificationReport(confusionMatrix([0, 0, 1, 1], [0, 0, 0, 0], 2), ['x', 'y']);
    expect(r.classes[1]).toEqual({ name: 'y', precision: 0, recall: 0, f1: 0, support: 2 });
    expect(r.classes[0]!.precision).toBeCloseTo(0.5, 12);
    expect(r.classes[0]!.f1).toBeCloseTo(2 / 3, 12);
    const d = classificationReportDict(r);
    expect(d.accuracy).toBeCloseTo(0.5, 12);
    expect(d['macro avg']).toEqual({ precision: 0.25, recall: 0.5, 'f1-score': 1 / 3, support: 4 });
    expect(Object.keys(d)).toEqual(['x', 'y', 'accuracy', 'macro avg', 'weighted avg']);
  });
});

/** Mann–Whitney U of the positives from mid-ranks (tied scores share their average rank), over n+·n−. */
function mannWhitneyAuc(labels: number[], scores: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const rank = new Float64Array(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) rank[idx[k]!] = (i + j) / 2 + 1; // ranks are 1-based
    i = j + 1;
  }
  const nPos = labels.filter((l) => l === 1).length;
  const nNeg = labels.length - nPos;
  const rankSum = labels.reduce((s, l, i) => s + (l === 1 ? rank[i]! : 0), 0);
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((a, i) => {
    if (a !== 1) return;
    labels.forEach((b, j) => {
      if (b !== 0) return;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('ROC curve and AUC', () => {
  it("matches scikit-learn's documented roc_curve example", () => {
    // sklearn docs: y = [1, 1, 2, 2], scores = [0.1, 0.4, 0.35, 0.8], pos_label=2
    const c = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(c.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(c.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 15);
  });

  it('equals the Mann–Whitney rank formula and the pairwise count, ties included', () => {
    for (let trial = 0; trial < 20; trial++) {
      const r = rng(100 + trial);
      const n = 5 + Math.floor(r() * 200);
      const levels = 2 + Math.floor(r() * 12); // few distinct scores: many ties
      const labels = Array.from({ length: n }, () => (r() < 0.4 ? 1 : 0));
      labels[0] = 1;
      labels[1] = 0;
      // Positives score higher on average, so the AUC is away from 0.5 too.
      const scores = labels.map((l) => Math.round((r() + 0.3 * l) * levels) / levels);
      const got = rocAuc(labels, scores);
      expect(got, `trial ${trial}`).toBeCloseTo(mannWhitneyAuc(labels, scores), 12);
      expect(got, `trial ${trial}`).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    }
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all-equal scores, NaN with one class', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBe(0);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(() => rocCurve([0, 2], [0.1, 0.2])).toThrow(/labels\[1\] = 2/);
  });
});
