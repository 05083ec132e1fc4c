/**
 * `mnist-deep native`: sets up the tensorflow backend (tfjs-node built against
 * the libraries of TensorFlow's pip wheel), or removes it (`--remove`).
 * Progress goes to stderr, the one-line result to stdout.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import { builtAgainst, checkBinding, linkDeps, removeBinding, setAside, writeMarker } from '../native/binding';
import { buildBinding, buildGraphAddon, graphAddonCurrent } from '../native/build';
import { BINDING_DIR, MARKER_FILE, cacheRoot, depsTarget, tfjsNodeDir } from '../native/layout';
import { ensureLibraries } from '../native/libraries';
import { ensureTfjsNode } from '../native/npm';
import { acquireLockWaiting } from '../savedir/lock';
import { formatDuration } from '../terminal/progress';
import { STOP_SIGNALS, StopSignal, exitCodeFor } from '../stop-signals';
import { commandLine } from '../terminal/command-line';
import { statusLine } from '../terminal/status';

export interface NativeOptions {
  wheel?: string;
  tensorflowDir?: string;
  tfVersion?: string;
  remove?: boolean;
  verbose?: boolean;
  /** How long to wait for another setup on the same cache before giving up (default LOCK_WAIT_S). */
  lockWaitSeconds?: number;
}

/** A setup takes a few minutes (the wheel's download, two compiles): a second one waits that long and more. */
const LOCK_WAIT_S = 15 * 60;

const say = (line: string) => statusLine().print(process.stderr, line);

/** Undo what a half-done build left if the user interrupts it (or closes the terminal). */
function onInterrupt(cleanup: () => void): () => void {
  const handler = (signal: StopSignal) => {
    cleanup();
    say(`interrupted; the previous setup (if any) is as it was`);
    process.exit(exitCodeFor(signal));
  };
  for (const signal of STOP_SIGNALS) process.once(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}

function unlinkDeps(pkg: string): void {
  if (depsTarget(pkg)) rmSync(join(pkg, 'deps'), { force: true });
}

export async function runNative(opts: NativeOptions): Promise<void> {
  if (opts.remove) return removeNative(opts);
  if (process.platform !== 'linux') {
    throw new UserError(
      `native: builds against TensorFlow's Linux wheel; on ${process.platform} install @tensorflow/tfjs-node the usual way (npm install @tensorflow/tfjs-node)`,
    );
  }
  mkdirSync(cacheRoot(), { recursive: true });
  // One setup at a time per cache: a second one waits (saying so) and then uses what the first put there.
  const wait = opts.lockWaitSeconds ?? LOCK_WAIT_S;
  const lock = await acquireLockWaiting(
    cacheRoot(),
    'native: the cache',
    `waited ${formatDuration(wait)}; when it has ended, run \`${commandLine('native')}\``,
    wait * 1000,
    (owner) =>
      say(
        `waiting for another native setup on this cache to finish (process ${owner.pid}, since ${owner.startedAt}; up to ${formatDuration(wait)})…`,
      ),
  );
  try {
    await setUp(opts);
  } finally {
    lock.release();
  }
}

async function setUp(opts: NativeOptions): Promise<void> {
  const verbose = Boolean(opts.verbose);
  const libs = await ensureLibraries({ ...opts, verbose }, say);
  const { dir: pkg } = await ensureTfjsNode(say);
  const tfjsNode = (require(join(pkg, 'package.json')) as { version: string }).version;
  const log = join(cacheRoot(), 'build.log');
  if (builtAgainst(pkg, libs.dir)) {
    const check = await checkBinding(verbose);
    // A setup from before the graph engine, or from older sources of it: (re)build its addon.
    if (check.ok && !graphAddonCurrent(pkg)) await graphAddon(pkg, log, verbose);
    if (check.ok)
      return ready(
        `already set up: TensorFlow ${check.tensorflow}`,
        libs.dir,
        libs.manifest.source,
        tfjsNode,
        check.maxDiff,
      );
    say(`the existing binding fails its check (${check.error}); rebuilding`);
  }
  // A failed build or check puts the previous binding back as it was (or leaves none, if there was none).
  const previous = setAside(pkg);
  const undo = () => previous.restore();
  const release = onInterrupt(undo);
  try {
    removeBinding(pkg);
    linkDeps(pkg, libs.dir);
    await buildBinding(pkg, log, verbose, say);
    await graphAddon(pkg, log, verbose);
    const check = await checkBinding(verbose);
    if (!check.ok)
      throw new UserError(
        `the built binding fails its check: ${check.error}; the previous setup is kept (build log: ${log})`,
      );
    writeMarker(pkg, {
      libraries: libs.dir,
      tensorflow: libs.manifest.tensorflow,
      tfjsNode,
      builtAt: new Date().toISOString(),
    });
    previous.discard();
    ready(`set up: TensorFlow ${check.tensorflow}`, libs.dir, libs.manifest.source, tfjsNode, check.maxDiff);
  } catch (err) {
    undo();
    throw err;
  } finally {
    release();
  }
}

/** Builds the graph addon; a failure is one line (training then uses the tensor engine), not the end of the setup. */
async function graphAddon(pkg: string, log: string, verbose: boolean): Promise<void> {
  say('building the graph engine (TensorFlow graphs from the C API)…');
  const why = await buildGraphAddon(pkg, log, verbose);
  if (why) say(`note: the graph engine is not available (${why}); tensorflow trains with the tensor engine`);
}

function ready(what: string, dir: string, source: string, tfjsNode: string, maxDiff?: number): void {
  statusLine().print(
    process.stdout,
    `native backend ${what} (libraries from ${source} in ${dir}), @tensorflow/tfjs-node ${tfjsNode} ` +
      `built against them; convolution gradients match wasm (max difference ${(maxDiff ?? 0).toExponential(1)}); ` +
      '--backend auto now uses tensorflow',
  );
}

/** Removes the binding, the deps link and the cached libraries (all versions, or --tf-version's). */
function removeNative(opts: NativeOptions): void {
  const removed: string[] = [];
  const pkg = tfjsNodeDir();
  if (pkg && (depsTarget(pkg) || existsSync(join(pkg, BINDING_DIR, MARKER_FILE)))) {
    removeBinding(pkg);
    unlinkDeps(pkg);
    removed.push(`the binding in ${pkg}`);
  }
  const root = cacheRoot();
  const ours = (f: string) =>
    opts.tfVersion
      ? f === `tensorflow-${opts.tfVersion}` || f.startsWith(`.tensorflow-${opts.tfVersion}.partial-`)
      : /^\.?tensorflow-/.test(f);
  for (const f of existsSync(root) ? readdirSync(root).filter(ours) : []) {
    rmSync(join(root, f), { recursive: true, force: true });
    if (!f.startsWith('.')) removed.push(join(root, f));
  }
  for (const log of ['build.log', 'build-quiet.log']) rmSync(join(root, log), { force: true });
  statusLine().print(
    process.stdout,
    removed.length
      ? `removed ${removed.join(', ')}; --backend auto now uses wasm`
      : 'nothing to remove: the native backend is not set up by mnist-deep',
  );
}
