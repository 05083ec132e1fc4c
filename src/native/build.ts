/**
 * @tensorflow/tfjs-node's binding, built against the cached TensorFlow
 * libraries: install the package without its install script (which downloads
 * libtensorflow from Google's storage), point its `deps` at the cache, compile
 * with npm's own node-gyp, then load it in a child process and check it.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { delimiter, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import {
  BINDING_DIR,
  BINDING_FILE,
  GRAPH_FILE,
  MARKER_FILE,
  NAPI_VERSION,
  QUIET_FILE,
  TFJS_NODE,
  cacheRoot,
  depsTarget,
  packageRoot,
  tfjsNodeDir,
} from './layout';
import { Say, run } from './libraries';

/**
 * The folder whose node_modules really holds @tensorflow/tfjs (symbolic links
 * resolved: npm replaces a linked node_modules with a folder of its own):
 * tfjs-node goes there, to share that tfjs.
 */
function installRoot(): string {
  try {
    const root = resolve(dirname(require.resolve('@tensorflow/tfjs/package.json', { paths: [__dirname] })), '../../..');
    if (existsSync(join(root, 'package.json'))) return root;
  } catch {
    // tfjs itself missing: fall back to this package's folder.
  }
  return packageRoot();
}

/** npm's own CLI script (to run npm and find its bundled node-gyp without relying on PATH order). */
function npmDir(): string | undefined {
  const fromEnv = process.env.npm_execpath;
  const candidates = fromEnv ? [fromEnv] : [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'npm'));
  for (const c of candidates) {
    try {
      let d = dirname(realpathSync(c));
      for (let i = 0; i < 3; i++, d = dirname(d))
        if (existsSync(join(d, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))) return d;
    } catch {
      // not there
    }
  }
  return undefined;
}

const tfjsVersion = () => (require('@tensorflow/tfjs/package.json') as { version: string }).version;

/** Installs tfjs-node (same version as tfjs) with `--ignore-scripts` when it is missing; returns its folder. */
export async function ensureTfjsNode(say: Say): Promise<{ dir: string; installed: boolean }> {
  const found = tfjsNodeDir();
  if (found) return { dir: found, installed: false };
  const override = process.env.MNIST_DEEP_TFJS_NODE_DIR;
  if (override)
    throw new UserError(
      `MNIST_DEEP_TFJS_NODE_DIR=${override}: no package.json there (it names a @tensorflow/tfjs-node package folder)`,
    );
  const npm = npmDir();
  if (!npm)
    throw new UserError(
      'npm not found (needed to install @tensorflow/tfjs-node): install npm, or run `npm install --ignore-scripts @tensorflow/tfjs-node` yourself',
    );
  const spec = `${TFJS_NODE}@${tfjsVersion()}`;
  const root = installRoot();
  say(`installing ${spec} without its install script (in ${root})…`);
  const r = await run(
    process.execPath,
    [join(npm, 'bin', 'npm-cli.js'), 'install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', spec],
    { cwd: root },
  );
  // Looked up by path: require's caches may still remember the package as missing.
  const dir = join(root, 'node_modules', TFJS_NODE);
  if (!r || r.code !== 0 || !existsSync(join(dir, 'package.json'))) {
    const why =
      (r?.output ?? '')
        .trim()
        .split('\n')
        .filter((l) => /err/i.test(l))
        .slice(-1)[0] ?? 'no output';
    throw new UserError(
      `npm could not install ${spec}: ${why.trim()} (offline? run \`npm install --ignore-scripts ${spec}\` when online)`,
    );
  }
  return { dir, installed: true };
}

/** `<pkg>/deps` → the libraries folder; refuses to replace a real folder (tfjs-node's own libtensorflow). */
export function linkDeps(pkg: string, libs: string): void {
  const deps = join(pkg, 'deps');
  if (existsSync(deps) && !lstatSync(deps).isSymbolicLink()) {
    throw new UserError(
      `${deps} is a folder of tfjs-node's own (libtensorflow from its install script); remove it to build against TensorFlow's wheel instead`,
    );
  }
  rmSync(deps, { force: true });
  symlinkSync(libs, deps);
}

/** What `setAside` moved: put back on failure, dropped on success. */
export interface PreviousBinding {
  restore(): void;
  discard(): void;
}

/**
 * Moves a working binding (and remembers the `deps` link) out of the way
 * before a rebuild, so that a failed build or check leaves the previous
 * backend exactly as it was.
 */
