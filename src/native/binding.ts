/**
 * The built tfjs-node binding in its package: the `deps` link to the cached
 * libraries, setting a working binding aside during a rebuild, the marker that
 * says what it was built against, and the check that loads it in a child.
 */
import { existsSync, lstatSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors';
import { parseJsonOr, readJsonFileOr } from '../validate';
import { run } from './command';
import { BINDING_DIR, BINDING_FILE, MARKER_FILE, QUIET_FILE, depsTarget } from './layout';

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
  const m = readJsonFileOr(join(pkg, BINDING_DIR, MARKER_FILE), z.object({ libraries: z.string() }), 1 << 20);
  return (
    m?.libraries === libs &&
    depsTarget(pkg) === libs &&
    [BINDING_FILE, QUIET_FILE].every((f) => existsSync(join(pkg, BINDING_DIR, f)))
  );
}

/** What check.js prints as its last line. */
const CHECK_RESULT = z.object({
  ok: z.boolean(),
  tensorflow: z.string().optional(),
  maxDiff: z.number().optional(),
  error: z.string().optional(),
});
export type CheckResult = z.infer<typeof CHECK_RESULT>;

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
  return parseJsonOr(line, CHECK_RESULT) ?? { ok: false, error: line };
}
