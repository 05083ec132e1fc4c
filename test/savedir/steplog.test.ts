/** steps.jsonl is read by the read policy: a FIFO or a device in its place is refused at once, never read forever. */
import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readStepLog, startStepLog } from '../../src/savedir/steplog';
import { STEP_LOG_FILE } from '../../src/run-files';
import { tempDir } from '../helpers/fixtures';
import { makeCharDevice, makeFifo } from '../helpers/special';

const tmp = tempDir();
after(tmp.cleanup);

describe('steps.jsonl: the read policy', () => {
  it('a FIFO is refused by name, for a report and for a resume', () => {
    const dir = join(tmp.dir, 'fifo');
    mkdirSync(dir);
    makeFifo(join(dir, STEP_LOG_FILE));
    assert.throws(() => readStepLog(dir), /steps\.jsonl: is a FIFO \(named pipe\), expected a regular file/);
    assert.throws(() => startStepLog(dir, 100), /steps\.jsonl: is a FIFO/);
  });

  it('a link to an endless device is refused', (t) => {
    const dir = join(tmp.dir, 'zero');
    mkdirSync(dir);
    const zero = makeCharDevice(join(tmp.dir, 'zero-device'), 5);
    if (!zero) return t.skip('not root: no device node made');
    symlinkSync(zero, join(dir, STEP_LOG_FILE));
    assert.throws(() => readStepLog(dir), /steps\.jsonl: is a character device, expected a regular file/);
  });
});
