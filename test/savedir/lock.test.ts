/** The save dir's lock file is read by the read policy: a FIFO or a link to a device is refused at once. */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSaveDir } from '../../src/savedir/prepare';
import { acquireLock } from '../../src/savedir/lock';
import { LOCK_FILE } from '../../src/run-files';
import { tempDir } from '../helpers/fixtures';
import { makeCharDevice, makeFifo } from '../helpers/special';

const tmp = tempDir();
after(tmp.cleanup);

describe('mnist-deep.lock: the read policy', () => {
  it('a FIFO in place of the lock is refused without hanging', () => {
    const dir = join(tmp.dir, 'fifo');
    mkdirSync(dir);
    makeFifo(join(dir, LOCK_FILE));
    assert.throws(
      () => acquireLock(dir, '--save-dir'),
      /mnist-deep\.lock is not an mnist-deep lock \(is a FIFO \(named pipe\), expected a regular file\)/,
    );
  });

  it('a lock linked to an endless device is refused without reading it', (t) => {
    const dir = join(tmp.dir, 'zero');
    mkdirSync(dir);
    const zero = makeCharDevice(join(tmp.dir, 'zero-device'), 5);
    if (!zero) return t.skip('not root: no device node made');
    symlinkSync(zero, join(dir, LOCK_FILE));
    assert.throws(() => acquireLock(dir, '--save-dir'), /not an mnist-deep lock \(is a character device/);
  });
});

describe('a stale lock whose PID now runs another program', () => {
  it('is taken over, saying what the PID runs now; a live run that wrote its lock is not', async () => {
    // A process that is alive, started after the lock below was written: the PID was given to it since.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'mnist-deep-lookalike'], {
      stdio: 'ignore',
    });
    try {
      await once(other, 'spawn');
      const dir = join(tmp.dir, 'reused');
      mkdirSync(dir);
      const hourAgo = new Date(Date.now() - 3600_000).toISOString();
      const lock = { pid: other.pid, host: hostname(), startedAt: hourAgo, command: 'mnist-deep train' };
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(lock));
      const save = openSaveDir(dir, { option: '--save-dir', resume: false, overwrite: false });
      try {
        assert.equal(save.notes.length, 1, save.notes.join('\n'));
        assert.match(
          save.notes[0],
          new RegExp(
            `took over .*from process ${other.pid} .*, which is no longer running \\(its PID now runs \`.*node -e setTimeout.* mnist-deep-lookalike\`\\)`,
          ),
        );
      } finally {
        save.release();
      }
      // This test process started before a lock written now: it is that lock's run, alive.
      const live = join(tmp.dir, 'live');
      mkdirSync(live);
      const mine = {
        pid: process.pid,
        host: hostname(),
        startedAt: new Date().toISOString(),
        command: 'mnist-deep train',
      };
      writeFileSync(join(live, LOCK_FILE), JSON.stringify(mine));
      assert.throws(() => acquireLock(live, '--save-dir'), /in use by another run, process \d+/);
      // --resume of that run: no "use another --save-dir", which makes no sense there.
      assert.throws(
        () => openSaveDir(live, { option: '--resume', resume: true, overwrite: false }),
        (err: Error) =>
          /^--resume \S+live: in use by another run, process \d+ .*; it is training that run now; wait for it to end$/.test(
            err.message,
          ),
      );
    } finally {
      other.kill();
    }
  });
});
