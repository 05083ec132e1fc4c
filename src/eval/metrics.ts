/** Accuracy, per-class accuracy and the confusion matrix, as pure functions. */

import { NUM_CLASSES } from '../data/shapes';

/** matrix[true][predicted] counts. */
export type ConfusionMatrix = number[][];

export function emptyConfusion(classes = NUM_CLASSES): ConfusionMatrix {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

export function addToConfusion(m: ConfusionMatrix, labels: ArrayLike<number>, predictions: ArrayLike<number>): void {
  for (let i = 0; i < labels.length; i++) m[labels[i]][predictions[i]]++;
}

export function accuracyOf(m: ConfusionMatrix): number {
  let right = 0;
  let total = 0;
  m.forEach((row, i) => {
    right += row[i];
    total += row.reduce((a, b) => a + b, 0);
  });
  return total ? right / total : 0;
}

/** Recall per true class; NaN for a class with no examples. */
export function perClassAccuracy(m: ConfusionMatrix): number[] {
  return m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[i] / total : NaN;
  });
}

/** The matrix as an aligned text table with class names. */
export function formatConfusion(m: ConfusionMatrix, classNames: readonly string[]): string {
  const width = Math.max(6, ...m.flat().map((v) => String(v).length + 1));
  const nameWidth = Math.max(...classNames.map((n) => n.length), 'true \\ predicted'.length);
  const header = 'true \\ predicted'.padEnd(nameWidth) + m.map((_, j) => String(j).padStart(width)).join('');
  const rows = m.map((row, i) => classNames[i].padEnd(nameWidth) + row.map((v) => String(v).padStart(width)).join(''));
  return [header, ...rows].join('\n');
}
