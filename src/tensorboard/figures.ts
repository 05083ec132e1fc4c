/** What a run's event file says about it: the settings, a logged step, an evaluation. */
import type * as tfl from '@tensorflow/tfjs';
import type { DataSplit } from '../data/batches';
import type { Evaluation } from '../eval/evaluate';
import { perClassAccuracy } from '../eval/metrics';
import { flattenSettings, rankWrong } from '../report/build';
import { learningRateAt } from '../optim';
import type { Hyper, StepLog } from '../run-types';
import { confusionPicture, wrongDigitsPicture } from './images';
import { SummaryValue } from './proto';
import { image, markdownTable, scalar, text } from './summaries';

/** The settings as a two-column Markdown table (TensorBoard's Text dashboard renders it). */
export function settingsText(tag: string, settings: Record<string, unknown>): SummaryValue {
  return text(tag, markdownTable(['setting', 'value'], flattenSettings(settings)));
}

/** A logged training step: the tutorial's batch accuracy, the loss, the learning rate and the speed. */
export function stepScalars(log: StepLog, hyper: Pick<Hyper, 'learningRate' | 'decay'>): SummaryValue[] {
  return [
    scalar('train/loss', log.loss),
    scalar('train/accuracy', log.trainAccuracy),
    scalar('train/learning_rate', learningRateAt(hyper, log.step)),
    scalar('train/examples_per_sec', log.examplesPerSec),
  ];
}

export interface EvaluationInputs {
  model: tfl.LayersModel;
  /** The split `evaluation` scored. */
  split: DataSplit;
  evaluation: Evaluation;
  classNames: readonly string[];
}

/**
 * An evaluation under `prefix` (e.g. `test`): its accuracy, the most confidently wrong digits,
 * the confusion matrix and the per-class accuracies.
 */
export async function evaluationValues(prefix: string, e: EvaluationInputs): Promise<SummaryValue[]> {
  const { ranked, count } = await rankWrong(e.model, e.split, e.evaluation.predictions);
  const values = [scalar(`${prefix}/accuracy`, e.evaluation.accuracy)];
  // Plain image values, without metadata: every TensorBoard reader takes them as the Images plugin's.
  const wrongTag = `${prefix}/most_confidently_wrong`;
  if (ranked.length) {
    const wrong = wrongDigitsPicture(ranked);
    values.push(image(wrongTag, wrong.png, wrong));
  }
  const confusion = confusionPicture(e.evaluation.confusion);
  values.push(image(`${prefix}/confusion_matrix`, confusion.png, confusion));
  const perClass = perClassAccuracy(e.evaluation.confusion).map((acc, i): [string, string] => [
    e.classNames[i] === String(i) ? String(i) : `${i} ${e.classNames[i]}`,
    Number.isNaN(acc) ? 'n/a' : acc.toFixed(4),
  ]);
  const about =
    `${count} of ${e.evaluation.examples} images wrong` +
    (ranked.length ? `; ${wrongTag} shows the ${ranked.length} most confidently wrong, captioned true>predicted` : '') +
    `; ${prefix}/confusion_matrix: rows are the true class, columns the predicted one.`;
  values.push(text(`${prefix}/per_class_accuracy`, `${markdownTable(['class', 'accuracy'], perClass)}\n\n${about}`));
  return values;
}
