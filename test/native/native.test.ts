/**
 * `mnist-deep native`: the wheel reader, and every failure that happens before
 * anything is built, through the real CLI with a private cache folder
 * (XDG_CACHE_HOME): one line saying what to do, and nothing left in the cache.
 * (The build itself runs in CI's native setup; failures after it would touch
 * the tfjs-node package every test here shares, so they are not provoked.)
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { headerClosure, metadataVersion } from '../../src/native/libraries';
import { PINNED_WHEELS } from '../../src/native/layout';
import { extractEntry, listZip, readEntry } from '../../src/native/zip';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';
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
    assert.equal(readEntry(zip, entries[2]).toString(), 'stored');
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
