/**
 * The write policy's rules in fsutil: nothing but a regular file is ever
 * replaced, and names that become paths stay inside their folder. Special
 * files are made by the test (mkfifo; mknod in a temp folder when root).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkReplaceable, resolveInside, writeFileAtomic } from '../src/fsutil';
import { tempDir } from './helpers/fixtures';
import { makeCharDevice, makeFifo } from './helpers/special';

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

describe('write policy: names stay inside their folder', () => {
  it('resolves names below the root and refuses ../, absolute paths and links out', () => {
    const root = join(tmp.dir, 'root');
    mkdirSync(join(root, 'a'), { recursive: true });
    assert.equal(resolveInside(root, 'a/b.h', 'x.h', 'the include folder'), join(root, 'a', 'b.h'));
    assert.throws(
      () => resolveInside(root, '../../tmp/pwned', 'x.h', 'the include folder'),
      /x\.h: path "\.\.\/\.\.\/tmp\/pwned" leaves the include folder; refused/,
    );
    assert.throws(() => resolveInside(root, '/etc/shadow', 'x.h', 'the include folder'), /leaves the include folder/);
    symlinkSync('/etc', join(root, 'etc'));
    assert.throws(
      () => resolveInside(root, 'etc/passwd', 'x.h', 'the include folder'),
      /"etc\/passwd" is a link to \/etc\/passwd, outside the include folder; refused/,
    );
  });
});
