/** The save dir's lock file is read by the read policy: a FIFO or a link to a device is refused at once. */
import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCK_FILE, acquireLock } from '../../src/savedir/lock';
import { tempDir } from '../helpers/fixtures';
import { makeCharDevice, makeFifo } from '../helpers/special';

const tmp = tempDir();
after(tmp.cleanup);

describe('mnist-deep.lock: the read policy', () => {
  it('a FIFO in place of the lock is refused without hanging', () => {
    const dir = join(tmp.dir, 'fifo');
    mkdirSync(dir);
    makeFifo(join(dir, LOCK_FILE));
    assert.throws(() => acquireLock(dir, '--save-dir'), /mnist-deep\.lock is not an mnist-deep lock/);
  });

  it('a lock linked to an endless device is refused without reading it', (t) => {
    const dir = join(tmp.dir, 'zero');
    mkdirSync(dir);
    const zero = makeCharDevice(join(tmp.dir, 'zero-device'), 5);
    if (!zero) return t.skip('not root: no device node made');
    symlinkSync(zero, join(dir, LOCK_FILE));
    assert.throws(() => acquireLock(dir, '--save-dir'), /mnist-deep\.lock is not an mnist-deep lock/);
  });
});
