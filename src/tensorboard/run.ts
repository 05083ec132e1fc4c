/**
 * A run's events as one command writes them: a new event file in the run's folder, and the rule
 * that TensorBoard must never cost the run anything. Opening is checked (a bad folder is a
 * one-line error before any work); after that, the first failed write (a full disk, …) is said
 * once through `warn` and every later write is skipped, while training goes on.
 */
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fsutil';
import { SESSION_START, SummaryValue, TfEvent } from './proto';
import { eventFiles, readEventFile } from './reader';
import { frameRecord } from './tfrecord';
import { EventFileWriter } from './writer';

export interface RunEventsOptions {
  /** The step this command starts at: a resumed run drops what its folder holds from here on. */
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
    const startStep = opts.startStep ?? 0;
    const option = opts.option ?? '--logdir';
    try {
      if (startStep > 0) for (const file of eventFiles(dir)) dropFrom(file, startStep);
      const events = new RunEvents(EventFileWriter.create(dir), opts.warn);
      // A (re)start: TensorBoard's own reader drops any points it still holds from this step on.
      events.write(startStep, { sessionLog: { status: SESSION_START } });
      return events;
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
 * Rewrites `file` without its events from `step` on (a resumed run logs them again), and
 * without a torn tail; the file_version event stays. Untouched when there is nothing to drop.
 */
function dropFrom(file: string, step: number): void {
  const { events, records, problem } = readEventFile(file);
  const keep = events.map((e) => e.step === undefined || e.step < step);
  if (!problem && keep.every(Boolean)) return;
  writeFileAtomic(file, Buffer.concat(records.filter((_, i) => keep[i]).map(frameRecord)));
}
