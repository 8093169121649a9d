// What the Dkron tests share: a runtime with a node over a test database, the real app on real
// sockets (the Dkron dialect on its own port with auth on, and a second app with auth off on
// loopback for the seed's curl commands, which carry no token), and curl run as a child process.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import type { Role } from '../../src/lib/status.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { loadOpenApi } from '../support/openapi.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

const run = promisify(execFile);

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DkronHarness {
  t: TestRuntime;
  /** The Dkron dialect's own port, auth on. */
  dkron: string;
  /** The Dkron dialect's own port on a second app over the same database, auth off (loopback). */
  open: string;
  /** The auth-on app's main port (for /compat/dkron). */
  main: string;
  tokens: Record<Role, string>;
  close(): Promise<void>;
}

export async function startDkronHarness(): Promise<DkronHarness> {
  const t = await createTestRuntime({ slots: 8 });
  const settings = (authEnabled: boolean) => ({
    authEnabled,
    heartbeatTimeoutMs: 5_000,
    commandsEnabled: true,
    files: t.runtime.files,
    events: t.runtime.events,
    logFeed: t.runtime.logFeed,
    metricFeed: t.runtime.metricFeed,
  });
  const secured = buildServedApp(t.database, {
    settings: settings(true),
    dialectPorts: { dkron: await freePort() },
  });
  const open = buildServedApp(t.database, {
    settings: settings(false),
    dialectPorts: { dkron: await freePort() },
  });
  const main = await secured.start();
  await open.start();
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
  const apps: App[] = [secured, open];
  return {
    t,
    dkron: secured.dialectUrls().dkron!,
    open: open.dialectUrls().dkron!,
    main,
    tokens,
    close: async () => {
      for (const app of apps) await app.stop();
      await t.close();
    },
  };
}

export interface CurlAnswer {
  status: number;
  text: string;
  headers: Record<string, string>;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Runs curl with `args` (as a shell script would) and returns the status, headers and body. */
export async function curl(args: string[]): Promise<CurlAnswer> {
  const { stdout } = await run('curl', ['-s', '-i', ...args], { maxBuffer: 16 * 1024 * 1024 });
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split).split('\r\n');
  const text = stdout.slice(split + 4);
  const status = Number(head[0]!.split(' ')[1]);
  const headers = Object.fromEntries(
    head
      .slice(1)
      .map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
  );
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, text, headers, json };
}

/** Dkron's published spec (../shared/ref/dkron/openapi.yaml, beside the repository). Every value
 * may be null: Dkron writes `last_success`, `last_error`, `starts_at` and `expires_at` as null when
 * unset (ntime.NullableTime, ENDPOINTS.md §2), which the spec does not mark. */
export const dkronSpec = loadOpenApi(
  new URL('../../../shared/ref/dkron/openapi.yaml', import.meta.url).pathname,
  {
    allowNull: true,
  },
);
