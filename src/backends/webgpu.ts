/**
 * The `webgpu` backend: TF.js's WebGPU kernels on Dawn, Chromium's WebGPU
 * implementation, which the optional npm package `webgpu` ships prebuilt
 * (`dist/<platform>-<arch>/dawn.node`). Dawn reaches the GPU through Vulkan on
 * Linux (the Vulkan loader `libvulkan.so.1` and a driver with Vulkan support),
 * Metal on macOS and D3D12 on Windows.
 *
 * MNIST_DEEP_WEBGPU_SOFTWARE=1 selects Dawn's OpenGL ES backend in WebGPU's
 * compatibility mode instead, which runs on Mesa's software renderer (llvmpipe)
 * where there is no GPU: slow, and never chosen by `--backend auto`, but the
 * same WebGPU, WGSL and TF.js kernels, so tests can run them on any Linux.
 *
 * Whether there is an adapter is asked in a child process: Dawn writes its
 * reasons for finding none (no loader, no driver, a missing device feature)
 * straight to the process's stderr, so the child's stderr is where we read
 * them, and the user's terminal stays clean.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { readJsonFileOr } from '../validate';

/** What Dawn tells of the adapter it picked (WebGPU's GPUAdapterInfo). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

export type WebGpuProbe =
  | { ok: true; adapter: GpuAdapterInfo; software: boolean; detail: string }
  | { ok: false; reason: 'package' | 'platform' | 'vulkan' | 'adapter' | 'probe'; detail: string };

export const WEBGPU_INSTALL_HINT = 'install it with `npm install webgpu`';
const LOADER_HINT = 'install it (Debian/Ubuntu: `apt-get install libvulkan1`) and a GPU driver with Vulkan support';
/** Software Vulkan (Mesa's lavapipe) lacks features Dawn requires, so only a real GPU's driver will do. */
const ADAPTER_HINT =
  process.platform === 'linux' ? 'Dawn needs a GPU whose driver supports Vulkan' : 'Dawn needs a GPU';

/** The package's folder and version, or undefined when it is not installed. */
function webgpuPackage(): { dir: string; version: string } | undefined {
  let manifest: string;
  try {
    manifest = require.resolve('webgpu/package.json');
  } catch {
    return undefined;
  }
  const version = readJsonFileOr(manifest, z.object({ version: z.string() }), 1 << 20)?.version ?? '?';
  return { dir: dirname(manifest), version };
}

export const SOFTWARE_ENV = 'MNIST_DEEP_WEBGPU_SOFTWARE';

interface DawnMode {
  software: boolean;
  /** Dawn's instance options. */
  flags: string[];
  /** What every requestAdapter asks for. */
  adapterOptions: Record<string, string>;
}

