/**
 * The one free-space check (src/fs/space.ts): it asks the file system of the
 * nearest existing folder when the path is not made yet, and refuses in the
 * caller's words.
 */
import { strict as assert } from 'node:assert';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UserError } from '../../src/errors';
import { nearestExisting } from '../../src/fs/paths';
import { freeBytes, requireFreeSpace } from '../../src/fs/space';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

describe('free space', () => {
  it('walks up to the nearest existing folder of a path not made yet', () => {
    const missing = join(tmp.dir, 'a', 'b', 'c');
    assert.equal(nearestExisting(missing), tmp.dir);
    const fs = statfsSync(tmp.dir);
    const free = freeBytes(missing);
    assert.ok(free > 0, `${free} bytes free`);
    assert.ok(Math.abs(free - fs.bavail * fs.bsize) < 64 << 20, 'the same file system as its folder');
  });

  it('refuses with the caller’s message when too little is free, and passes otherwise', () => {
    assert.throws(
      () => requireFreeSpace(tmp.dir, Number.MAX_SAFE_INTEGER, (free) => `only ${free} bytes here`),
      (err: unknown) => err instanceof UserError && /^only \d+ bytes here$/.test(err.message),
    );
    requireFreeSpace(join(tmp.dir, 'new'), 1, () => 'unreachable');
  });
});
