/**
 * Which `Host` headers the server answers. A page on another site can make a
 * browser send requests to 127.0.0.1 under a name it controls (DNS
 * rebinding); checking the Host header against the addresses we serve stops
 * that page from reading our responses.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

export const DEFAULT_HOST = '127.0.0.1';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || (isIP(h) === 4 && h.startsWith('127.'));
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** An address as it appears in a URL or a Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Every name under which a wildcard bind is reachable here. */
function localNames(): string[] {
  const names = [hostname()];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) names.push(urlHost(a.address.replace(/%.*$/, '')));
  }
  return names;
}

/** The exact Host header values (lower case) accepted for a server bound to `host`:`port`. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set<string>([urlHost(host)]);
  if (isLoopback(host) || isWildcard(host)) LOOPBACK_NAMES.forEach((n) => names.add(n));
  if (isWildcard(host)) localNames().forEach((n) => names.add(n));
  const allowed = new Set<string>();
  for (const n of names) {
    allowed.add(`${n.toLowerCase()}:${port}`);
    // Browsers leave out the default port.
    if (port === 80) allowed.add(n.toLowerCase());
  }
  return allowed;
}

/** The address to print and open: a wildcard bind is reached through 127.0.0.1. */
export function browseHost(host: string): string {
  return isWildcard(host) ? DEFAULT_HOST : urlHost(host);
}
