/**
 * A training run's TensorBoard events: its settings when it starts, the scalars of every logged
 * step, and at the end the validation and test accuracy with the test set's pictures. Failures
 * after the start never reach the run (see RunEvents).
 */
import type * as tfl from '@tensorflow/tfjs';
import type { DataSplit } from '../data/batches';
import { dirname, join } from 'node:path';
import { DATASETS } from '../data/datasets';
import type { Evaluation } from '../eval/evaluate';
import { displayPath } from '../fs/paths';
import type { StepLog, TrainConfig, ValidationLog } from '../run-types';
import { packageVersion } from '../version';
import { evaluationValues, settingsText, stepScalars } from './figures';
import { checkLogdir } from './logdir';
import { RunEvents, runFolderId } from './run';
import { SETTINGS_TAG, scalar } from './summaries';

export interface TrainResults {
  model: tfl.LayersModel;
  test: DataSplit;
  evaluation: Evaluation;
  /** NaN when there was no validation set. */
  validationAccuracy: number;
}

/** The run beside the training run's folder that holds the validation curve (Keras' `validation`). */
export const VALIDATION_RUN = 'validation';

/** The event files a run wrote before (names, from its checkpoint): in its folder, and in its validation run's. */
export interface OwnEventFiles {
  train?: readonly string[];
  validation?: readonly string[];
}

export class TrainEvents {
  /** Opened with the run when it validates, or has validation files of an earlier part to trim. */
  private validationRun?: RunEvents;

  private constructor(
    private readonly run: RunEvents,
    private readonly cfg: TrainConfig,
    private readonly startStep: number,
    private readonly warn: (line: string) => void,
    private readonly runFolder: string,
    private readonly ownValidation: readonly string[],
  ) {}

  /** Undefined when the run has no log folder; a one-line UserError when it cannot be written. */
  static start(
    cfg: TrainConfig,
    startStep: number,
    warn: (line: string) => void,
    own: OwnEventFiles = {},
  ): TrainEvents | undefined {
    if (!cfg.logdir) return undefined;
    const validates = Boolean(cfg.validateEvery || own.validation?.length);
    // Checked before anything is written: the validation run's folder may be a file.
    if (validates) checkLogdir(join(cfg.logdir, VALIDATION_RUN), '--logdir');
    const runFolder = runFolderId(cfg.saveDir);
    const run = RunEvents.open(cfg.logdir, { startStep, warn, ownFiles: own.train ?? [], runFolder });
    run.values(startStep, [settingsText(SETTINGS_TAG, { ...cfg, version: packageVersion(), runFolder })]);
    const events = new TrainEvents(run, cfg, startStep, warn, runFolder, own.validation ?? []);
    // Opened now, so that the first checkpoint names its file (and a bad folder is refused before training).
    if (validates) {
      try {
        events.openValidation();
      } catch (err) {
        run.close();
        throw err;
      }
    }
    return events;
  }

  /** The event files this run wrote in its folder (names), for its checkpoint. */
  get files(): string[] {
    return [...this.run.files];
  }

  /** The event files this run wrote in its validation run's folder (names), for its checkpoint. */
  get validationFiles(): string[] {
    return [...(this.validationRun?.files ?? this.ownValidation)];
  }

  /** Where the events go and how to look at them, for the run's opening lines. */
  where(): string {
    const dir = this.cfg.logdir ?? '';
    return `TensorBoard events in ${displayPath(dir)} (view with: tensorboard --logdir ${displayPath(dirname(dir))})`;
  }

  step(log: StepLog): void {
    const values = stepScalars(log, this.cfg);
    // With validations in the run, the batch's accuracy and loss also go under the tags the
    // validation run uses, so that TensorBoard draws the two curves on one chart.
    const { validateEvery, steps } = this.cfg;
    if (validateEvery && validateEvery <= steps)
      values.push(scalar('accuracy', log.trainAccuracy), scalar('loss', log.loss));
    this.run.values(log.step, values);
  }

  /**
   * The `validation` run inside the training run's folder. Its files open with the run folder's
   * id, as the training run's do: a resume trims only its own (see RunEvents.open). A one-line
   * UserError when it cannot be written.
   */
  private openValidation(): void {
    this.validationRun = RunEvents.open(join(this.cfg.logdir ?? '', VALIDATION_RUN), {
      startStep: this.startStep,
      warn: this.warn,
      ownFiles: this.ownValidation,
      runFolder: this.runFolder,
    });
    this.validationRun.values(this.startStep, [settingsText(SETTINGS_TAG, { runFolder: this.runFolder })]);
  }

  /** A validation during training, in the `validation` run (a failed write stops only its events). */
  validation(v: ValidationLog): void {
    this.validationRun?.values(v.step, [scalar('accuracy', v.validationAccuracy), scalar('loss', v.validationLoss)]);
  }

  /** The closing evaluation, at the run's last step. */
  async results(r: TrainResults): Promise<void> {
    try {
      const values = Number.isNaN(r.validationAccuracy) ? [] : [scalar('validation/accuracy', r.validationAccuracy)];
      const classNames = DATASETS[this.cfg.dataset].classNames;
      values.push(...(await evaluationValues('test', { ...r, split: r.test, classNames })));
      this.run.values(this.cfg.steps, values);
    } catch (err) {
      this.run.fail(err);
    }
  }

  close(): void {
    this.validationRun?.close();
    this.run.close();
  }
}
