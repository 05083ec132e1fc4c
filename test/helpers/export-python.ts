/**
 * The Python runtimes that read our exported files with their own code (onnx's checker, ONNX
 * Runtime, Keras 3 on TensorFlow): a Python that imports them all, from MNIST_DEEP_EXPORT_PYTHON,
 * CI's venv ($HOME/py-venv) or python3. Tests skip, saying why, where there is none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [process.env.MNIST_DEEP_EXPORT_PYTHON, join(homedir(), 'py-venv/bin/python'), 'python3'];
const MODULES = 'import onnx, onnxruntime, keras, tensorflow';

let found: string | null | undefined;

/** A Python with onnx, onnxruntime, keras and tensorflow, or null. */
export function exportPython(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const python of CANDIDATES) {
    if (!python || (python.includes('/') && !existsSync(python))) continue;
    if (spawnSync(python, ['-c', MODULES], { stdio: 'ignore', timeout: 120_000 }).status === 0) {
      found = python;
      break;
    }
  }
  return found;
}

/** A skip reason for node:test, or false when the Python runtimes are there. */
export function exportPythonMissing(): string | false {
  return exportPython()
    ? false
    : 'no Python with onnx, onnxruntime, keras and tensorflow (set MNIST_DEEP_EXPORT_PYTHON, or: python3 -m venv ~/py-venv && ~/py-venv/bin/pip install tensorflow-cpu keras onnx onnxruntime)';
}

/** Runs `script` with that Python, `args` as sys.argv[1:]; its stdout, parsed as JSON. */
export function runExportPython<T>(script: string, args: string[]): T {
  const python = exportPython();
  if (!python) throw new Error('no export Python');
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' };
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', timeout: 300_000, env });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as T;
}
