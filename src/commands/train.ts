/**
 * `mnist-deep train`: what the person sees of a run (src/train/run.ts does the
 * run): the notes and the header, the progress bar and the log lines, Ctrl-C
 * and the other stop signals, and the closing results.
 */
import { BackendStatus, nativeDisabled, nativeUnusedBecause } from '../backends';
import { displayPath } from '../fs/paths';
import { commandLine } from '../terminal/command-line';
import { describeSchedule } from '../optim';
import { exitCodeFor } from '../stop-signals';
import { METADATA_FILE, MODEL_FILE, REPORT_FILE, WEIGHTS_FILE } from '../run-files';
import { resumeHint } from '../train/resume';
import type { RunOptions } from '../train/resume';
import type { EngineKind } from '../engine';
import { RunHooks, RunOutcome, RunStart, runTraining } from '../train/run';
import type { FinishHooks } from '../train/finish';
import { commandDataset, dataOrigin } from './data';
import { Output, noteKernels, plural } from './output';
import { SignalTrap, exitOnSignals, trapSignals } from './signals';

export interface TrainCommandOptions extends RunOptions {
  json?: boolean;
}

/** `auto` fell back from the native backend to wasm or cpu: one line on what it costs and how to set native up. */
function slowerThanNative(backend: BackendStatus): string | undefined {
  const passed = backend.passedOver?.some((r) => r.startsWith('tensorflow: '));
  if (!passed || (backend.name !== 'wasm' && backend.name !== 'cpu')) return undefined;
  const fix = nativeDisabled() ? 'unset MNIST_DEEP_NATIVE' : commandLine('native');
  return (
    `note: training on ${backend.name}, about 5× slower than the native tensorflow backend, ` +
    `not used because ${nativeUnusedBecause()}; to use it: ${fix}`
  );
}

/** The engines that run each step as one prepared whole, named in the header (the others are the usual path). */
const PREPARED_STEP: Partial<Record<EngineKind, string>> = {
  graph: ' (graph engine)',
  'webgpu-step': ' (step engine)',
};
function sayHeader(out: Output, s: RunStart): void {
  const { cfg, startStep } = s;
  if (startStep === cfg.steps) {
    out.say(
      `finishing the run in ${displayPath(cfg.saveDir)}: training is complete (step ${startStep} of ${cfg.steps}); saving and evaluating the model`,
    );
  } else {
    // Two lines, each well inside 120 columns.
    out.say(
      `${s.resumed ? `resuming at step ${startStep}: ` : ''}training ${cfg.model} (${cfg.recipe ?? 'seed'} recipe) on ${cfg.dataset} ` +
        `(${s.counts.train} train / ${s.counts.validation} validation / ${s.counts.test} test) from ${dataOrigin(s.raw)}`,
    );
    out.say(
      `  with ${cfg.optimizer} ${cfg.learningRate}${cfg.decay ? ` ${describeSchedule(cfg.decay)}` : ''}, ` +
        `batch ${cfg.batchSize}, ${cfg.steps} steps, backend ${s.backend}${PREPARED_STEP[s.engine.kind] ?? ''}, ` +
        plural(s.engine.threads, 'thread'),
    );
  }
  if (s.eventsWhere) out.say(`  ${s.eventsWhere}`);
}

/** From saving the model on, a stop signal ends the process at once: the final checkpoint is written. */
function finishHooks(out: Output): FinishHooks {
  let modelSaved = false;
  let stopTrap: (() => void) | undefined;
  return {
    begin: (saveDir) => {
      stopTrap = exitOnSignals(() => {
        out.stopProgress();
        out.notice(
          modelSaved
            ? `interrupted during the closing evaluation; the model is saved in ${displayPath(saveDir)}`
            : `interrupted before the model was saved; the final checkpoint is in ${displayPath(saveDir)}`,
        );
        out.notice(`finish the run with: ${resumeHint(saveDir)}`);
      });
    },
    modelSaved: () => (modelSaved = true),
    evaluating: (label, work) => out.working(label, 'images', work),
    done: () => stopTrap?.(),
  };
}

