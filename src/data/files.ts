import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { DATASETS, DatasetName, DatasetSpec, FileRole } from './datasets';
import { IdxImages, IdxLabels, checkPair, readImages, readLabels } from './idx';

export interface LocateOptions {
  /** `--data-dir`: holds the four files directly. */
  dataDir?: string;
  /** `MNIST_DEEP_DATA_DIR`: holds one folder per data set. */
  envDataRoot?: string;
  cwd?: string;
  /** Debian's read-only location; overridable for tests. */
  systemRoot?: string;
}

export const SYSTEM_DATA_ROOT = '/usr/share/datasets';

/** Directories searched for a data set's files, in order. */
export function candidateDirs(dataset: DatasetName, opts: LocateOptions): string[] {
  const cwd = opts.cwd ?? process.cwd();
  const dirs: string[] = [];
  if (opts.dataDir) dirs.push(resolve(cwd, opts.dataDir));
  if (opts.envDataRoot) dirs.push(resolve(cwd, opts.envDataRoot, dataset));
  dirs.push(resolve(cwd, 'data', dataset));
  dirs.push(join(opts.systemRoot ?? SYSTEM_DATA_ROOT, dataset));
  return dirs;
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

/** The first candidate directory that holds all four files. */
export function locate(dataset: DatasetName, opts: LocateOptions): { dir: string; files: FoundFiles } | undefined {
  const spec = DATASETS[dataset];
  for (const dir of candidateDirs(dataset, opts)) {
    const files = findAll(spec, dir);
    if (files) return { dir, files };
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
  files: FoundFiles;
  train: RawSplit;
  test: RawSplit;
  /** Informational findings, e.g. checksums that differ from the canonical files. */
  notes: string[];
}

function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Notes for `.gz` files whose bytes differ from the canonical ones (allowed: structure is what counts). */
export function checksumNotes(spec: DatasetSpec, files: FoundFiles): string[] {
  const notes: string[] = [];
  for (const f of spec.files) {
    const path = files[f.role];
    if (!path.endsWith('.gz') || statSync(path).isDirectory()) continue;
    if (sha256Of(path) !== f.sha256) {
      notes.push(`${path}: SHA-256 differs from the canonical file (accepted: its IDX structure is valid)`);
    }
  }
  return notes;
}

/** Parses and validates the four files found in `dir`. */
export function readDataset(name: DatasetName, dir: string, files: FoundFiles): RawDataset {
  const split = (imagesFile: string, labelsFile: string): RawSplit => {
    const images = readImages(imagesFile);
    const labels = readLabels(labelsFile);
    checkPair(images, labels, imagesFile, labelsFile);
    return { images, labels };
  };
  const train = split(files.trainImages, files.trainLabels);
  const test = split(files.testImages, files.testLabels);
  return { name, dir, files, train, test, notes: checksumNotes(DATASETS[name], files) };
}

/** Locates and reads a data set, or explains where it was looked for. */
export function loadRawDataset(name: DatasetName, opts: LocateOptions): RawDataset {
  const found = locate(name, opts);
  if (!found) {
    throw new UserError(
      `${name}: data files not found in ${candidateDirs(name, opts).join(', ')}; run \`mnist-deep download --dataset ${name}\``,
    );
  }
  return readDataset(name, found.dir, found.files);
}

export function locateOptionsFromEnv(dataDir?: string): LocateOptions {
  return { dataDir, envDataRoot: process.env.MNIST_DEEP_DATA_DIR || undefined };
}