function dawnMode(extraFlags: string[] = []): DawnMode {
  const software = process.env[SOFTWARE_ENV] === '1';
  // Mesa's EGL needs no display with the surfaceless platform.
  if (software && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  return software
    ? { software, flags: ['backend=opengles', ...extraFlags], adapterOptions: { featureLevel: 'compatibility' } }
    : { software, flags: extraFlags, adapterOptions: { powerPreference: 'high-performance' } };
}

/** Where the package keeps the binding for this platform (as its own index.js computes it). */
function dawnFile(pkgDir: string): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return join(pkgDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/**
 * Runs in the child: checks for the Vulkan loader the way Dawn loads it
 * (dlopen by soname; a library that is no Node addon fails with "did not
 * self-register", which proves it was found), then asks Dawn for an adapter.
 * Prints one JSON line.
 */
const PROBE_SOURCE = `
const say = (o) => { process.stdout.write(JSON.stringify(o) + '\\n'); process.exit(0); };
const mode = JSON.parse(process.argv[2]);
if (process.platform === 'linux' && !mode.software) {
  try { process.dlopen({ exports: {} }, 'libvulkan.so.1'); } catch (e) {
    if (!/self-register/.test(e.message)) say({ vulkan: e.message.split('\\n')[0] });
  }
}
const { create } = require(process.argv[1]);
create(mode.flags).requestAdapter(mode.adapterOptions).then(async (a) => {
  if (!a) say({});
  const i = a.info || {};
  await a.requestDevice();
  say({ adapter: { vendor: i.vendor || '', architecture: i.architecture || '', device: i.device || '', description: i.description || '' } });
}, (e) => say({ error: String(e && e.message || e) })).catch((e) => say({ error: 'no device: ' + String(e && e.message || e) }));
`;

/** Dawn's own warnings, without its source locations, as one line. */
function dawnReasons(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !l.startsWith('- While'))
    .map((l) => l.replace(/^(Warning|Error): /, '').replace(/\.$/, ''));
  return [...new Set(lines)].join('; ');
}

export function describeAdapter(a: GpuAdapterInfo): string {
  const parts = [
    a.vendor && `vendor ${a.vendor}`,
    a.architecture && `architecture ${a.architecture}`,
    a.device && `device ${a.device}`,
    a.description && `driver: ${a.description}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'an adapter that gives no details';
}

/** Probes so far, for a GPU (false) and for the software adapter (true). */
const probed = new Map<boolean, WebGpuProbe>();

/** Looks for a WebGPU adapter (the software one where MNIST_DEEP_WEBGPU_SOFTWARE=1), once per process: about a third of a second. */
export function probeWebGpu(timeoutMs = 30_000): WebGpuProbe {
  const key = process.env[SOFTWARE_ENV] === '1';
  const known = probed.get(key);
  if (known) return known;
  const probe = runProbe(timeoutMs);
  probed.set(key, probe);
  return probe;
}

function runProbe(timeoutMs: number): WebGpuProbe {
  const pkg = webgpuPackage();
  if (!pkg)
    return {
      ok: false,
      reason: 'package',
      detail: `the optional package webgpu is not installed; ${WEBGPU_INSTALL_HINT}`,
    };
  const dawn = dawnFile(pkg.dir);
  if (!existsSync(dawn)) {
    return {
      ok: false,
      reason: 'platform',
      detail: `webgpu ${pkg.version} has no Dawn binding for ${process.platform}-${process.arch}`,
    };
  }
  const mode = dawnMode();
  const child = spawnSync(process.execPath, ['-e', PROBE_SOURCE, dawn, JSON.stringify(mode)], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (child.error || !line) {
    const why = child.error
      ? child.error.message
      : `it exited with ${child.signal ?? child.status}: ${dawnReasons(child.stderr ?? '')}`;
    return { ok: false, reason: 'probe', detail: `the WebGPU adapter probe failed (${why})` };
  }
  const answer = JSON.parse(line) as { vulkan?: string; adapter?: GpuAdapterInfo; error?: string };
  if (answer.vulkan)
    return { ok: false, reason: 'vulkan', detail: `no Vulkan loader (${answer.vulkan}); ${LOADER_HINT}` };
  if (answer.adapter) {
    const how = mode.software ? `Dawn on OpenGL ES, software, ${SOFTWARE_ENV}=1, never chosen by auto` : 'Dawn';
    return {
      ok: true,
      adapter: answer.adapter,
      software: mode.software,
      detail: `webgpu ${pkg.version} (${how}): ${describeAdapter(answer.adapter)}`,
    };
  }
  const dawnSays = answer.error ?? dawnReasons(child.stderr ?? '');
  return {
    ok: false,
    reason: 'adapter',
    detail: `Dawn found no GPU adapter${dawnSays ? ` (${dawnSays})` : ''}; ${ADAPTER_HINT}`,
  };
}

/** Whether `--backend auto` may take webgpu: a real GPU's adapter, never the software one. */
export function webGpuForAuto(): boolean {
  const probe = probeWebGpu();
  return probe.ok && !probe.software;
}

let installed = false;

/**
 * Makes WebGPU available in this process (navigator.gpu and the WebGPU
 * globals that the TF.js backend uses) and registers the TF.js `webgpu`
 * backend, which registers itself only when navigator.gpu exists. `dawnFlags`
 * are Dawn's instance options (e.g. `enable-dawn-features=allow_unsafe_apis`
 * for the GPU timestamps that tf.profile reads); the first call's count.
 */
export function installWebGpu(dawnFlags: string[] = []): void {
  if (installed) return;
  const pkg = webgpuPackage();
  if (!pkg) throw new Error(`the optional package webgpu is not installed; ${WEBGPU_INSTALL_HINT}`);
  const dawn = require(dawnFile(pkg.dir)) as { create(flags: string[]): object; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const mode = dawnMode(dawnFlags);
  const gpu = dawn.create(mode.flags) as { requestAdapter(options?: object): Promise<unknown> };
  // TF.js asks for its adapter itself: give it the mode's options (compatibility for the software adapter).
  const requestAdapter = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options?: object) => requestAdapter({ ...options, ...mode.adapterOptions });
  const nav = (globalThis as { navigator?: object }).navigator;
  // Node 21+ has a navigator of its own: add gpu to it; Node 20 has none.
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  else
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu, userAgent: 'node' },
      configurable: true,
      writable: true,
    });
  require('@tensorflow/tfjs-backend-webgpu');
  // Ours where TF.js's kernels leave the GPU idle (see webgpu-kernels.ts).
  (require('./webgpu-kernels') as typeof import('./webgpu-kernels')).useOwnWebGpuKernels();
  installed = true;
}

/**
 * Lets the process end after a command: Dawn's instance keeps Node's event
 * loop alive while navigator.gpu refers to it. Drops that reference and, in
 * case something of Dawn's still holds the loop, ends the process shortly
 * after (the timer does not itself keep the process alive).
 */
export function releaseWebGpu(graceMs = 2000): void {
  if (!installed) return;
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav) Reflect.deleteProperty(nav, 'gpu');
  setTimeout(() => process.exit(), graceMs).unref();
}
