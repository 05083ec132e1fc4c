/**
 * Opening a run: a fresh one in its save dir, or the continuation of the run
 * whose checkpoint is in the folder given to --resume, with the checkpoint's
 * settings and only the options that do not change what is learned. Also the
 * checkpoint's place in the training data, restored on resume.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Datasets } from '../data/batches';
import { UserError } from '../errors';
import { displayPath } from '../fs/paths';
import { readMetadataFile } from '../models/metadata';
import { CHECKPOINT_FILE, MODEL_FILE, WEIGHTS_FILE } from '../run-files';
import { SaveDir, openSaveDir } from '../savedir/prepare';
import { LogdirOption } from '../tensorboard/logdir';
import { commandLine } from '../terminal/command-line';
import { Checkpoint, readCheckpoint } from './checkpoint';
import { TrainConfig, TrainOptions, resolveConfig } from './config';

export interface RunOptions extends Omit<TrainOptions, 'logdir'> {
  /** TensorBoard events: a folder, or `true` for a fresh one under runs/. */
  logdir?: LogdirOption;
  /** A save dir holding a checkpoint to continue from. */
  resume?: string;
  /** Start afresh in a save dir that holds another run. */
  overwrite?: boolean;
  /** Options the user gave explicitly (not defaults). */
  given?: string[];
}

/** Settings that may change when resuming: they do not change what is learned. */
const RESUMABLE_SETTINGS = [
  'steps',
  'backend',
  'threads',
  'logEvery',
  'evalBatchSize',
  'checkpointEvery',
  'validateEvery',
] as const;
/** The options a person may give differently on --resume ... */
const MAY_DIFFER: readonly string[] = [...RESUMABLE_SETTINGS, 'logdir'];
/** ... and the options that only say how to run the command. */
const RESUMABLE = new Set([...MAY_DIFFER, 'json', 'resume']);

const flag = (name: string) => '--' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The command that continues (or finishes) the run in `dir`. */
export const resumeHint = (dir: string) => commandLine('train', '--resume', displayPath(dir));

/** Whether the run in `dir` was finished at `step`: model saved, evaluated, results written. */
function finished(dir: string, step: number): boolean {
  if (![MODEL_FILE, WEIGHTS_FILE].every((f) => existsSync(join(dir, f)))) return false;
  const meta = readMetadataFile(dir);
  return meta?.steps === step && typeof meta.testAccuracy === 'number';
}

/**
 * The value option `key` had in the checkpoint's run, as the option would say it: the defaults
 * that the config leaves out, and the schedule's options read from its schedule.
 */
function held(cp: Checkpoint, key: string): unknown {
  const c = cp.config;
  const cosine = c.decay?.kind === 'cosine';
  switch (key) {
    case 'recipe':
      return c.recipe ?? 'seed';
    case 'keep':
      return c.keep ?? 'last';
    case 'lrSchedule':
      return c.decay?.kind ?? 'constant';
    case 'lrFinal':
      // As given: 0.05, not the product's 0.049999999999999996.
      return c.decay && Number((c.learningRate * c.decay.finalFraction).toPrecision(12));
    case 'lrStepEvery':
      return c.decay?.stepEvery;
    case 'warmupSteps':
      return cosine ? (c.decay?.warmupSteps ?? 0) : undefined;
    default:
      return (c as unknown as Record<string, unknown>)[key];
  }
}

/** Whether option `key`, as given, says what the checkpoint already holds. */
function sameAsCheckpoint(key: string, given: unknown, cp: Checkpoint): boolean {
  const was = held(cp, key);
  if ((key === 'dataDir' || key === 'saveDir') && typeof given === 'string' && typeof was === 'string')
    return resolve(given) === resolve(was);
  // The schedule's end rate is held as a fraction of the initial rate: equal up to rounding.
  if (key === 'lrFinal' && typeof given === 'number' && typeof was === 'number')
    return Math.abs(given - was) <= 1e-9 * Math.abs(was);
  return given === was;
}

