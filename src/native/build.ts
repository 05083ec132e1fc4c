/**
 * Compiling with npm's own node-gyp: tfjs-node's binding against the cached
 * TensorFlow libraries (`<pkg>/deps`), and our two addons beside it (the quiet
 * loader and the graph addon, rebuilt when its sources change).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { Say, run } from './command';
import {
  BINDING_DIR,
  BINDING_FILE,
  GRAPH_FILE,
  NAPI_VERSION,
  QUIET_FILE,
  cacheRoot,
  depsTarget,
  packageRoot,
} from './layout';
import { npmDir } from './npm';

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
