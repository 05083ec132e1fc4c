/**
 * The names of a run folder's own files (a save dir, which is also a model
 * folder): which hold a run's work, which only describe it. A leaf: the save
 * dir and the report's target check both judge names by these lists.
 */

/** Files that hold a run's work: a fresh run refuses a save dir holding any of them. */
export const RUN_FILES = ['checkpoint.json', 'model.json', 'weights.bin', 'metadata.json'];
/** Files that only describe a run (its curve, its report): replaced along with it. */
export const RUN_COMPANIONS = ['steps.jsonl', 'report.html'];
/** The save dir's lock (see lock.ts). */
export const LOCK_FILE = 'mnist-deep.lock';

export const isRunFile = (name: string) => RUN_FILES.includes(name) || /^checkpoint-\d+\.bin$/.test(name);

/** Any file a run writes into its folder, report.html aside (a report may be replaced by a report). */
export const isRunDataFile = (name: string) =>
  isRunFile(name) || name === 'steps.jsonl' || name === LOCK_FILE || name.startsWith(`${LOCK_FILE}.`);
