/**
 * The names of a run folder's files (a save dir, which is also a model
 * folder), defined once: the checkpoint, the model, its metadata and report,
 * the step log and the lock, and which of them hold a run's work. A leaf: the
 * model files, checkpoints, save dir, report and server all name files by it.
 */

/** The checkpoint's settings, step and data position (see train/checkpoint.ts). */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The checkpoint's numbers (weights, optimizer slots) at `step`, named by checkpoint.json. */
export const checkpointBinName = (step: number) => `checkpoint-${step}.bin`;
/** Any checkpoint's .bin: `checkpoint-<step>.bin`. */
export const CHECKPOINT_BIN_PATTERN = /^checkpoint-\d+\.bin$/;
/** `--keep best`: the weights of the best validation so far, flat, beside the checkpoint (see train/keep.ts). */
export const BEST_WEIGHTS_FILE = 'best-weights.bin';
/** The saved model: TF.js layers format, its weights beside it (see models/io.ts). */
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
/** Written last by train: its test accuracy says the run is complete (see models/metadata.ts). */
export const METADATA_FILE = 'metadata.json';
/** The training curve, a JSON object per line (see savedir/steplog.ts). */
export const STEP_LOG_FILE = 'steps.jsonl';
export const REPORT_FILE = 'report.html';
/** The save dir's lock (see savedir/lock.ts). */
export const LOCK_FILE = 'mnist-deep.lock';

/** Files that hold a run's work: a fresh run refuses a save dir holding any of them. */
export const RUN_FILES = [CHECKPOINT_FILE, MODEL_FILE, WEIGHTS_FILE, METADATA_FILE, BEST_WEIGHTS_FILE];
/** Files that only describe a run (its curve, its report): replaced along with it. */
export const RUN_COMPANIONS = [STEP_LOG_FILE, REPORT_FILE];

export const isRunFile = (name: string) => RUN_FILES.includes(name) || CHECKPOINT_BIN_PATTERN.test(name);

/** Any file a run writes into its folder, report.html aside (a report may be replaced by a report). */
export const isRunDataFile = (name: string) =>
  isRunFile(name) || name === STEP_LOG_FILE || name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);
