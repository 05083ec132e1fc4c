/**
 * One event file: `events.out.tfevents.<unix seconds>.<host>` in a run's folder, TFRecord-framed
 * Event protobufs starting with `file_version`. Each event is appended with one plain write
 * (no fsync): it is in the page cache, where a live TensorBoard reads it, at once, and a step
 * never waits for the disk. A failed write is cut back off, so the file always ends on a whole record.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { describeFsError } from '../fs/errors';
import { thisHost } from '../fs/process';
import { TfEvent, encodeEvent } from './proto';
import { frameRecord } from './tfrecord';

export const EVENT_FILE_PREFIX = 'events.out.tfevents.';
export const FILE_VERSION = 'brain.Event:2';
/** An event file's name, as a checkpoint may list it: no folder, no control character. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
export const EVENT_FILE_NAME_PATTERN = /^events\.out\.tfevents\.\d+\.[^/\\\u0000-\u001f\u007f]+$/;

/** TensorBoard's name for an event file begun at `seconds`; `suffix` tells two begun in the same second apart. */
export function eventFileName(seconds: number, suffix = ''): string {
  return `${EVENT_FILE_PREFIX}${seconds}.${hostInFileName(thisHost())}${suffix}`;
}

/**
 * The host name as a file name's part. Dots would read as more fields; TensorFlow keeps them, and
 * so do we. Anything else but letters, digits, '-' and '_' becomes '_': a host name is input
 * (sethostname takes '/' and control bytes).
 */
export const hostInFileName = (host: string): string => host.replace(/[^\w.-]/g, '_');

export class EventFileWriter {
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fd: number,
    private size: number,
  ) {}

  /** A new event file in `dir` (created if missing), its `file_version` event written. */
  static create(dir: string, now = Date.now()): EventFileWriter {
    const seconds = Math.floor(now / 1000);
    let file = join(dir, eventFileName(seconds));
    let fd: number | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      // Exclusive: never append to another writer's file (or through a link); one begun in the
      // same second gets the pid and a count added, as TensorFlow's own writer adds them.
      for (let k = 0; fd === undefined; k++) {
        file = join(dir, eventFileName(seconds, k ? `.${process.pid}.${k}` : ''));
        fd = openNew(file, k < 100);
      }
    } catch (err) {
      throw writeError(file, err);
    }
    const writer = new EventFileWriter(file, fd, 0);
    try {
      writer.append({ wallTime: now / 1000, fileVersion: FILE_VERSION });
    } catch (err) {
      writer.close();
      throw err;
    }
    return writer;
  }

  /** Appends one event; on failure, takes the partial record back off and throws a one-line UserError. */
  append(event: TfEvent): void {
    if (this.closed) throw new UserError(`${this.file}: already closed`);
    const record = frameRecord(encodeEvent(event));
    try {
      let off = 0;
      while (off < record.length) off += writeSync(this.fd, record, off, record.length - off);
    } catch (err) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The reader stops at a torn tail anyway; the write's own error is the one to tell.
      }
      throw writeError(this.file, err);
    }
    this.size += record.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Opens a file that must not exist yet; undefined when it does and `another` name may be tried. */
function openNew(file: string, another: boolean): number | undefined {
  try {
    return openSync(file, 'ax', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && another) return undefined;
    throw err;
  }
}

const writeError = (file: string, err: unknown) => new UserError(`${file}: cannot write: ${describeFsError(err)}`);