/** Refuses options given on --resume that would change what the checkpoint's run learns. */
function refuseChanges(cp: Checkpoint, opts: RunOptions): void {
  const value = (key: string) => (opts as Record<string, unknown>)[key];
  const changed = (opts.given ?? []).filter((o) => !RESUMABLE.has(o) && !sameAsCheckpoint(o, value(o), cp));
  if (!changed.length) return;
  const had = (o: string) => {
    const was = held(cp, o);
    return was === undefined ? `no ${flag(o)}` : `${flag(o)} ${String(was)}`;
  };
  const was = changed.map(had).join(', ');
  throw new UserError(
    `--resume takes its settings from the checkpoint; ${changed.map(flag).join(', ')} cannot be changed (the run has ${was})`,
    { hint: `only ${MAY_DIFFER.map(flag).join(', ')} may differ` },
  );
}

/** The checkpoint's settings, with the few options that may change on resume. */
function resumeConfig(cp: Checkpoint, dir: string, opts: RunOptions): TrainConfig {
  refuseChanges(cp, opts);
  const given = new Set(opts.given ?? []);
  const cfg: TrainConfig = { ...cp.config, saveDir: resolve(dir) };
  for (const key of RESUMABLE_SETTINGS) {
    if (given.has(key) && opts[key] !== undefined) Object.assign(cfg, { [key]: opts[key] });
  }
  // A run that stopped early and is given more steps trains on: it is no longer stopped.
  if (cfg.plannedSteps !== undefined && cfg.steps > cp.step) delete cfg.plannedSteps;
  const shown = displayPath(resolve(dir));
  // A run that stopped early was asked for more steps: that total is the natural one to offer.
  const more = cfg.plannedSteps !== undefined && cfg.plannedSteps > cp.step ? cfg.plannedSteps : cp.step * 2;
  const further = {
    hint: `to train further, give a larger total: ${commandLine('train', '--resume', shown, '--steps', String(more))}`,
  };
  if (cfg.steps < cp.step)
    throw new UserError(`--steps ${cfg.steps}: the run in ${shown} is already at step ${cp.step}`, further);
  // Training complete: a run whose model or results are missing is finished; a finished one is said so.
  if (cfg.steps === cp.step && finished(dir, cp.step)) {
    const planned = cfg.plannedSteps;
    const what = planned === undefined ? 'is finished' : `stopped early at step ${cp.step} of ${planned}`;
    const why =
      planned === undefined
        ? [`step ${cp.step} of ${cp.config.steps}`]
        : cfg.earlyStop
          ? [`--early-stop ${cfg.earlyStop}`]
          : [];
    throw new UserError(`the run in ${shown} ${what} (${[...why, 'model and results saved'].join(', ')})`, further);
  }
  return cfg;
}

export interface OpenedRun {
  save: SaveDir;
  cfg: TrainConfig;
  resumed?: Checkpoint;
}

/** Locks the save dir (and reads the checkpoint, when resuming) before anything else happens. */
export function openRun(opts: RunOptions): OpenedRun {
  if (opts.resume !== undefined) {
    // Not a save dir at all: say so before writing a lock there.
    if (existsSync(opts.resume) && !existsSync(join(opts.resume, CHECKPOINT_FILE))) {
      throw new UserError(`--resume ${opts.resume}: no ${CHECKPOINT_FILE} there (was it trained with checkpoints?)`);
    }
    const save = openSaveDir(opts.resume, { option: '--resume', resume: true, overwrite: false });
    try {
      const resumed = readCheckpoint(save.dir);
      return { save, resumed, cfg: resumeConfig(resumed, save.dir, opts) };
    } catch (err) {
      save.release();
      throw err;
    }
  }
  const cfg = resolveConfig({ ...opts, logdir: undefined });
  const save = openSaveDir(cfg.saveDir, { option: '--save-dir', resume: false, overwrite: Boolean(opts.overwrite) });
  cfg.saveDir = save.dir;
  return { save, cfg };
}

/** The checkpoint's place in the training data, which must be the same data set. */
export function restoreData(data: Datasets, cp: Checkpoint, saveDir: string): void {
  if (cp.data.order.length !== data.train.count) {
    throw new UserError(
      `${join(saveDir, CHECKPOINT_FILE)}: field data.order: ${cp.data.order.length} entries, but the training set in ${data.dir} has ${data.train.count} images (was the data set changed?)`,
    );
  }
  data.train.setState(cp.data);
}
