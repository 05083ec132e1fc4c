/**
 * An HDF5 file of groups, string attributes and float32 datasets, written with h5wasm (HDF5's own
 * C library compiled to WebAssembly) to a private temporary folder and read back as bytes: the
 * caller writes them where they go (atomically), so a failure here leaves nothing in the target.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Group } from 'h5wasm';

export interface H5Group {
  attrs?: Record<string, string>;
  groups?: Record<string, H5Group>;
  datasets?: Record<string, { values: Float32Array; shape: number[] }>;
}

type H5wasm = typeof import('h5wasm');

/**
 * h5wasm is an ES module that offers no `require` entry, and TypeScript compiling to CommonJS
 * turns `import()` into `require()`: this keeps a real dynamic import.
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<H5wasm>;

function fill(group: Group, tree: H5Group): void {
  for (const [name, value] of Object.entries(tree.attrs ?? {})) group.create_attribute(name, value);
  for (const [name, sub] of Object.entries(tree.groups ?? {})) fill(group.create_group(name), sub);
  for (const [name, d] of Object.entries(tree.datasets ?? {}))
    group.create_dataset({ name, data: d.values, shape: d.shape, dtype: '<f' });
}

/** The bytes of an HDF5 file holding `tree`. */
export async function writeH5(tree: H5Group): Promise<Uint8Array> {
  const { default: h5wasm } = await importEsm('h5wasm/node');
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), 'mnist-deep-h5-'));
  try {
    const file = join(dir, 'weights.h5');
    const f = new h5wasm.File(file, 'w');
    try {
      fill(f, tree);
    } finally {
      f.close();
    }
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
