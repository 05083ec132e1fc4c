/**
 * The write policy's first rule (src/fs/atomic.ts): nothing but a regular
 * file is ever replaced. Special files are made by the test (mkfifo; mknod in
 * a temp folder when root).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkReplaceable, tempNameFor, writeFileAtomic } from '../../src/fs/atomic';
import { tempDir } from '../helpers/fixtures';
import { makeCharDevice, makeFifo } from '../helpers/special';

const tmp = tempDir();
after(tmp.cleanup);
describe('write policy: only regular files are replaced', () => {
  it('refuses a FIFO, a folder and (as root) a device; replaces a regular file and a link', (t) => {
    const fifo = join(tmp.dir, 'fifo');
    makeFifo(fifo);
    assert.throws(() => writeFileAtomic(fifo, 'x'), /fifo: is a FIFO \(named pipe\); refusing to replace it/);
    assert.ok(statSync(fifo).isFIFO(), 'the FIFO is still there');
    const dir = join(tmp.dir, 'folder');
    mkdirSync(dir);
    assert.throws(() => checkReplaceable(dir), /folder: is a directory; refusing/);
    const dev = makeCharDevice(join(tmp.dir, 'null'));
    if (dev) {
      assert.throws(() => writeFileAtomic(dev, 'x'), /null: is a character device; refusing to replace it/);
      assert.ok(statSync(dev).isCharacterDevice(), 'the device is still there');
    } else t.diagnostic('not root: no device node made');
    const file = join(tmp.dir, 'file');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    assert.equal(readFileSync(file, 'utf8'), 'new');
    const target = join(tmp.dir, 'target');
    writeFileSync(target, 'kept');
    const link = join(tmp.dir, 'link');
    symlinkSync(target, link);
    writeFileAtomic(link, 'mine');
    assert.equal(readFileSync(target, 'utf8'), 'kept', 'a link is replaced, never written through');
  });
});

describe('write policy: temporary names stay within the name limit', () => {
  it('a legal 250-byte name (and a multi-byte one) is written; the temp name is at most 255 bytes', () => {
    for (const name of ['r'.repeat(245) + '.html', 'é'.repeat(125) + '.html']) {
      const file = join(tmp.dir, name);
      writeFileAtomic(file, 'report');
      assert.equal(readFileSync(file, 'utf8'), 'report');
      const temp = basename(tempNameFor(file));
      assert.ok(Buffer.byteLength(temp) <= 255, `${Buffer.byteLength(temp)} bytes`);
      assert.match(temp, /\.\d+\.[a-z0-9]{6}\.tmp$/, 'still a temp name stale-temp removal knows');
      assert.ok(!temp.includes('\ufffd'), 'cut at a whole character');
    }
  });
});
