/**
 * Downloads that leave nothing half-written: the bytes go to a temporary file,
 * hashed as they come, cut off past the published size, and renamed into place
 * only when the SHA-256 matches; a signal removes the partial file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname } from 'node:path';
import { UserError, errorMessage } from '../errors';
import { checkReplaceable, tempNameFor } from '../fs/atomic';
import { STOP_SIGNALS, StopSignal, exitCodeFor } from '../stop-signals';

export interface Progress {
  start(file: string, totalBytes: number | undefined): void;
  update(receivedBytes: number): void;
  stop(): void;
}

export interface FetchOptions {
  /** Abort when no byte arrives for this long (connect included). */
  idleTimeoutMs?: number;
  progress?: Progress;
  /** The published size: a body announced or running longer is cut off (a mirror that streams forever fills no disk). */
  maxBytes?: number;
}

const MAX_REDIRECTS = 5;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Temporary files still being written, removed on exit so none survives Ctrl-C. */
const liveTempFiles = new Set<string>();
const removeTempFiles = () => {
  for (const file of liveTempFiles) rmSync(file, { force: true });
};
process.on('exit', removeTempFiles);

/** While a download runs, Ctrl-C, SIGTERM or SIGHUP removes its partial file, then exits (130 / 143 / 129). */
function onStopSignal(signal: StopSignal): void {
  removeTempFiles();
  process.exit(exitCodeFor(signal));
}

function get(url: string, timeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : url.startsWith('http:') ? http : undefined;
    if (!client) {
      reject(new Error(`unsupported URL ${url}`));
      return;
    }
    const req = client.get(url, { timeout: timeoutMs }, (res) => {
      // From here on streamToFile watches the body for stalls.
      req.setTimeout(0);
      req.removeAllListeners('timeout');
      resolve(res);
    });
    req.on('timeout', () => req.destroy(new Error(`no response for ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

async function openFollowingRedirects(url: string, timeoutMs: number): Promise<http.IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await get(current, timeoutMs);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`HTTP ${status}${res.statusMessage ? ' ' + res.statusMessage : ''}`);
    }
    return res;
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}

/** Streams the body into `temp`, hashing as it goes; resolves to the hex SHA-256. */
function streamToFile(
  res: http.IncomingMessage,
  temp: string,
  timeoutMs: number,
  progress?: Progress,
  maxBytes = Infinity,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const expected = Number(res.headers['content-length'] ?? NaN);
    // Refused before any file is created for it.
    if (expected > maxBytes) {
      res.destroy();
      reject(new Error(`announces ${expected} bytes, but the published file has ${maxBytes}`));
      return;
    }
    const hash = createHash('sha256');
    // O_EXCL: never write through a name (or link) that is already there.
    const out = createWriteStream(temp, { flags: 'wx' });
    let received = 0;
    // The first failure wins: destroying the streams below raises secondary ones. The promise
    // settles only once the file is closed: the stream opens it asynchronously, and a file
    // created after the caller removed the temp name would stay behind as a 0-byte *.tmp.
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      res.destroy();
      if (out.closed) reject(err);
      else {
        out.once('close', () => reject(err));
        out.destroy();
      }
    };
    res.setTimeout(timeoutMs, () => fail(new Error(`stalled: no data for ${timeoutMs / 1000} s`)));
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) fail(new Error(`sent more than the published file's ${maxBytes} bytes; stopped`));
      hash.update(chunk);
      progress?.update(received);
    });
    res.on('aborted', () => fail(new Error('connection dropped mid-file')));
    res.on('error', (err) => fail(err));
    res.on('end', () => {
      if (Number.isFinite(expected) && received !== expected) {
        fail(new Error(`connection dropped mid-file (${received} of ${expected} bytes)`));
      }
    });
    out.on('error', (err) => fail(err));
    out.on('finish', () => resolve(hash.digest('hex')));
    res.pipe(out);
  });
}

/**
 * Downloads `url` to `dest` atomically: the bytes go to a temporary file that is
 * renamed to `dest` only once its SHA-256 equals `sha256`; on any failure the
 * temporary file is removed and `dest` is untouched.
 */
export async function fetchVerified(url: string, dest: string, sha256: string, opts: FetchOptions = {}): Promise<void> {
  const timeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  mkdirSync(dirname(dest), { recursive: true });
  // The write policy: the rename below must not replace a FIFO or device named like the file.
  checkReplaceable(dest);
  const temp = tempNameFor(dest);
  liveTempFiles.add(temp);
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
  try {
    const res = await openFollowingRedirects(url, timeoutMs);
    const total = Number(res.headers['content-length'] ?? NaN);
    opts.progress?.start(url, Number.isFinite(total) ? total : undefined);
    const actual = await streamToFile(res, temp, timeoutMs, opts.progress, opts.maxBytes).finally(() =>
      opts.progress?.stop(),
    );
    if (actual !== sha256)
      throw new Error(`SHA-256 mismatch (got ${actual.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`);
    renameSync(temp, dest);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onStopSignal);
    rmSync(temp, { force: true });
    liveTempFiles.delete(temp);
  }
}

export interface MirrorFailure {
  mirror: string;
  reason: string;
}

/**
 * Tries each mirror in turn for one file. Returns the mirror that worked;
 * throws a UserError listing every mirror's reason when none did.
 */
export async function fetchFromMirrors(
  mirrors: readonly string[],
  fileName: string,
  dest: string,
  sha256: string,
  opts: FetchOptions & { onMirrorFailed?: (f: MirrorFailure) => void } = {},
): Promise<string> {
  checkReplaceable(dest); // said once, not once per mirror
  const failures: MirrorFailure[] = [];
  for (const mirror of mirrors) {
    try {
      await fetchVerified(mirror + fileName, dest, sha256, opts);
      return mirror;
    } catch (err) {
      const failure = { mirror, reason: describeNetError(err) };
      failures.push(failure);
      opts.onMirrorFailed?.(failure);
    }
  }
  const reasons = failures.map((f) => `${f.mirror}${fileName}: ${f.reason}`).join('; ');
  throw new UserError(`could not download ${fileName} from any mirror (${reasons})`);
}

function describeNetError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (DNS), are you offline?';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection dropped';
  return errorMessage(err);
}
