/** Starting `mnist-deep serve` for a test, and raw HTTP requests that no client library normalises. */
import { connect } from 'node:net';
import { spawnCli } from './cli';

export interface Served {
  url: string;
  port: number;
  stop: () => Promise<{ code: number | null; stdout: string; stderr: string }>;
  spawned: ReturnType<typeof spawnCli>;
}

export async function startServe(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Served> {
  const spawned = spawnCli(['serve', '--port', '0', ...args], opts);
  await spawned.waitFor(/serving .* at http:\S+/, 60_000);
  const url = /at (http:\S+)/.exec(spawned.stdoutText())?.[1] as string;
  return {
    url,
    port: Number(new URL(url).port),
    spawned,
    stop: async () => {
      spawned.child.kill('SIGINT');
      return spawned.done;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank
 * line) on a fresh connection exactly as written, and reads the whole response.
 */
export function rawRequest(port: number, head: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error(`no complete response to ${JSON.stringify(head)}: ${all.toString()}`));
        return;
      }
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: all.subarray(split + 4) });
    });
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

/** A GET (or another method) with the right Host header. */
export const request = (port: number, path: string, method = 'GET', host = `127.0.0.1:${port}`) =>
  rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: ${host}`);
