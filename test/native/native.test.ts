/**
 * `mnist-deep native`: the wheel reader, and every failure that happens before
 * anything is built, through the real CLI with a private cache folder
 * (XDG_CACHE_HOME): one line saying what to do, and nothing left in the cache.
 * (The build itself runs in CI's native setup; failures after it would touch
 * the tfjs-node package every test here shares, so they are not provoked.)
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { headerClosure, metadataVersion } from '../../src/native/headers';
import { PINNED_WHEELS } from '../../src/native/layout';
import { extractEntry, listZip, readEntry } from '../../src/native/zip';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';
import { makeFifo } from '../helpers/special';
import { writeZip } from '../helpers/zip';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;

/** A fresh, empty cache folder for one CLI run. */
function cache(): string {
  const dir = join(tmp.dir, `cache-${++n}`);
  mkdirSync(dir);
  return dir;
}

/** Runs `native` with a private cache; asserts one error line and an empty cache afterwards. */
async function failsWith(args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const xdg = cache();
  const r = await runCli(['native', ...args], { env: { XDG_CACHE_HOME: xdg, ...env }, timeoutMs: 120_000 });
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('mnist-deep: error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const left = existsSync(join(xdg, 'mnist-deep')) ? readdirSync(join(xdg, 'mnist-deep')) : [];
  assert.deepEqual(left, [], 'nothing left in the cache');
}

describe('wheel reading', () => {
  it('lists and extracts stored and deflated entries, checking size and CRC', async () => {
    const zip = join(tmp.dir, 'a.zip');
    const big = Buffer.alloc(300_000, 7);
    writeZip(zip, [
      { name: 'tensorflow/include/tensorflow/c/c_api.h', data: '#include "tensorflow/c/tf_status.h"\n', deflate: true },
      { name: 'tensorflow/libbig.so', data: big, deflate: true },
      { name: 'plain.txt', data: 'stored' },
    ]);
    const entries = listZip(zip);
    assert.deepEqual(
      entries.map((e) => [e.name, e.size]),
      [
        ['tensorflow/include/tensorflow/c/c_api.h', 36],
        ['tensorflow/libbig.so', 300_000],
        ['plain.txt', 6],
      ],
    );
    assert.equal(readEntry(zip, entries[2], 1024).toString(), 'stored');
    const out = join(tmp.dir, 'big.so');
    let seen = 0;
    await extractEntry(zip, entries[1], out, (done) => (seen = done));
    assert.equal(seen, 300_000);
    assert.deepEqual(readFileSync(out), big);
    // A corrupted byte in the deflated data fails the CRC (or the inflate), never passes silently.
    const bytes = readFileSync(zip);
    bytes[entries[1].headerOffset + 30 + 'tensorflow/libbig.so'.length + 40] ^= 0xff;
    writeFileSync(zip, bytes);
    await assert.rejects(extractEntry(zip, entries[1], out));
  });

  it('stops inflating at the declared size, and refuses entries declaring too much', async () => {
    const zip = join(tmp.dir, 'bomb.zip');
    writeZip(zip, [{ name: 'bomb.h', data: Buffer.alloc(4 << 20), deflate: true }]);
    const [entry] = listZip(zip);
    assert.throws(() => readEntry(zip, entry, 1 << 20), /bomb\.h: 4194304 bytes, more than the 1048576 allowed/);
    // The central directory lies: a few bytes declared, megabytes inside.
    const lying = { ...entry, size: 100 };
    assert.throws(() => readEntry(zip, lying, 1 << 20), /bomb\.h: inflates to more than its declared 100 bytes/);
    await assert.rejects(extractEntry(zip, lying, join(tmp.dir, 'bomb.out')), /inflates to more than its declared 100/);
  });

  it('refuses a FIFO given as a wheel without waiting for a writer', () => {
    const fifo = makeFifo(join(tmp.dir, 'fifo.whl'));
    assert.throws(() => listZip(fifo), /is a FIFO \(named pipe\), expected a regular file/);
  });

  it('rejects a file that is not a zip', () => {
    const file = join(tmp.dir, 'not.zip');
    writeFileSync(file, 'hello');
    assert.throws(() => listZip(file), /not a zip file/);
  });

  it('takes only the headers the binding includes, following #include "..."', () => {
    const files: Record<string, string> = {
      'tensorflow/c/c_api.h': '#include "tensorflow/c/tf_status.h"\n#include <stdint.h>\n',
      'tensorflow/c/eager/c_api.h': '#include "tensorflow/c/c_api.h"\n',
      'tensorflow/c/tf_status.h': '// status\n',
      'tensorflow/core/platform/ctstring_internal.h': '',
      'tensorflow/core/unrelated.h': '',
    };
    assert.deepEqual([...headerClosure((h) => files[h]).keys()].sort(), [
      'tensorflow/c/c_api.h',
      'tensorflow/c/eager/c_api.h',
      'tensorflow/c/tf_status.h',
      'tensorflow/core/platform/ctstring_internal.h',
    ]);
    assert.throws(() => headerClosure((h) => (h.includes('eager') ? undefined : files[h])), /headers .* are missing/);
    assert.equal(metadataVersion('Metadata-Version: 2.1\nName: tensorflow-cpu\nVersion: 2.21.0\n'), '2.21.0');
  });
});

describe('native: failures before anything is built', () => {
  const pinned = PINNED_WHEELS['2.21.0'].file;

  it('a wheel named like the pinned one with other bytes: SHA-256 mismatch', async () => {
    const dir = join(tmp.dir, 'w1');
    mkdirSync(dir);
    writeFileSync(join(dir, pinned), 'not the wheel');
    await failsWith(['--wheel', join(dir, pinned)], /SHA-256 mismatch .*delete it and run again/);
  });

  it("a file that is not a wheel, and a wheel without TensorFlow's libraries", async () => {
    const bad = join(tmp.dir, 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl');
    writeFileSync(bad, 'garbage');
    await failsWith(['--wheel', bad], /not a readable wheel/);
    const empty = join(tmp.dir, 'tensorflow-2.21.0-cp310-cp310-manylinux_2_17_x86_64.whl');
    writeZip(empty, [{ name: 'tensorflow/__init__.py', data: '' }]);
    await failsWith(['--wheel', empty], /has no tensorflow\/libtensorflow_cc\.so\.2/);
    await failsWith(
      ['--wheel', join(tmp.dir, 'numpy-2.0.0-cp311-none-any.whl')],
      /not a tensorflow or tensorflow-cpu wheel/,
    );
  });

  it('an installed TensorFlow folder without its libraries or version', async () => {
    const dir = join(tmp.dir, 'site-packages', 'tensorflow');
    mkdirSync(dir, { recursive: true });
    await failsWith(['--tensorflow-dir', dir], /no tensorflow\*\.dist-info beside it .*--tf-version/);
    await failsWith(
      ['--tensorflow-dir', dir, '--tf-version', '2.21.0'],
      /libtensorflow_cc\.so\.2, libtensorflow_framework\.so\.2 not found there/,
    );
    await failsWith(['--tensorflow-dir', dir, '--wheel', 'x.whl'], /give one of them/);
  });

  it('no Python on the PATH: says to install it or pass --wheel', async () => {
    const empty = join(tmp.dir, 'empty-bin');
    mkdirSync(empty);
    await failsWith([], /no Python 3 found .*--wheel FILE/, { PATH: empty });
  });
});

describe('native: the write policy for what a wheel or folder holds', () => {
  /** A tensorflow-cpu wheel whose c_api.h includes `include`, and which also holds that path. */
  function craftedWheel(name: string, include: string): string {
    const file = join(tmp.dir, name, 'tensorflow_cpu-2.20.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    mkdirSync(join(tmp.dir, name));
    writeZip(file, [
      { name: 'tensorflow/libtensorflow_cc.so.2', data: 'lib' },
      { name: 'tensorflow/libtensorflow_framework.so.2', data: 'lib' },
      { name: 'tensorflow_cpu-2.20.0.dist-info/METADATA', data: 'Version: 2.20.0\n' },
      { name: 'tensorflow/include/tensorflow/c/c_api.h', data: `#include "${include}"\n` },
      { name: 'tensorflow/include/tensorflow/c/eager/c_api.h', data: '' },
      { name: 'tensorflow/include/tensorflow/core/platform/ctstring_internal.h', data: '' },
      { name: `tensorflow/include/${include}`, data: 'pwned\n' },
    ]);
    return file;
  }

  it('a header including "../../x" is refused, and nothing is written outside the cache', async () => {
    const target = join(tmp.dir, 'pwned');
    const wheel = craftedWheel('evil-wheel', `../../../../../../../..${target}`);
    await failsWith(['--wheel', wheel], /c_api\.h: #include ".*pwned" leads outside the include folder; refused/);
    assert.ok(!existsSync(target), `${target} was written`);
  });

  it('an installed folder whose header links out (to a file it must not read) is refused', async () => {
    const site = join(tmp.dir, 'evil-site');
    const dir = join(site, 'tensorflow');
    mkdirSync(join(dir, 'include', 'tensorflow', 'c', 'eager'), { recursive: true });
    mkdirSync(join(dir, 'include', 'tensorflow', 'core', 'platform'), { recursive: true });
    for (const l of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) writeFileSync(join(dir, l), 'lib');
    const secret = join(tmp.dir, 'secret.txt');
    writeFileSync(secret, 'secret');
    writeFileSync(join(dir, 'include', 'tensorflow', 'c', 'c_api.h'), '#include "tensorflow/c/secret.h"\n');
    writeFileSync(join(dir, 'include', 'tensorflow', 'c', 'eager', 'c_api.h'), '');
    writeFileSync(join(dir, 'include', 'tensorflow', 'core', 'platform', 'ctstring_internal.h'), '');
    symlinkSync(secret, join(dir, 'include', 'tensorflow', 'c', 'secret.h'));
    await failsWith(
      ['--tensorflow-dir', dir, '--tf-version', '2.20.0'],
      /tensorflow\/c\/secret\.h: "tensorflow\/c\/secret\.h" is a link to .*secret\.txt, outside its include folder; refused/,
    );
    assert.equal(readFileSync(secret, 'utf8'), 'secret');
  });

  it('--tf-version must be x.y.z, and a pinned one unless a wheel or folder is given', async () => {
    const victim = join(tmp.dir, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'keep'), 'keep');
    for (const bad of ['abc', '../../victim', '2.21', '2.21.0/..', ' 2.21.0']) {
      const xdg = cache();
      const r = await runCli(['native', '--tf-version', bad], { env: { XDG_CACHE_HOME: xdg } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--tf-version .*must be a version such as 2\.21\.0/);
    }
    assert.ok(existsSync(join(victim, 'keep')));
    await failsWith(['--tf-version', '2.20.0'], /--tf-version 2\.20\.0: no pinned wheel for it \(pinned: 2\.21\.0\)/);
  });

  it("a version read from a folder's METADATA that is not x.y.z is refused", async () => {
    const site = join(tmp.dir, 'meta-site');
    mkdirSync(join(site, 'tensorflow'), { recursive: true });
    mkdirSync(join(site, 'tensorflow-2.0.0.dist-info'));
    writeFileSync(join(site, 'tensorflow-2.0.0.dist-info', 'METADATA'), 'Version: ../../../victim\n');
    await failsWith(
      ['--tensorflow-dir', join(site, 'tensorflow')],
      /TensorFlow version "\.\.\/\.\.\/\.\.\/victim" is not of the form x\.y\.z/,
    );
  });
});