export function setAside(pkg: string): PreviousBinding {
  const aside = join(pkg, '.mnist-deep-previous');
  const binding = join(pkg, BINDING_DIR);
  const deps = depsTarget(pkg);
  rmSync(aside, { recursive: true, force: true });
  const had = existsSync(join(binding, BINDING_FILE));
  if (had) renameSync(binding, aside);
  return {
    restore() {
      removeBinding(pkg);
      rmSync(join(pkg, 'deps'), { force: true });
      if (deps) symlinkSync(deps, join(pkg, 'deps'));
      if (had) renameSync(aside, binding);
    },
    discard() {
      rmSync(aside, { recursive: true, force: true });
    },
  };
}

/** Takes out what a failed build left, so that tfjs-node does not load half set up. */
export function removeBinding(pkg: string): void {
  rmSync(join(pkg, BINDING_DIR), { recursive: true, force: true });
  rmSync(join(pkg, 'build'), { recursive: true, force: true });
}

/** Node's headers: a Node installed with its headers (e.g. /usr/include/node) serves offline. */
function nodeDir(): string | undefined {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

async function requireTool(cmd: string, args: string[], hint: string): Promise<void> {
  const r = await run(cmd, args);
  if (!r || r.code !== 0) throw new UserError(hint);
}

/** Runs npm's node-gyp `rebuild` in `cwd` with `extra` arguments; its output goes to `log`. */
async function nodeGyp(cwd: string, extra: string[], log: string, verbose: boolean): Promise<void> {
  const npm = npmDir();
  if (!npm) throw new UserError("npm's node-gyp not found (npm is needed to build the binding): install npm");
  const headers = nodeDir();
  const args = [
    join(npm, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    'rebuild',
    '--jobs=max',
    ...extra,
    ...(headers ? [`--nodedir=${headers}`] : []),
  ];
  mkdirSync(dirname(log), { recursive: true });
  const r = await run(process.execPath, args, { cwd, echo: verbose, log });
  if (!r || r.code !== 0) {
    const out = r?.output ?? '';
    if (!headers && /(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo)/i.test(out)) {
      throw new UserError(
        `node-gyp could not download Node.js ${process.version}'s headers (offline?): install them (e.g. apt-get install libnode-dev) or set npm_config_nodedir to a Node install with include/node; full log: ${log}`,
      );
    }
    throw new UserError(`building the binding failed; full log: ${log}`);
  }
}

async function checkTools(): Promise<void> {
  await requireTool(
    process.env.CXX ?? 'c++',
    ['--version'],
    'no C++ compiler found (c++): install one (e.g. apt-get install g++) and run again',
  );
  await requireTool('make', ['--version'], 'make not found: install it (e.g. apt-get install make) and run again');
}

/** Compiles tfjs-node's binding into `<pkg>/lib/napi-v8`, then our loader addon beside it; full log in `log`. */
export async function buildBinding(pkg: string, log: string, verbose: boolean, say: Say): Promise<void> {
  await checkTools();
  say(`building the binding with node-gyp (log: ${log})…`);
  const t0 = Date.now();
  await nodeGyp(
    pkg,
    ['--module_name=tfjs_binding', `--module_path=${join(pkg, BINDING_DIR)}`, `--napi_build_version=${NAPI_VERSION}`],
    log,
    verbose,
  );
  if (!existsSync(join(pkg, BINDING_DIR, BINDING_FILE)))
    throw new UserError(`node-gyp finished but ${join(pkg, BINDING_DIR, BINDING_FILE)} is missing; full log: ${log}`);
  await buildQuietLoader(pkg, log, verbose);
  say(`built ${join(BINDING_DIR, BINDING_FILE)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** Our small addon (addon/quiet.cc) that loads TensorFlow's libraries with their start-up notices silenced. */
async function buildQuietLoader(pkg: string, log: string, verbose: boolean): Promise<void> {
  await buildOwnAddon('addon', ['binding.gyp', 'quiet.cc'], 'mnist_deep_quiet', join(pkg, BINDING_DIR, QUIET_FILE), {
    log: log.replace(/\.log$/, '-quiet.log'),
    verbose,
  });
}

const GRAPH_SOURCES = ['binding.gyp', 'graph.cc'];
/** Beside the graph addon: the hash of the sources it was built from. */
const GRAPH_STAMP = 'mnist-deep-graph.sha256';

function graphSourceHash(): string {
  const h = createHash('sha256');
  for (const f of GRAPH_SOURCES) h.update(readFileSync(join(packageRoot(), 'addon', 'graph', f)));
  return h.digest('hex');
}

/** The graph addon is there and built from this package's sources (an update of mnist-deep may change them). */
export function graphAddonCurrent(pkg: string): boolean {
  try {
    return (
      existsSync(join(pkg, BINDING_DIR, GRAPH_FILE)) &&
      readFileSync(join(pkg, BINDING_DIR, GRAPH_STAMP), 'utf8').trim() === graphSourceHash()
    );
  } catch {
    return false;
  }
}

/**
 * The graph addon (addon/graph/graph.cc: TensorFlow's C API for graphs), built against the libraries
 * that `<pkg>/deps` links to. Returns why it could not be built (the tensor engine then trains).
 */
export async function buildGraphAddon(pkg: string, log: string, verbose: boolean): Promise<string | undefined> {
  const libs = depsTarget(pkg);
  if (!libs) return 'no TensorFlow libraries linked';
  const graphLog = log.replace(/\.log$/, '-graph.log');
  try {
    await buildOwnAddon('addon/graph', GRAPH_SOURCES, 'mnist_deep_graph', join(pkg, BINDING_DIR, GRAPH_FILE), {
      log: graphLog,
      verbose,
      gypi: `{'variables': {'tf_dir': ${JSON.stringify(libs)}}}\n`,
    });
    writeFileSync(join(pkg, BINDING_DIR, GRAPH_STAMP), graphSourceHash() + '\n');
    return undefined;
  } catch (err) {
    rmSync(join(pkg, BINDING_DIR, GRAPH_FILE), { force: true });
    return err instanceof Error ? err.message : String(err);
  }
}

/** Compiles one of our addons from `files` of `from` in a scratch folder and copies `target`.node to `dest`. */
async function buildOwnAddon(
  from: string,
  files: string[],
  target: string,
  dest: string,
  o: { log: string; verbose: boolean; gypi?: string },
): Promise<void> {
  const work = mkdtempSync(join(cacheRoot(), '.addon-build-'));
  try {
    for (const f of files) copyFileSync(join(packageRoot(), from, f), join(work, f));
    if (o.gypi !== undefined) writeFileSync(join(work, 'tensorflow.gypi'), o.gypi);
    await nodeGyp(work, [], o.log, o.verbose);
    // Renamed into place: a running process keeps the library it loaded (overwriting it in place could crash it).
    copyFileSync(join(work, 'build', 'Release', `${target}.node`), `${dest}.tmp`);
    renameSync(`${dest}.tmp`, dest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface Marker {
  libraries: string;
  tensorflow: string;
  tfjsNode: string;
  builtAt: string;
}

export function writeMarker(pkg: string, m: Marker): void {
  writeFileSync(join(pkg, BINDING_DIR, MARKER_FILE), JSON.stringify(m, null, 2) + '\n');
}

/** The binding is ours, built against `libs`, and its deps link points there. */
export function builtAgainst(pkg: string, libs: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(pkg, BINDING_DIR, MARKER_FILE), 'utf8')) as Partial<Marker>;
    return (
      m.libraries === libs &&
      depsTarget(pkg) === libs &&
      [BINDING_FILE, QUIET_FILE].every((f) => existsSync(join(pkg, BINDING_DIR, f)))
    );
  } catch {
    return false;
  }
}

export interface CheckResult {
  ok: boolean;
  tensorflow?: string;
  maxDiff?: number;
  error?: string;
}

/** Loads the binding in a child process (a bad library may crash it) and checks a convolution gradient against wasm. */
export async function checkBinding(verbose: boolean): Promise<CheckResult> {
  const env = { ...process.env };
  if (!verbose && env.TF_CPP_MIN_LOG_LEVEL === undefined) env.TF_CPP_MIN_LOG_LEVEL = '2';
  const r = await run(process.execPath, [join(__dirname, 'check.js')], { env, echo: verbose });
  if (!r) return { ok: false, error: 'could not start node' };
  const line = r.output
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) return { ok: false, error: `exit ${r.code}: ${r.output.trim().split('\n').pop() ?? ''}` };
  try {
    return JSON.parse(line) as CheckResult;
  } catch {
    return { ok: false, error: line };
  }
}
