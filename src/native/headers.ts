/**
 * The few TensorFlow headers tfjs-node's binding needs: the closure of the C
 * API headers over `#include "..."`, with every include path kept inside the
 * include folder, written under `<out>/include`.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../fs/atomic';
import { resolveInside } from '../fs/paths';

export const INCLUDE_PREFIX = 'tensorflow/include/';
/** TensorFlow's largest header is about 1 MB; anything far larger is not a header. */
export const MAX_HEADER_BYTES = 16 << 20;
/** The headers tfjs-node's binding includes; the rest of TensorFlow's 268 MB of headers is not needed. */
const ROOT_HEADERS = [
  'tensorflow/c/c_api.h',
  'tensorflow/c/eager/c_api.h',
  'tensorflow/core/platform/ctstring_internal.h',
];

/** The version in a `*.dist-info/METADATA` (a wheel's, or an installed package's beside it). */
export const metadataVersion = (text: string) => /^Version:\s*(\S+)/m.exec(text)?.[1];

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

export function writeHeaders(headers: Map<string, string>, out: string): number {
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
