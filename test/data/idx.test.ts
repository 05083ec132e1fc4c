import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { checkPair, parseImages, parseLabels, readImages, readLabels, requireRoomFor } from '../../src/data/idx';
import { UserError } from '../../src/errors';
import { imagesIdx, labelsIdx, tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);

function write(name: string, bytes: Buffer | string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Asserts a UserError whose one-line message names the file and matches `pattern`. */
function assertUserError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.ok(err.message.includes(file), `message should name ${file}: ${err.message}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

describe('IDX parser', () => {
  it('reads gzipped and raw image files identically', () => {
    const raw = imagesIdx(3, { seed: 5 });
    const a = readImages(write('a-images-idx3-ubyte.gz', gzipSync(raw)));
    const b = readImages(write('b-images-idx3-ubyte', raw));
    assert.equal(a.count, 3);
    assert.equal(a.rows, 28);
    assert.equal(a.pixels.length, 3 * 784);
    assert.deepEqual(a.pixels, b.pixels);
    assert.equal(a.pixels[0], raw[16]);
  });

  it('reads labels', () => {
    const l = readLabels(write('l.gz', gzipSync(labelsIdx([0, 9, 3]))));
    assert.equal(l.count, 3);
    assert.deepEqual(Array.from(l.labels), [0, 9, 3]);
  });

  it('rejects an empty file', () => {
    const f = write('empty.gz', Buffer.alloc(0));
    assertUserError(() => readImages(f), f, /empty/);
  });

  it('rejects a .gz file that is not gzip', () => {
    const f = write('html.gz', '<html>Not Found</html>');
    assertUserError(() => readImages(f), f, /not a gzip file/);
  });

  it('rejects truncated gzip data', () => {
    const gz = gzipSync(imagesIdx(4));
    const f = write('trunc.gz', gz.subarray(0, gz.length - 100));
    assertUserError(() => readImages(f), f, /corrupt or truncated gzip/);
  });

  it('rejects the wrong magic number', () => {
    const f = write('magic', imagesIdx(2, { magic: 2049 }));
    assertUserError(() => readImages(f), f, /bad magic number 2049, expected 2051/);
    const g = write('lmagic', labelsIdx([1], 2051));
    assertUserError(() => readLabels(g), g, /bad magic number 2051, expected 2049/);
  });

  it('rejects images that are not 28x28', () => {
    const f = write('dims', imagesIdx(2, { rows: 32, cols: 32 }));
    assertUserError(() => readImages(f), f, /32x32, expected 28x28/);
  });

  it('rejects a byte length that does not match the header', () => {
    const f = write('short', imagesIdx(3).subarray(0, 16 + 2 * 784));
    assertUserError(() => readImages(f), f, /does not match the header \(3 images need 2368 bytes\)/);
    const g = write('long', Buffer.concat([labelsIdx([1, 2]), Buffer.from([0])]));
    assertUserError(() => readLabels(g), g, /does not match the header/);
    const h = write('tiny', Buffer.from([0, 0, 8]));
    assertUserError(() => readImages(h), h, /too short for an IDX header/);
  });

  it('rejects a label above 9', () => {
    const f = write('bad-label', labelsIdx([1, 10, 2]));
    assertUserError(() => readLabels(f), f, /label 10 at index 1 is out of range 0-9/);
  });

  it('rejects image and label counts that differ', () => {
    const images = parseImages(imagesIdx(3), 'i');
    const labels = parseLabels(labelsIdx([1, 2]), 'l');
    assertUserError(() => checkPair(images, labels, 'i', 'l'), 'i', /3 images but l has 2 labels/);
  });

  it('rejects a directory, a missing file and an unreadable file', () => {
    const d = join(tmp.dir, 'dir.gz');
    mkdirSync(d);
    assertUserError(() => readImages(d), d, /is a directory/);
    const m = join(tmp.dir, 'missing.gz');
    assertUserError(() => readImages(m), m, /not found/);
  });

  it('rejects an unreadable file', { skip: process.getuid?.() === 0 ? 'root can read any file' : false }, () => {
    const f = write('secret', imagesIdx(1));
    chmodSync(f, 0o000);
    assertUserError(() => readImages(f), f, /permission denied/);
  });
});

describe('a file claiming more than memory can hold', () => {
  it('is refused by its header, before inflating, in one line naming the file', () => {
    assertUserError(
      () => requireRoomFor('claims.gz', 784_000_016, 1.7e9),
      'claims.gz',
      /its header describes 784000016 bytes of data \(about 3\.9 GB once read\), more than the 1\.7 GB of memory this process can have$/,
    );
    assert.doesNotThrow(() => requireRoomFor('small.gz', 7_840_016, 1.7e9));
  });

  const noPrlimit = spawnSync('prlimit', ['--version']).status === 0 ? false : 'needs prlimit (util-linux)';
  it('a small gzip file whose header claims 1,000,000 images, under a 2.5 GB limit', { skip: noPrlimit }, () => {
    const header = Buffer.alloc(16 + 784 * 10);
    [2051, 1_000_000, 28, 28].forEach((v, i) => header.writeUInt32BE(v, i * 4));
    const file = write('million-images.gz', gzipSync(header));
    const script = `try { require(${JSON.stringify(require.resolve('../../src/data/idx'))}).readImages(process.argv[1]) } catch (e) { console.log(e.message) }`;
    const r = spawnSync('prlimit', ['--as=2500000000', process.execPath, '-e', script, file], { encoding: 'utf8' });
    assert.match(
      r.stdout,
      /million-images\.gz: its header describes 784000016 bytes of data \(about 3\.9 GB once read\), more than the [\d.]+ GB of memory/,
    );
  });
});
