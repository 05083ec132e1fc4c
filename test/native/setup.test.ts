/**
 * `mnist-deep native` past the libraries: build failures leave nothing
 * half-installed, and `--remove` undoes a setup. Each test works on its own
 * copy of the tfjs-node package (MNIST_DEEP_TFJS_NODE_DIR) and its own cache
 * (XDG_CACHE_HOME), never on the installed one. The build tests need the
 * libraries `native` put in the user's cache, and skip saying so without them.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { BINDING_DIR, BINDING_FILE, MARKER_FILE, nativeLibraries, tfjsNodeDir } from '../../src/native/layout';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
let n = 0;

const installed = tfjsNodeDir();
const libraries = nativeLibraries();
const missing =
  !installed || !libraries
    ? 'native backend not set up here (`npx mnist-deep native`): no tfjs-node package or cached libraries to build from'
    : undefined;

/** A private cache whose tensorflow-<v> links to the real libraries, and a copy of tfjs-node's sources. */
function sandbox(): { xdg: string; pkg: string; env: NodeJS.ProcessEnv } {
  const root = join(tmp.dir, `s${++n}`);
  const xdg = join(root, 'cache');
  mkdirSync(join(xdg, 'mnist-deep'), { recursive: true });
  const pkg = join(root, 'node_modules', '@tensorflow', 'tfjs-node');
  if (installed && libraries) {
    symlinkSync(libraries.dir, join(xdg, 'mnist-deep', `tensorflow-${libraries.manifest.tensorflow}`));
    const skip = new Set(['lib', 'deps', 'build']);
    cpSync(installed, pkg, { recursive: true, filter: (src) => !skip.has(relative(installed, src).split('/')[0]) });
  }
  return { xdg, pkg, env: { XDG_CACHE_HOME: xdg, MNIST_DEEP_TFJS_NODE_DIR: pkg } };
}

function assertNothingLeft(pkg: string): void {
  for (const f of ['deps', 'build', BINDING_DIR])
    assert.ok(!existsSync(join(pkg, f)), `${f} left behind in the tfjs-node copy`);
}

const skipped = (t: TestContext) => (missing ? (t.skip(missing), true) : false);

describe('native: build failures leave nothing half-installed', () => {
  it('no C++ compiler: one line saying what to install', async (t) => {
    if (skipped(t)) return;
    const s = sandbox();
    const r = await runCli(['native'], { env: { ...s.env, CXX: join(tmp.dir, 'no-such-compiler') } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /mnist-deep: error: no C\+\+ compiler found .*apt-get install g\+\+/);
    assertNothingLeft(s.pkg);
  });

  it('a build error names its full log, and the half-built binding is removed', async (t) => {
    if (skipped(t)) return;
    const s = sandbox();
    writeFileSync(join(s.pkg, 'binding', 'tfjs_binding.cc'), 'this is not C++;\n');
    const r = await runCli(['native'], { env: s.env, timeoutMs: 300_000 });
    assert.equal(r.code, 1, r.stderr);
    const m = /mnist-deep: error: building the binding failed; full log: (\S+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.match(readFileSync(m[1], 'utf8'), /tfjs_binding\.cc.*error/);
    assertNothingLeft(s.pkg);
  });
});

describe('native: a failed rebuild keeps the previous setup', () => {
  it('puts the previous binding, marker and deps link back exactly as they were', async (t) => {
    if (skipped(t)) return;
    const s = sandbox();
    // A previous setup, built against other libraries: native rebuilds, and the rebuild fails.
    const older = join(s.xdg, 'mnist-deep', 'tensorflow-2.20.0');
    mkdirSync(join(older, 'lib'), { recursive: true });
    mkdirSync(join(s.pkg, BINDING_DIR), { recursive: true });
    const files = { [BINDING_FILE]: 'the previous binding', [MARKER_FILE]: JSON.stringify({ libraries: older }) };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(s.pkg, BINDING_DIR, f), text);
    symlinkSync(older, join(s.pkg, 'deps'));
    writeFileSync(join(s.pkg, 'binding', 'tfjs_binding.cc'), 'this is not C++;\n');
    const r = await runCli(['native'], { env: s.env, timeoutMs: 300_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /mnist-deep: error: building the binding failed/);
    for (const [f, text] of Object.entries(files))
      assert.equal(readFileSync(join(s.pkg, BINDING_DIR, f), 'utf8'), text);
    assert.equal(readlinkSync(join(s.pkg, 'deps')), older);
    assert.ok(!existsSync(join(s.pkg, '.mnist-deep-previous')), 'nothing left aside');
  });
});

describe('native --remove', () => {
  it('removes the binding, the deps link and the cached libraries, then has nothing to remove', async () => {
    const s = sandbox();
    const libs = join(s.xdg, 'mnist-deep', 'tensorflow-9.9.9');
    mkdirSync(join(libs, 'lib'), { recursive: true });
    mkdirSync(join(s.pkg, BINDING_DIR), { recursive: true });
    writeFileSync(join(s.pkg, 'package.json'), '{"name":"@tensorflow/tfjs-node","version":"4.22.0"}');
    writeFileSync(join(s.pkg, BINDING_DIR, BINDING_FILE), '');
    writeFileSync(join(s.pkg, BINDING_DIR, MARKER_FILE), '{}');
    symlinkSync(libs, join(s.pkg, 'deps'));
    const r = await runCli(['native', '--remove'], { env: s.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed the binding in .*tensorflow-9\.9\.9; --backend auto now uses wasm\n$/);
    assertNothingLeft(s.pkg);
    assert.ok(!existsSync(libs));
    const again = await runCli(['native', '--remove'], { env: s.env });
    assert.equal(again.stdout, 'nothing to remove: the native backend is not set up by mnist-deep\n');
  });
});

describe('native: two setups on one cache', () => {
  it('the second waits for the first, saying so, then uses the libraries the first put in the cache', async (t) => {
    if (skipped(t)) return;
    const s = sandbox();
    const cache = join(s.xdg, 'mnist-deep');
    const link = join(cache, `tensorflow-${libraries!.manifest.tensorflow}`);
    rmSync(link);
    // The first setup: a live process holding the cache's lock; its "build" is the libraries, put in after a moment.
    const lockModule = join(__dirname, '../../src/savedir/lock.js');
    const first = spawn(
      process.execPath,
      [
        '-e',
        `const lock = require(${JSON.stringify(lockModule)}).acquireLock(process.argv[1], 'native: the cache');
         console.log('locked');
         setTimeout(() => { require('fs').symlinkSync(process.argv[2], process.argv[3]); lock.release(); }, 2000);`,
        cache,
        libraries!.dir,
        link,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => first.stdout.once('data', resolve));
    // No compiler: the second stops at the build, past the libraries (a full build takes minutes).
    const r = await runCli(['native'], { env: { ...s.env, CXX: join(tmp.dir, 'no-such-compiler') } });
    assert.match(
      r.stderr,
      new RegExp(`waiting for another native setup on this cache to finish \\(process ${first.pid}, `),
    );
    assert.match(r.stderr, /libraries: already in /);
    assert.doesNotMatch(r.stderr, /pip|download/i);
    assert.match(r.stderr, /no C\+\+ compiler found/);
  });
});
