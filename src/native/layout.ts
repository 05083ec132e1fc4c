/**
 * Where the native backend's pieces live: TensorFlow's libraries and headers in
 * a per-user cache (shared by every clone), and @tensorflow/tfjs-node's package
 * folder, whose `deps` link points into that cache and whose
 * `lib/napi-v8/tfjs_binding.node` we build. Read-only helpers, used by `info`
 * and the backend loader as well as by `native`.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { readJsonFileOr } from '../validate';

export const TFJS_NODE = '@tensorflow/tfjs-node';

/** Pinned wheels: the libraries do not depend on Python's version, so one cp311 wheel serves every user. */
export const PINNED_WHEELS: Readonly<Record<string, { file: string; sha256: string }>> = {
  '2.21.0': {
    file: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
    sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  },
};
export const DEFAULT_TF_VERSION = '2.21.0';

/** The two libraries that together export TensorFlow's C API, as named inside the wheel's `tensorflow/` folder. */
export const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'] as const;

/** tfjs-node's JavaScript looks for its binding here on every Node version we support (N-API 8). */
export const NAPI_VERSION = 8;
export const BINDING_DIR = `lib/napi-v${NAPI_VERSION}`;
export const BINDING_FILE = 'tfjs_binding.node';
/** Written next to the binding we built: which libraries it was built against. */
export const MARKER_FILE = 'mnist-deep-native.json';
export const MANIFEST_FILE = 'manifest.json';
/** Our loader addon (addon/quiet.cc), built beside the binding. */
export const QUIET_FILE = 'mnist-deep-quiet.node';
/** Our graph addon (addon/graph/graph.cc: TensorFlow's C API for graphs), built beside the binding. */
export const GRAPH_FILE = 'mnist-deep-graph.node';

/** `$XDG_CACHE_HOME/mnist-deep`, else `~/.cache/mnist-deep`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'mnist-deep');
}

export const librariesDir = (version: string, env?: NodeJS.ProcessEnv) => join(cacheRoot(env), `tensorflow-${version}`);

/** What a libraries folder holds and where it came from. */
export interface Manifest {
  tensorflow: string;
  /** The wheel's file name, or the TensorFlow folder it was copied from. */
  source: string;
  sha256?: string;
  bytes: number;
  createdAt: string;
}

const MANIFEST = z.object({
  tensorflow: z.string(),
  source: z.string(),
  sha256: z.string().optional(),
  bytes: z.number(),
  // Not needed to use the setup: a manifest without it still stands.
  createdAt: z.string().catch(''),
});

export function readManifest(dir: string): Manifest | undefined {
  // A manifest that does not fit is an older or broken setup: set up again.
  const m = readJsonFileOr(join(dir, MANIFEST_FILE), MANIFEST, 1 << 20);
  if (!m || !LIBRARIES.every((l) => existsSync(join(dir, 'lib', l)))) return undefined;
  return m;
}

/** This package's root (dist/src/native → root). */
export const packageRoot = () => resolve(__dirname, '../../..');

/**
 * The installed tfjs-node package folder, as `require` would find it from here
 * (or `$MNIST_DEEP_TFJS_NODE_DIR`, to set up another copy); undefined when not installed.
 */
export function tfjsNodeDir(): string | undefined {
  const override = process.env.MNIST_DEEP_TFJS_NODE_DIR;
  if (override) return existsSync(join(override, 'package.json')) ? resolve(override) : undefined;
  return loadableTfjsNodeDir();
}

/** The tfjs-node package `require('@tensorflow/tfjs-node')` loads. */
function loadableTfjsNodeDir(): string | undefined {
  try {
    return dirname(require.resolve(`${TFJS_NODE}/package.json`, { paths: [__dirname] }));
  } catch {
    return undefined;
  }
}

/** Where tfjs-node's `deps` link points, if it is our link. */
export function depsTarget(pkgDir: string): string | undefined {
  const deps = join(pkgDir, 'deps');
  try {
    return lstatSync(deps).isSymbolicLink() ? resolve(pkgDir, readlinkSync(deps)) : undefined;
  } catch {
    return undefined;
  }
}

/** The graph addon `native` built, if there is one (it is loaded only with the tensorflow backend). */
export function graphAddonPath(): string | undefined {
  const pkg = loadableTfjsNodeDir();
  const file = pkg && join(pkg, BINDING_DIR, GRAPH_FILE);
  return file && existsSync(file) ? file : undefined;
}

/** Where tensorflow's libraries come from, for `info`: undefined when `native` did not set them up. */
export function nativeLibraries(): { dir: string; manifest: Manifest } | undefined {
  const pkg = loadableTfjsNodeDir();
  const dir = pkg && depsTarget(pkg);
  const manifest = dir && readManifest(dir);
  return dir && manifest ? { dir, manifest } : undefined;
}

/**
 * Loads TensorFlow's libraries for tfjs-node's binding with stderr silenced
 * (their start-up notices ignore TF_CPP_MIN_LOG_LEVEL), when `native` built
 * our loader addon and the libraries are ours. A no-op otherwise.
 */
export function preloadQuietly(): void {
  const pkg = loadableTfjsNodeDir();
  const libs = pkg && depsTarget(pkg);
  const loader = pkg && join(pkg, BINDING_DIR, QUIET_FILE);
  if (!libs || !loader || !existsSync(loader)) return;
  const addon = require(loader) as { load(paths: string[]): void };
  addon.load(['libtensorflow_framework.so.2', 'libtensorflow_cc.so.2'].map((l) => join(libs, 'lib', l)));
}
