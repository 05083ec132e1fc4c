/**
 * A run's events as one command writes them: a new event file in the run's folder, and the rule
 * that TensorBoard must never cost the run anything. Opening is checked (a bad folder is a
 * one-line error before any work); after that, the first failed write (a full disk, …) is said
 * once through `warn` and every later write is skipped, while training goes on.
 */
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { SummaryValue, TfEvent } from './proto';
import { eventFiles, readEventFile } from './reader';
import { frameRecord } from './tfrecord';
import { EventFileWriter } from './writer';

export interface RunEventsOptions {
  /** A resumed training session's first step: the folder's events from here on are dropped (see dropFrom). */
  startStep?: number;
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
  ) {}

  /** Opens a new event file in `dir`; throws a one-line UserError when that cannot be done. */
  static open(dir: string, opts: RunEventsOptions): RunEvents {
    const { startStep } = opts;
    const option = opts.option ?? '--logdir';
    try {
      if (startStep) for (const file of eventFiles(dir)) dropFrom(file, startStep);
      return new RunEvents(EventFileWriter.create(dir), opts.warn);
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

/** Whether a resumed run that starts at `step` writes `event` again. */
const writtenAgain = (event: TfEvent, step: number) => {
  const at = event.step ?? 0;
  return at > step || (at === step && (event.summary?.value ?? []).some((v) => v.tag.startsWith('train/')));
};

/**
 * Rewrites `file` without the events a run resumed at `step` writes again (those past the step,
 * and the training scalars at it; the evaluation of a finished run at its last step stays, as its
 * checkpoint's model is the same), and without a torn tail. Untouched when nothing is to go.
 * (TensorFlow marks restarts with SessionLog.START instead, which only its Python reader honours.)
 */
function dropFrom(file: string, step: number): void {
  const { events, records, problem } = readEventFile(file);
  const keep = events.map((e) => !writtenAgain(e, step));
  if (!problem && keep.every(Boolean)) return;
  writeFileAtomic(file, Buffer.concat(records.filter((_, i) => keep[i]).map(frameRecord)));
}
