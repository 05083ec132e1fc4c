/**
 * TensorFlow's C libraries and headers into the per-user cache, from a wheel
 * (given, or fetched with pip) or an installed TensorFlow folder. Everything is
 * written to a temporary folder beside the final one and renamed into place at
 * the end, so an interrupted or failed run leaves nothing that looks usable.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { isInside, resolveInside } from '../fs/paths';
import { readTextFile } from '../fs/read';
import {
  DEFAULT_TF_VERSION,
  LIBRARIES,
  MANIFEST_FILE,
  Manifest,
  PINNED_WHEELS,
  cacheRoot,
  librariesDir,
  readManifest,
} from './layout';
import { ZipEntry, extractEntry, listZip, readEntry } from './zip';

export interface LibrarySource {
  wheel?: string;
  tensorflowDir?: string;
  tfVersion?: string;
  verbose?: boolean;
}

export type Say = (line: string) => void;

/** About what a fresh setup needs on disk: the wheel (~280 MB) while extracting, then ~860 MB of libraries. */
export const DISK_NEEDED = 1.2e9;

const MB = (n: number) => `${Math.round(n / 1e6)} MB`;
const INCLUDE_PREFIX = 'tensorflow/include/';
/** TensorFlow's largest header is about 1 MB; anything far larger is not a header. */
const MAX_HEADER_BYTES = 16 << 20;
/** The headers tfjs-node's binding includes; the rest of TensorFlow's 268 MB of headers is not needed. */
const ROOT_HEADERS = [
  'tensorflow/c/c_api.h',
  'tensorflow/c/eager/c_api.h',
  'tensorflow/core/platform/ctstring_internal.h',
];

