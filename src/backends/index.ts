/** Backend selection: which TensorFlow.js backends load, and activating one. */
import { UserError, errorMessage } from '../errors';
import type { BackendChoice, BackendName } from './choices';
import { preferOneDnn } from './onednn';
import { loadTf } from './tf';
import { installWebGpu, probeWebGpu, webGpuForAuto } from './webgpu';

export { loadTf } from './tf';
export type { Tf } from './tf';

export { BACKEND_CHOICES } from './choices';
export type { BackendChoice, BackendName } from './choices';

export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

export const NATIVE_INSTALL_HINT =
  "set it up with `npx mnist-deep native` (builds tfjs-node against TensorFlow's pip wheel)";

let nativeVerbose = false;

/** With --verbose, TensorFlow's own C++ log lines (oneDNN, CPU features) are shown; else silenced. */
export function setNativeVerbose(verbose: boolean): void {
  nativeVerbose = verbose;
}

export const nativeVerboseOn = (): boolean => nativeVerbose;

export { tensorflowKernels } from './onednn';

export interface BackendStatus {
  name: BackendName;
  ok: boolean;
  /** Which package provides it, or why it cannot load. */
  detail: string;
  /** `auto` only: why each backend before this one was passed over. */
  passedOver?: string[];
}

/** `MNIST_DEEP_NATIVE=0`: neither `npm install` nor `auto` uses the native backend. */
export const nativeDisabled = (env: NodeJS.ProcessEnv = process.env): boolean => env.MNIST_DEEP_NATIVE === '0';

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}

function whyNotLoaded(pkg: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const msg = errorMessage(err);
  if (code === 'MODULE_NOT_FOUND' && msg.includes(`'${pkg}'`)) return `${pkg} is not installed`;
  if (msg.includes('tfjs_binding.node')) return `${pkg} has no native binding built`;
  return `${pkg} failed to load: ${firstLine(msg)}`;
}

let nativeStatus: BackendStatus | undefined;

/** Loads tfjs-node-gpu or tfjs-node, once; they register the `tensorflow` backend. */
function loadNative(): BackendStatus {
  if (nativeStatus) return nativeStatus;
  loadTf();
  preferOneDnn();
  // Read by TensorFlow when it first logs; only the user's own setting survives.
  if (!nativeVerbose) process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  // The start-up notices are INFO lines: hidden unless the user asked for INFO (level 0) or --verbose.
  if (!nativeVerbose && process.env.TF_CPP_MIN_LOG_LEVEL !== '0') {
    try {
      (require('../native/layout') as typeof import('../native/layout')).preloadQuietly();
    } catch {
      // tfjs-node's own loading below reports what is wrong.
    }
  }
  const reasons: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      require(pkg);
      nativeStatus = { name: 'tensorflow', ok: true, detail: pkg };
      return nativeStatus;
    } catch (err) {
      reasons.push(whyNotLoaded(pkg, err));
    }
  }
  nativeStatus = { name: 'tensorflow', ok: false, detail: reasons.join('; ') };
  return nativeStatus;
}

let wasmReady = false;

function loadWasmPackage(): void {
  if (wasmReady) return;
  loadTf();
  require('@tensorflow/tfjs-backend-wasm');
  // Our training kernels fill the gaps of the wasm backend (see wasm-kernels.ts).
  (require('./wasm-kernels') as typeof import('./wasm-kernels')).registerWasmTrainingKernels();
  wasmReady = true;
}

async function activate(name: BackendName): Promise<BackendStatus> {
  const tf = loadTf();
  try {
    if (name === 'tensorflow') {
      const native = loadNative();
      if (!native.ok) return native;
      (require('./native-kernels') as typeof import('./native-kernels')).registerNativeTrainingKernels();
    }
    if (name === 'webgpu') {
      const probe = probeWebGpu();
      if (!probe.ok) return { name, ok: false, detail: probe.detail };
      installWebGpu();
    }
    if (name === 'wasm') loadWasmPackage();
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) return { name, ok: false, detail: `tf.setBackend('${name}') failed` };
    return { name, ok: true, detail: detailFor(name) };
  } catch (err) {
    return { name, ok: false, detail: firstLine(errorMessage(err)) };
  }
}

