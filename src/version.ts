/**
 * Our version, read from package.json at run time so that it is typed once,
 * in the file npm reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** mnist-deep's own version, from package.json (two levels above dist/src). */
export function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}
