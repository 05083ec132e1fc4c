/**
 * The HTTP side of `serve`: GET/HEAD of a fixed set of files, to clients
 * that name us by the address we listen on.
 */
import { IncomingMessage, RequestListener, Server, ServerResponse, createServer } from 'node:http';
import { Policy, Resource } from './files';

/**
 * The page: scripts, styles, data and wasm from our own origin only (wasm
 * needs 'wasm-unsafe-eval'). The page is not cross-origin isolated, so TF.js'
 * wasm backend runs single-threaded (its threads would load scripts from
 * blob: URLs); one 784-pixel image needs no threads.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * report.html comes from the model folder, so it is not trusted like our own
 * page: a sandbox gives it an origin of its own, and it may only use what it
 * carries inline (the report is one self-contained file).
 */
const REPORT_CSP = [
  'sandbox allow-scripts',
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  'img-src data: blob:',
  'font-src data:',
  "frame-ancestors 'none'",
].join('; ');

const CSP: Record<Policy, string> = {
  page: PAGE_CSP,
  report: REPORT_CSP,
  data: "default-src 'none'; frame-ancestors 'none'",
};

function baseHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Security-Policy', CSP.data);
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.end(text + '\n');
}

/** The path of an origin-form request target, without its query; anything else matches no route. */
function routePath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** `allowedHosts` is read at each request: the port, and so the allowed Host values, is known only once listening. */
export function requestHandler(
  routes: ReadonlyMap<string, Resource>,
  allowedHosts: () => ReadonlySet<string>,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    baseHeaders(res);
    const host = req.headers.host?.toLowerCase();
    if (!host || !allowedHosts().has(host)) {
      plain(res, 403, 'forbidden: the Host header does not name this server');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const resource = routes.get(routePath(req.url ?? ''));
    const body = resource?.read();
    if (!resource || !body) {
      plain(res, 404, 'not found');
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', resource.type);
    res.setHeader('Content-Length', body.byteLength);
    res.setHeader('Content-Security-Policy', CSP[resource.policy]);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** Listens on host:port; resolves with the bound port, rejects with the listen error (EADDRINUSE…). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const BAD_REQUEST = [
  'HTTP/1.1 400 Bad Request',
  'Content-Type: text/plain; charset=utf-8',
  'X-Content-Type-Options: nosniff',
  'Content-Length: 12',
  'Connection: close',
  '',
  'bad request\n',
].join('\r\n');

/**
 * What one client may hold: a page needs a handful of connections, so more
 * than MAX_CONNECTIONS at once are refused (closed at once), and a connection
 * that sends no complete request, or stops reading what it asked for, is
 * closed after a few seconds. With the shared buffers of model-files.ts, the
 * server's memory does not grow with its clients.
 */
export const SERVER_LIMITS = {
  maxConnections: 64,
  /** A request's headers must arrive within this. */
  headersTimeoutMs: 10_000,
  /** The whole request, body included (we take none). */
  requestTimeoutMs: 15_000,
  /** A connection on which nothing moves (no byte read or written) for this long is closed. */
  idleTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
};

export function makeServer(
  routes: ReadonlyMap<string, Resource>,
  allowedHosts: () => ReadonlySet<string>,
  limits = SERVER_LIMITS,
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (its default, 30 s, would let them run late).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    requestHandler(routes, allowedHosts),
  );
  server.maxConnections = limits.maxConnections;
  // No 'timeout' listener: Node destroys the idle socket.
  server.setTimeout(limits.idleTimeoutMs);
  // Requests Node's parser rejects (a backslash or a space in the path, bad headers) get our headers too.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end(BAD_REQUEST);
    else socket.destroy();
  });
  return server;
}
