/**
 * Our version, read from package.json at run time so that it is typed once,
 * in the file npm reads.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFileOr } from './validate';

/** mnist-deep's own version, from package.json (two levels above dist/src). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    // Else the next layout.
    const version = readJsonFileOr(join(__dirname, rel), z.object({ version: z.string() }), 1 << 20)?.version;
    if (version !== undefined) return version;
  }
  return 'unknown';
}
