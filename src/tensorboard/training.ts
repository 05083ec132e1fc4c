/**
 * A training run's TensorBoard events: its settings when it starts, the scalars of every logged
 * step, and at the end the validation and test accuracy with the test set's pictures. Failures
 * after the start never reach the run (see RunEvents).
 */
import type * as tfl from '@tensorflow/tfjs';
import type { DataSplit } from '../data/batches';
import { dirname } from 'node:path';
import { DATASETS } from '../data/datasets';
import type { Evaluation } from '../eval/evaluate';
import { displayPath } from '../fs/paths';
import type { TrainConfig } from '../train/config';
import type { StepLog } from '../train/trainer';
import { packageVersion } from '../version';
import { evaluationValues, settingsText, stepScalars } from './figures';
import { RunEvents } from './run';
import { scalar } from './summaries';

export interface TrainResults {
  model: tfl.LayersModel;
  test: DataSplit;
  evaluation: Evaluation;
  /** NaN when there was no validation set. */
  validationAccuracy: number;
}

export class TrainEvents {
  private constructor(
    private readonly run: RunEvents,
    private readonly cfg: TrainConfig,
  ) {}

  /** Undefined when the run has no log folder; a one-line UserError when it cannot be written. */
  static start(
    cfg: TrainConfig,
    startStep: number,
    warn: (line: string) => void,
    ownFiles: readonly string[] = [],
  ): TrainEvents | undefined {
    if (!cfg.logdir) return undefined;
    const run = RunEvents.open(cfg.logdir, { startStep, warn, ownFiles });
    run.values(startStep, [settingsText('settings', { ...cfg, version: packageVersion() })]);
    return new TrainEvents(run, cfg);
  }

  /** The event files this run wrote in its folder (names), for its checkpoint. */
  get files(): string[] {
    return [...this.run.files];
  }

  /** Where the events go and how to look at them, for the run's opening lines. */
  where(): string {
    const dir = this.cfg.logdir ?? '';
    return `TensorBoard events in ${displayPath(dir)} (view with: tensorboard --logdir ${displayPath(dirname(dir))})`;
  }

  step(log: StepLog): void {
    this.run.values(log.step, stepScalars(log, this.cfg));
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
    this.run.close();
  }
}
