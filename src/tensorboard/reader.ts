/** Reads event files back: for our tests, and to trim a run's files when it resumes. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { readRegularFile } from '../fs/read';
import { TfEvent, decodeEvent } from './proto';
import { parseRecords } from './tfrecord';
import { EVENT_FILE_PREFIX } from './writer';

/** An event file's size limit for reading it whole: far above any run's (a 20,000-step run writes about 1 MB). */
const MAX_EVENT_FILE = 1 << 30;

export interface EventFile {
  events: TfEvent[];
  /** The whole records' raw bytes, one per event, as read. */
  records: Buffer[];
  /** Why reading stopped before the end (a torn or corrupt tail), if it did. */
  problem?: string;
}

export function readEventFile(file: string): EventFile {
  const parsed = parseRecords(readRegularFile(file, { maxBytes: MAX_EVENT_FILE }));
  const events = parsed.records.map((r, i) => {
    try {
      return decodeEvent(r);
    } catch (err) {
      throw new UserError(`${file}: record ${i} is not an Event: ${errorMessage(err)}`);
    }
  });
  return { events, records: parsed.records, ...(parsed.problem && { problem: parsed.problem }) };
}

/** The event files in `dir`, in the order TensorBoard reads them (by name: by start time). */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(EVENT_FILE_PREFIX))
    .sort()
    .map((f) => join(dir, f));
}

/** Every event of every file in `dir`, in reading order. */
export function readEventDir(dir: string): TfEvent[] {
  return eventFiles(dir).flatMap((f) => readEventFile(f).events);
}

export interface ScalarPoint {
  step: number;
  value: number;
  wallTime: number;
}

/** Each scalar tag's points, in the order written. */
export function scalarSeries(events: TfEvent[]): Map<string, ScalarPoint[]> {
  const series = new Map<string, ScalarPoint[]>();
  for (const e of events) {
    for (const v of e.summary?.value ?? []) {
      if (v.simpleValue === undefined) continue;
      const points = series.get(v.tag) ?? [];
      points.push({ step: e.step ?? 0, value: v.simpleValue, wallTime: e.wallTime });
      series.set(v.tag, points);
    }
  }
  return series;
}