/** Makes sure the libraries are in the cache; returns their folder and manifest. */
export async function ensureLibraries(
  src: LibrarySource,
  say: Say,
): Promise<{ dir: string; manifest: Manifest; fresh: boolean }> {
  if (src.wheel && src.tensorflowDir) throw new UserError('--wheel and --tensorflow-dir: give one of them');
  const version = checkVersion(
    src.tfVersion ??
      (src.wheel ? wheelVersion(src.wheel) : src.tensorflowDir ? folderVersion(src.tensorflowDir) : DEFAULT_TF_VERSION),
    src.tfVersion !== undefined ? '--tf-version' : (src.wheel ?? src.tensorflowDir ?? 'default'),
  );
  if (!src.wheel && !src.tensorflowDir && !PINNED_WHEELS[version])
    throw new UserError(
      `--tf-version ${version}: no pinned wheel for it (pinned: ${Object.keys(PINNED_WHEELS).join(', ')}); pass --wheel FILE or --tensorflow-dir DIR to use another version`,
    );
  // librariesDir(version) must lie inside the cache: it is removed and replaced below. Checked by name only
  // (the version is x.y.z): a link there (a cache moved to another disk) is used, and replacing it removes the link.
  const dir = librariesDir(version);
  if (!isInside(cacheRoot(), dir)) throw new UserError(`TensorFlow ${version}: ${dir} is outside the cache; refused`);
  const existing = readManifest(dir);
  if (existing) {
    say(`TensorFlow ${version} libraries: already in ${dir}`);
    return { dir, manifest: existing, fresh: false };
  }
  mkdirSync(cacheRoot(), { recursive: true });
  checkDiskSpace(cacheRoot(), src.tensorflowDir ? DISK_NEEDED - 3e8 : DISK_NEEDED);
  const work = mkdtempSync(join(cacheRoot(), `.tensorflow-${version}.partial-`));
  try {
    const staged = join(work, 'out');
    let manifest: Manifest;
    if (src.tensorflowDir) {
      manifest = copyFromFolder(src.tensorflowDir, staged, version, say);
    } else {
      const wheel = src.wheel ?? (await pipDownload(version, work, say, Boolean(src.verbose)));
      const sha256 = await checkWheelHash(wheel, say);
      manifest = await extractWheel(wheel, staged, version, sha256, say);
    }
    writeFileSync(join(staged, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staged, dir);
    return { dir, manifest, fresh: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A TensorFlow version as it becomes part of a folder name: x.y.z, digits only. */
export const VERSION_PATTERN = /^\d{1,4}\.\d{1,4}\.\d{1,4}$/;

/** The one check for every version, typed or read from a wheel's or folder's metadata. */
export function checkVersion(version: string, from: string): string {
  if (!VERSION_PATTERN.test(version))
    throw new UserError(`${from}: TensorFlow version "${version}" is not of the form x.y.z (digits only)`);
  return version;
}

function wheelVersion(file: string): string {
  const m = /^tensorflow(?:[_-]cpu)?-(\d+\.\d+\.\d+)-/.exec(basename(file));
  if (!m)
    throw new UserError(
      `--wheel ${file}: not a tensorflow or tensorflow-cpu wheel (expected a name like ${PINNED_WHEELS[DEFAULT_TF_VERSION].file})`,
    );
  return m[1];
}

/** An installed package's version, from the `tensorflow*.dist-info/METADATA` pip put beside it. */
function folderVersion(dir: string): string {
  const parent = dirname(resolve(dir));
  const infos = existsSync(parent)
    ? readdirSync(parent).filter((f) => /^tensorflow(?:[_-]cpu)?-[\d.]+\.dist-info$/.test(f))
    : [];
  for (const info of infos) {
    const version = metadataVersion(readTextFile(join(parent, info, 'METADATA'), MAX_HEADER_BYTES));
    if (version) return version;
  }
  throw new UserError(
    `--tensorflow-dir ${dir}: no tensorflow*.dist-info beside it to tell TensorFlow's version; give it with --tf-version`,
  );
}

export const metadataVersion = (text: string) => /^Version:\s*(\S+)/m.exec(text)?.[1];

export function checkDiskSpace(dir: string, needed: number): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new UserError(
      `not enough disk space in ${dir}: the native backend needs about ${(needed / 1e9).toFixed(1)} GB, ${(free / 1e9).toFixed(1)} GB free; free some space or set XDG_CACHE_HOME to a folder on another disk`,
    );
  }
}

/** Runs a command, capturing its output; ENOENT becomes `undefined`. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: boolean; log?: string } = {},
): Promise<{ code: number | null; output: string } | undefined> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString();
      if (opts.echo) process.stderr.write(d);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? done(undefined) : fail(err)));
    child.on('close', (code) => {
      // Atomically, by the write policy: a FIFO or device named like the log is refused, not written into.
      if (opts.log) writeFileAtomic(opts.log, output);
      done({ code, output });
    });
  });
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop()
    ?.trim() ?? '';

/** The first of python3, python that runs. */
export async function findPython(): Promise<string> {
  for (const cmd of ['python3', 'python']) {
    const r = await run(cmd, ['--version']);
    if (r && r.code === 0 && /Python 3/.test(r.output)) return cmd;
  }
  throw new UserError(
    'no Python 3 found (python3): install Python 3 with pip, or pass --wheel FILE (a tensorflow-cpu wheel downloaded elsewhere)',
  );
}

/** `python3 -m pip download` of the pinned wheel into `dir`; returns the wheel's path. */
async function pipDownload(version: string, dir: string, say: Say, verbose: boolean): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UserError(
      `no pinned TensorFlow wheel for ${process.platform}-${process.arch}: pass --wheel FILE (a Linux tensorflow-cpu wheel for this machine) or --tensorflow-dir DIR`,
    );
  }
  const python = await findPython();
  const pip = await run(python, ['-m', 'pip', '--version']);
  if (!pip || pip.code !== 0)
    throw new UserError(
      `${python} has no pip (${lastLine(pip?.output ?? '')}): install it (e.g. apt-get install python3-pip) or pass --wheel FILE`,
    );
  const spec = `tensorflow-cpu==${version}`;
  say(`downloading ${spec} with pip (about 275 MB)…`);
  const t0 = Date.now();
  const r = await run(
    python,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--python-version',
      '3.11',
      '--platform',
      'manylinux_2_27_x86_64',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      spec,
      '-d',
      dir,
    ],
    { echo: verbose },
  );
  const wheels = readdirSync(dir).filter((f) => f.endsWith('.whl'));
  if (!r || r.code !== 0 || wheels.length !== 1) {
    const why = lastLine(r?.output ?? '');
    if (/no matching distribution|could not find a version/i.test(r?.output ?? '')) {
      throw new UserError(
        `pip found no ${spec} wheel for linux x86-64 / Python 3.11 (${why}); check --tf-version, or pass --wheel FILE`,
      );
    }
    throw new UserError(
      `pip could not download ${spec}: ${why || 'no wheel saved'} (offline? pass --wheel FILE, a wheel downloaded elsewhere)`,
    );
  }
  say(`downloaded ${wheels[0]} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return join(dir, wheels[0]);
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A wheel named like a pinned one must have its hash; other wheels are reported with theirs. */
async function checkWheelHash(wheel: string, say: Say): Promise<string> {
  if (!existsSync(wheel) || !statSync(wheel).isFile()) throw new UserError(`--wheel ${wheel}: file not found`);
  const sha256 = await sha256Of(wheel);
  const pin = Object.values(PINNED_WHEELS).find((p) => p.file === basename(wheel));
  if (pin && pin.sha256 !== sha256) {
    throw new UserError(
      `${basename(wheel)}: SHA-256 mismatch (got ${sha256}, expected ${pin.sha256}); the file is corrupt or not the published wheel: delete it and run again`,
    );
  }
  say(
    `${basename(wheel)}: SHA-256 ${sha256}${pin ? ' (matches the pinned wheel)' : ' (not a pinned wheel: not verified)'}`,
  );
  return sha256;
}

/**
 * An `#include "…"` path as a name under the include folder, or a refusal:
 * headers come from a download or a folder the user names, so a path that
 * climbs out (`../../etc/shadow`) or is absolute is an attack, not a header.
 */
export function includeName(path: string, from: string): string {
  const name = posix.normalize(path);
  if (posix.isAbsolute(name) || name === '..' || name.startsWith('../') || name.includes('\0'))
    throw new UserError(`${from}: #include "${path}" leads outside the include folder; refused`);
  return name;
}

/**
 * The headers reachable from ROOT_HEADERS through `#include "..."` (paths
 * relative to the include folder), given a way to read one (undefined: absent).
 */
export function headerClosure(read: (path: string) => string | undefined): Map<string, string> {
  const todo = [...ROOT_HEADERS];
  const found = new Map<string, string>();
  while (todo.length) {
    const h = todo.pop() as string;
    if (found.has(h)) continue;
    const text = read(h);
    if (text === undefined) continue;
    found.set(h, text);
    for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) todo.push(includeName(m[1], h));
  }
  if (!ROOT_HEADERS.every((h) => found.has(h)))
    throw new Error(`TensorFlow's C API headers (${ROOT_HEADERS.join(', ')}) are missing`);
  return found;
}

