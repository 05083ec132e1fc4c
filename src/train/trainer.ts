/**
 * The tutorial's training loop, kept apart from what a run sets up around it
 * (run.ts, setup.ts) so that it reads like the tutorial's for loop. What
 * `engine.step` runs by default: createEngine in ../engine/index.ts picks the
 * graph engine (../engine/graph.ts), whose step is the graph that
 * ../engine/graph/step.ts builds (docs/tutorial.md has the reading order).
 */
import { Datasets } from '../data/batches';
import { accuracyOn } from '../eval/predict';
import type { TrainingEngine } from '../engine/types';
import type { StepLog } from '../run-types';
import { DivergedError } from './diverged';

export interface TrainHooks {
  /** After every step (for progress bars). */
  onStep?: (step: number) => void;
  /** Every `logEvery` steps, as the tutorial prints. */
  onLog?: (log: StepLog) => void;
  /** Every `validateEvery` steps, with the number of steps done; `'stop'` ends the run early (it then finishes normally). */
  onValidate?: (stepsDone: number) => Promise<'stop' | void>;
  /** Every `checkpointEvery` steps, with the number of steps done. */
  onCheckpoint?: (stepsDone: number) => void | Promise<void>;
  /** Asked after every step: stop now (e.g. on Ctrl-C)? */
  shouldStop?: () => boolean;
}

export interface TrainRun {
  steps: number;
  batchSize: number;
  logEvery: number;
  /** 0: never. */
  checkpointEvery?: number;
  /** Measure the validation split every this many steps; 0 or absent: never. */
  validateEvery?: number;
}

export interface TrainSummary {
  seconds: number;
  examplesPerSec: number;
  /** Each step's loss; NaN for a step whose loss the engine was not asked to read (see `trainLoop`). */
  losses: number[];
  /** Steps done when the loop ended (less than `steps` when stopped). */
  stepsDone: number;
  /** Steps this call trained (stepsDone minus the step it started at). */
  stepsTrained: number;
  stopped: boolean;
  /** Validations this call made, and the seconds they took (part of `seconds`). */
  validations: { count: number; seconds: number };
  /** Set when `onValidate` ended the run before its last step (early stopping): not a stop to resume from. */
  stoppedEarly?: true;
}

/**
 * The tutorial's loop: at step i, take the next batch; every `logEvery` steps
 * report the accuracy on that batch before training on it; then train.
 */
export async function trainLoop(
  engine: TrainingEngine,
  data: Datasets,
  run: TrainRun,
  hooks: TrainHooks = {},
  startStep = 0,
): Promise<TrainSummary> {
  const losses: number[] = [];
  const t0 = performance.now();
  let lastLogTime = t0;
  let sinceLog = 0;
  const validations = { count: 0, seconds: 0 };
  for (let step = startStep; step < run.steps; step++) {
    const batch = data.train.nextBatch(run.batchSize);
    const logNow = step % run.logEvery === 0;
    // Accuracy on the batch with dropout off, as the tutorial's log line reports.
    const accuracy = !logNow
      ? NaN
      : engine.accuracy
        ? await engine.accuracy(batch)
        : await accuracyOn(engine.model, batch.xs, batch.labels);
    const done = step + 1;
    const checkpointNow = Boolean(run.checkpointEvery && done % run.checkpointEvery === 0 && done < run.steps);
    // The loss is needed where it is shown or something is saved after it: a GPU engine may queue the
    // other steps without reading theirs (NaN, unread; checkpoints and saved models check their weights).
    const readLoss = logNow || checkpointNow || done === run.steps;
    const { loss, unread } = await engine.step(batch, step, readLoss);
    // NaN weights would only ever give NaN: stop before anything is saved from them.
    if (!unread && !Number.isFinite(loss)) throw new DivergedError(step, `the loss is ${loss}`);
    losses.push(loss);
    sinceLog++;
    if (logNow) {
      const now = performance.now();
      const examplesPerSec = (sinceLog * run.batchSize) / Math.max((now - lastLogTime) / 1000, 1e-9);
      hooks.onLog?.({ step, loss, trainAccuracy: accuracy, examplesPerSec });
      lastLogTime = now;
      sinceLog = 0;
    }
    hooks.onStep?.(done);
    const validateNow = Boolean(run.validateEvery && done % run.validateEvery === 0 && hooks.onValidate);
    const validationStart = performance.now();
    const early = validateNow && (await hooks.onValidate?.(done)) === 'stop' && done < run.steps;
    if (validateNow) {
      const took = performance.now() - validationStart;
      validations.count++;
      validations.seconds += took / 1000;
      // The examples per second are training's: the validation's time is left out.
      lastLogTime += took;
    }
    if (early) return summary(done, false, true);
    if (checkpointNow) await hooks.onCheckpoint?.(done);
    // Let signal handlers run: a step is synchronous work.
    await new Promise((resolve) => setImmediate(resolve));
    if (hooks.shouldStop?.()) return summary(done, true);
  }
  return summary(run.steps, false);

  function summary(stepsDone: number, stopped: boolean, stoppedEarly = false): TrainSummary {
    const seconds = (performance.now() - t0) / 1000;
    const trained = stepsDone - startStep;
    return {
      seconds,
      examplesPerSec: seconds > 0 ? (trained * run.batchSize) / seconds : 0,
      losses,
      stepsDone,
      stepsTrained: trained,
      stopped,
      validations: { ...validations },
      ...(stoppedEarly && { stoppedEarly: true as const }),
    };
  }
}
