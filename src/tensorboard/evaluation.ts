/**
 * `eval --logdir`: a saved model's evaluation added to a run's TensorBoard events (by default
 * the run it was trained in), at the step it was trained to, under `eval/<data set>/`.
 */
import type { DatasetName } from '../data/datasets';
import { DATASETS } from '../data/datasets';
import { EvaluationInputs, evaluationValues, settingsText } from './figures';
import { RunEvents } from './run';

export interface EvalEventsInputs extends Omit<EvaluationInputs, 'classNames'> {
  dataset: DatasetName;
  /** The step the model was trained to (0 when unknown). */
  step: number;
  /** Rows for the settings text: the model folder, backend, … */
  settings: Record<string, unknown>;
}

/** Writes the evaluation's events to a new file in `dir`; returns it. A failure is said through `warn`, never thrown. */
export async function writeEvalEvents(
  dir: string,
  inputs: EvalEventsInputs,
  warn: (line: string) => void,
): Promise<string | undefined> {
  const run = RunEvents.open(dir, { warn });
  try {
    const prefix = `eval/${inputs.dataset}`;
    const values = await evaluationValues(prefix, { ...inputs, classNames: DATASETS[inputs.dataset].classNames });
    run.values(inputs.step, [settingsText(`${prefix}/settings`, inputs.settings), ...values]);
    return run.file;
  } catch (err) {
    run.fail(err);
    return undefined;
  } finally {
    run.close();
  }
}