function writeHeaders(headers: Map<string, string>, out: string): number {
  let bytes = 0;
  const root = join(out, 'include');
  for (const [h, text] of headers) {
    const dest = resolveInside(root, h, h, 'the include folder');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileAtomic(dest, text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}

async function extractWheel(wheel: string, out: string, version: string, sha256: string, say: Say): Promise<Manifest> {
  let entries: Map<string, ZipEntry>;
  try {
    entries = new Map(listZip(wheel).map((e) => [e.name, e]));
  } catch (err) {
    throw new UserError(`${wheel}: not a readable wheel (${errorMessage(err)})`);
  }
  const libs = LIBRARIES.map((l) => entries.get(`tensorflow/${l}`));
  if (libs.some((e) => !e))
    throw new UserError(
      `${basename(wheel)}: has no tensorflow/${LIBRARIES.join(' or tensorflow/')} (not a Linux TensorFlow 2 wheel?)`,
    );
  let headers: Map<string, string>;
  try {
    headers = headerClosure((h) => {
      const e = entries.get(INCLUDE_PREFIX + h);
      return e && readEntry(wheel, e, MAX_HEADER_BYTES).toString('utf8');
    });
  } catch (err) {
    throw new UserError(`${basename(wheel)}: ${errorMessage(err)}`);
  }
  let bytes = writeHeaders(headers, out);
  const metadata = [...entries.values()].find((e) => /^tensorflow(?:_cpu)?-[^/]+\.dist-info\/METADATA$/.test(e.name));
  const found = metadata && metadataVersion(readEntry(wheel, metadata, MAX_HEADER_BYTES).toString('utf8'));
  if (found !== version) throw new UserError(`${basename(wheel)}: holds TensorFlow ${found}, not ${version}`);
  mkdirSync(join(out, 'lib'), { recursive: true });
  for (const entry of libs as ZipEntry[]) {
    const name = basename(entry.name);
    await extractWithProgress(wheel, entry, join(out, 'lib', name), say);
    bytes += entry.size;
  }
  linkLibraryNames(join(out, 'lib'));
  say(`extracted ${LIBRARIES.join(', ')} and ${headers.size} headers (${MB(bytes)})`);
  return { tensorflow: version, source: basename(wheel), sha256, bytes, createdAt: new Date().toISOString() };
}

async function extractWithProgress(wheel: string, entry: ZipEntry, dest: string, say: Say): Promise<void> {
  const name = basename(entry.name);
  const tty = process.stderr.isTTY;
  let shown = -1;
  await extractEntry(wheel, entry, dest, (done) => {
    const pct = Math.floor((100 * done) / entry.size);
    if (tty && pct !== shown && pct % 5 === 0) {
      shown = pct;
      process.stderr.write(`\rextracting ${name} (${MB(entry.size)}): ${pct}%`);
    }
  });
  if (tty) process.stderr.write('\r\x1b[K');
  else say(`extracted ${name} (${MB(entry.size)})`);
}

/**
 * The names tfjs-node's binding.gyp links (`-ltensorflow -ltensorflow_framework`)
 * and the soname the built binding records (`libtensorflow_cc.so.2`).
 */
function linkLibraryNames(lib: string): void {
  for (const [link, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow.so.2', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
  ]) {
    symlinkSync(target, join(lib, link));
  }
}

/** An installed TensorFlow package folder (…/site-packages/tensorflow): copy its two libraries and the headers needed. */
function copyFromFolder(dir: string, out: string, version: string, say: Say): Manifest {
  const missing = LIBRARIES.filter((l) => !existsSync(join(dir, l)));
  if (missing.length)
    throw new UserError(
      `--tensorflow-dir ${dir}: ${missing.join(', ')} not found there (give the installed tensorflow package folder)`,
    );
  mkdirSync(join(out, 'lib'), { recursive: true });
  let bytes = 0;
  for (const l of LIBRARIES) {
    say(`copying ${l} (${MB(statSync(join(dir, l)).size)})…`);
    copyFileSync(join(dir, l), join(out, 'lib', l));
    bytes += statSync(join(dir, l)).size;
  }
  const inc = join(dir, 'include');
  try {
    bytes += writeHeaders(
      headerClosure((h) => {
        const file = resolveInside(inc, h, h, 'its include folder');
        return existsSync(file) ? readTextFile(file, MAX_HEADER_BYTES) : undefined;
      }),
      out,
    );
  } catch (err) {
    throw new UserError(`--tensorflow-dir ${dir}: ${errorMessage(err)}`);
  }
  linkLibraryNames(join(out, 'lib'));
  return { tensorflow: version, source: dir, bytes, createdAt: new Date().toISOString() };
}