/** TensorFlow's version as its C library reports it (the tensorflow backend must be active). */
export function nativeTfVersion(): string | undefined {
  const backend: unknown = loadTf().backend();
  if (typeof backend !== 'object' || backend === null || !('binding' in backend)) return undefined;
  const binding: unknown = backend.binding;
  if (typeof binding !== 'object' || binding === null || !('TF_Version' in binding)) return undefined;
  return typeof binding.TF_Version === 'string' ? binding.TF_Version : undefined;
}

function nativeDetail(): string {
  const pkg = nativeStatus?.detail ?? '@tensorflow/tfjs-node';
  const version = nativeTfVersion();
  const libs = (require('../native/layout') as typeof import('../native/layout')).nativeLibraries();
  const from = libs ? `, libraries from ${libs.manifest.source} in ${libs.dir}` : '';
  return `${pkg} (TensorFlow ${version ?? 'unknown version'}${from})`;
}

function detailFor(name: BackendName): string {
  if (name === 'tensorflow') return nativeDetail();
  if (name === 'webgpu') return probeWebGpu().detail;
  if (name === 'wasm') {
    const simd = loadTf().env().getBool('WASM_HAS_SIMD_SUPPORT');
    return `@tensorflow/tfjs-backend-wasm${simd ? ' (SIMD)' : ''} + mnist-deep training kernels`;
  }
  return '@tensorflow/tfjs-backend-cpu (pure JavaScript, slow for the CNN)';
}

const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Activates the requested backend and returns its status. `auto` takes the
 * first of native, webgpu (only where a GPU adapter is found), wasm, cpu that loads; a named backend that cannot load is a
 * UserError saying why.
 */
export async function useBackend(choice: BackendChoice): Promise<BackendStatus> {
  if (choice !== 'auto') {
    const status = await activate(choice);
    if (!status.ok) {
      const hint = choice === 'tensorflow' ? `; ${NATIVE_INSTALL_HINT}` : '';
      throw new UserError(`--backend ${choice}: cannot load: ${status.detail}${hint}`);
    }
    return status;
  }
  const failures: string[] = [];
  for (const name of AUTO_ORDER) {
    if (name === 'webgpu' && !webGpuForAuto()) {
      failures.push(`webgpu: ${probeWebGpu().ok ? 'a software adapter only' : probeWebGpu().detail}`);
      continue;
    }
    if (name === 'tensorflow' && nativeDisabled()) {
      failures.push('tensorflow: MNIST_DEEP_NATIVE=0');
      continue;
    }
    const status = await activate(name);
    if (status.ok) return { ...status, passedOver: failures };
    failures.push(`${name}: ${status.detail}`);
  }
  throw new UserError(`no TensorFlow.js backend could be loaded (${failures.join('; ')})`);
}

/**
 * Tries every backend (leaves `auto`'s choice active) for `info`. webgpu is
 * judged by its probe (a child process that gets an adapter and a device):
 * Dawn and libtensorflow loaded in one process can crash it at exit.
 */
export async function probeBackends(): Promise<{ statuses: BackendStatus[]; auto: BackendName | undefined }> {
  const statuses: BackendStatus[] = [];
  for (const name of AUTO_ORDER) {
    let status: BackendStatus;
    if (name !== 'webgpu') status = await activate(name);
    else status = { name, ok: probeWebGpu().ok, detail: probeWebGpu().detail };
    // What to do about it, for `info`'s reader.
    statuses.push(
      name === 'tensorflow' && !status.ok ? { ...status, detail: `${status.detail}; ${NATIVE_INSTALL_HINT}` } : status,
    );
  }
  const auto = statuses.find((s) => s.ok && (s.name !== 'webgpu' || webGpuForAuto()))?.name;
  if (auto) await activate(auto);
  return { statuses, auto };
}

export function tfVersion(): string {
  return loadTf().version.tfjs;
}
