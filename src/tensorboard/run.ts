/**
 * A run's events as one command writes them: a new event file in the run's folder, and the rule
 * that TensorBoard must never cost the run anything. Opening is checked (a bad folder is a
 * one-line error before any work); after that, the first failed write (a full disk, …) is said
 * once through `warn` and every later write is skipped, while training goes on.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { displayPath } from '../fs/paths';
import { SummaryValue, TfEvent } from './proto';
import { readEventFile } from './reader';
import { SETTINGS_TAG, markdownRow } from './summaries';
import { frameRecord } from './tfrecord';
import { EventFileWriter } from './writer';

export interface RunEventsOptions {
  /** A resumed training session's first step: its own files' events from here on are dropped (see dropFrom). */
  startStep?: number;
  /**
   * The event files in the folder that this run wrote before (names, from its checkpoint): the only
   * ones trimmed back to `startStep`. Another run's file, or a live one's, is never touched.
   */
  ownFiles?: readonly string[];
  /**
   * The run folder that wrote `ownFiles` (runFolderId): a file whose opening settings name another
   * is not this run's (a copy of the run folder, wherever it now sits, or a checkpoint naming
   * another run's file).
   */
  runFolder?: string;
  /** Says a failure mid-run (one line, once). */
  warn: (line: string) => void;
  /** The option that chose the folder, for error messages. */
  option?: string;
}

export class RunEvents {
  private failed = false;

  private constructor(
    private writer: EventFileWriter | undefined,
    private readonly warn: (line: string) => void,
    /** This run's files in the folder, the new one last (names). */
    readonly files: readonly string[],
  ) {}

  /** Opens a new event file in `dir`; throws a one-line UserError when that cannot be done. */
  static open(dir: string, opts: RunEventsOptions): RunEvents {
    const { startStep, warn } = opts;
    const option = opts.option ?? '--logdir';
    const own = (opts.ownFiles ?? []).filter((name) => existsSync(join(dir, name)));
    try {
      if (startStep) for (const name of own) dropFrom(join(dir, name), startStep, warn, opts.runFolder);
      const writer = EventFileWriter.create(dir);
      return new RunEvents(writer, warn, [...own, basename(writer.file)]);
    } catch (err) {
      throw new UserError(`${option} ${dir}: ${errorMessage(err)}`);
    }
  }

  get file(): string | undefined {
    return this.writer?.file;
  }

  /** Writes summary values for `step` (nothing after a failure). */
  values(step: number, values: SummaryValue[]): void {
    if (values.length) this.write(step, { summary: { value: values } });
  }

  private write(step: number, what: Omit<TfEvent, 'wallTime' | 'step'>): void {
    if (!this.writer) return;
    try {
      this.writer.append({ wallTime: Date.now() / 1000, step, ...what });
    } catch (err) {
      this.fail(err);
    }
  }

  /** Stops writing, saying why once. */
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.warn(`TensorBoard events stopped: ${errorMessage(err)}; training goes on without them`);
    this.close();
  }

  close(): void {
    try {
      this.writer?.close();
    } catch {
      // Nothing more to write through it either way.
    }
    this.writer = undefined;
  }
}

/**
 * The run folder itself, not its path: the device and inode of the save dir (through links). A copy
 * is another folder even where it is moved to the original's path or a link points at it; a run
 * folder moved whole is still itself.
 */
export function runFolderId(saveDir: string): string {
  const { dev, ino } = statSync(saveDir);
  return `${dev}:${ino}`;
}

/** Whether the settings a training run writes first into each of its files name `runFolder` (see training.ts). */
function writtenFor(events: readonly TfEvent[], runFolder: string): boolean {
  const settings = events.flatMap((e) => e.summary?.value ?? []).find((v) => v.tag === SETTINGS_TAG);
  const text = settings?.tensor?.stringVal?.[0];
  return (
    text !== undefined &&
    Buffer.from(text)
      .toString('utf8')
      .split('\n')
      .includes(markdownRow(['runFolder', runFolder]))
  );
}

/** Whether a resumed run that starts at `step` writes `event` again. */
const writtenAgain = (event: TfEvent, step: number) => {
  const at = event.step ?? 0;
  return at > step || (at === step && (event.summary?.value ?? []).some((v) => v.tag.startsWith('train/')));
};

/**
 * Rewrites `file` without the events a run resumed at `step` writes again (those past the step,
 * and the training scalars at it; the evaluation of a finished run at its last step stays, as its
 * checkpoint's model is the same). Untouched when nothing is to go, and when a record cannot be
 * read past: the bytes after it are kept, and the person is told in one line.
 * (TensorFlow marks restarts with SessionLog.START instead, which only its Python reader honours.)
 */
function dropFrom(file: string, step: number, warn: (line: string) => void, runFolder?: string): void {
  const { events, records, problem } = readEventFile(file);
  const twice = `its steps from ${step} on may show twice in TensorBoard`;
  if (problem) {
    warn(`${displayPath(file)}: ${problem}; left as it is (${twice})`);
    return;
  }
  if (runFolder !== undefined && !writtenFor(events, runFolder)) {
    warn(
      `${displayPath(file)}: written for another run folder (a copy of this one, or another run); left as it is (${twice})`,
    );
    return;
  }
  const keep = events.map((e) => !writtenAgain(e, step));
  if (keep.every(Boolean)) return;
  writeFileAtomic(file, Buffer.concat(records.filter((_, i) => keep[i]).map(frameRecord)));
}
