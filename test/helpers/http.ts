/** A local HTTP server on 127.0.0.1 whose routes misbehave on purpose. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export async function startServer(
  routes: Record<string, Handler>,
): Promise<{ base: string; server: Server; hits: string[]; close: () => Promise<void> }> {
  const hits: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const handler = Object.entries(routes).find(([prefix]) => (req.url ?? '').startsWith(prefix))?.[1];
    if (handler) handler(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const serveBytes =
  (bytes: Buffer): Handler =>
  (_req, res) => {
    res.setHeader('content-length', bytes.length);
    res.end(bytes);
  };