function runHooks(out: Output, stop: { trap?: SignalTrap }): RunHooks {
  return {
    note: (line) => out.notice(`note: ${line}`),
    warning: (line) => out.notice(`mnist-deep: warning: ${line}`),
    backendReady: (backend) => {
      const slower = slowerThanNative(backend);
      if (slower) out.notice(slower);
      noteKernels(out, backend.name);
    },
    loadData: commandDataset,
    started: (s) => {
      sayHeader(out, s);
      stop.trap = trapSignals((signal) =>
        out.notice(
          `${signal === 'SIGINT' ? 'Ctrl-C: ' : `${signal}: `}stopping after this step and saving a checkpoint (${signal === 'SIGINT' ? 'press Ctrl-C again' : 'signal again'} to quit at once)`,
        ),
      );
      out.startProgress(s.cfg.steps, s.startStep);
    },
    onStep: (s) => out.progress(s),
    onLog: (log) => {
      out.say(
        `step ${log.step}, training accuracy ${log.trainAccuracy.toFixed(2)} (loss ${log.loss.toFixed(4)}, ${Math.round(log.examplesPerSec)} examples/s)`,
      );
      out.emit({ event: 'step', ...log });
    },
    onValidation: (v) => {
      out.say(
        `step ${v.step}, validation accuracy ${v.validationAccuracy.toFixed(4)} (loss ${v.validationLoss.toFixed(4)})`,
      );
      out.emit({ event: 'validation', ...v });
    },
    shouldStop: () => stop.trap?.received !== undefined,
    trainingEnded: async () => {
      out.stopProgress();
      await stop.trap?.dispose();
    },
    finish: finishHooks(out),
  };
}

function sayOutcome(out: Output, outcome: RunOutcome): void {
  if (outcome.kind === 'interrupted') {
    const { step, steps, saveDir } = outcome;
    out.say(`interrupted at step ${step} of ${steps}; checkpoint saved in ${displayPath(saveDir)}`);
    out.say(`resume with: ${resumeHint(saveDir)}`);
    out.emit({ event: 'interrupted', step, saveDir });
    return;
  }
  const { result, summary, stoppedEarly } = outcome;
  const fmt = (x: number) => x.toFixed(4);
  if (stoppedEarly) {
    const { step, best, sinceBest } = stoppedEarly;
    out.say(
      `stopped early at step ${step}: validation accuracy has not improved for ${sinceBest} validation${sinceBest === 1 ? '' : 's'}` +
        (best ? ` (best ${fmt(best.validationAccuracy)} at step ${best.step})` : ''),
    );
    out.emit({ event: 'stoppedEarly', step, sinceBest, ...(best && { best }) });
  }
  if (result.kept)
    out.say(
      `kept the weights of step ${result.kept.step} (validation accuracy ${fmt(result.kept.validationAccuracy)})`,
    );
  out.say(
    result.validationAccuracy !== null
      ? `validation accuracy ${fmt(result.validationAccuracy)}`
      : 'validation accuracy: none (no validation set: --validation-size 0)',
  );
  out.say(`test accuracy ${fmt(result.testAccuracy)} (${outcome.testExamples} images)`);
  if (summary.stepsTrained > 0) {
    const { count, seconds } = summary.validations;
    const took = seconds.toFixed(seconds < 1 ? 2 : 1);
    const validating = count ? `; ${count} validation${count > 1 ? 's' : ''} took ${took} s of it` : '';
    out.say(
      `trained ${summary.stepsTrained} steps in ${summary.seconds.toFixed(1)} s (${Math.round(summary.examplesPerSec)} examples/s) on ${result.backend}${validating}`,
    );
  }
  out.say(
    `saved ${displayPath(result.saveDir)} (${MODEL_FILE}, ${WEIGHTS_FILE}, ${METADATA_FILE}, ${REPORT_FILE}${outcome.checkpointKept ? ', checkpoint' : ''})`,
  );
  // This part's validations (a resumed run's earlier parts are in their own results).
  out.emit({ event: 'result', ...result, validations: summary.validations });
}

export async function runTrain(opts: TrainCommandOptions): Promise<void> {
  const out = new Output(Boolean(opts.json));
  const stop: { trap?: SignalTrap } = {};
  const outcome = await runTraining(opts, runHooks(out, stop));
  sayOutcome(out, outcome);
  if (outcome.kind === 'interrupted') process.exitCode = exitCodeFor(stop.trap?.received ?? 'SIGINT');
}
