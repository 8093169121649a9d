// The dialects' own ports. Each registered dialect whose port is not 0 gets a server of its own on
// the main host (so the same auth rule holds on it: auth may be off only on loopback). A port that
// cannot be had (taken, or not allowed) is reported and skipped: the dialect stays reachable under
// /compat/<name>/ on the main port, and start-up goes on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/logger.ts';
import type { Dialect } from '../shim/core/index.ts';
import type { Router } from './router.ts';

export interface DialectListeners {
  /** Listens on every dialect port; never rejects (a port that fails is logged as a warning). */
  start(): Promise<void>;
  /** The base URL of each dialect listening on its own port, by dialect name. */
  urls(): Record<string, string>;
  stop(): Promise<void>;
}

/** http://host:port, with an IPv6 host in brackets. */
export function baseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function createDialectListeners(options: {
  dialects: readonly Dialect[];
  /** The port of each dialect by name; a dialect not named here gets its defaultPort; 0 is off. */
  ports: Readonly<Record<string, number>>;
  host: string;
  router: Router;
  logger: Logger;
}): DialectListeners {
  const { host, router, logger } = options;
  const listeners = options.dialects
    .map((dialect) => ({ dialect, port: options.ports[dialect.name] ?? dialect.defaultPort }))
    .filter(({ port }) => port !== 0)
    .map(({ dialect, port }) => {
      const server: Server = createServer((req, res) => router.handle(req, res, surface));
      const surface = { dialect, port: () => (server.address() as AddressInfo | null)?.port ?? port };
      return { dialect, port, server, url: undefined as string | undefined };
    });

  return {
    async start() {
      await Promise.all(
        listeners.map(async (listener) => {
          const { dialect, port, server } = listener;
          try {
            listener.url = baseUrl(host, await listen(server, port, host));
            logger.info({ dialect: dialect.name, url: listener.url }, 'dialect listening on its own port');
          } catch (err) {
            logger.warn(
              { dialect: dialect.name, port, host, code: (err as NodeJS.ErrnoException).code },
              `the ${dialect.name} port ${port} could not be opened (${(err as Error).message}); ` +
                `the dialect stays reachable under /compat/${dialect.name}/ on the main port`,
            );
          }
        }),
      );
    },
    urls: () =>
      Object.fromEntries(listeners.flatMap(({ dialect, url }) => (url ? [[dialect.name, url]] : []))),
    stop: async () => {
      await Promise.all(listeners.map(({ server }) => closeServer(server)));
    },
  };
}
