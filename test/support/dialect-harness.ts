// What every dialect's tests share: a runtime with a node over a test database, and the real app on
// real sockets twice over that database with the dialect on its own port: auth on (a token per
// role), and auth off on loopback (for the seeds' curl commands, which carry no token).
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Role } from '../../src/lib/status.ts';
import { buildServedApp } from './app.ts';
import { createTestRuntime, type TestRuntime } from './runtime.ts';

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DialectHarness {
  t: TestRuntime;
  /** The dialect's own port on the auth-on app. */
  secured: string;
  /** The auth-on app's main port (its /compat/<name>/ mount). */
  securedMain: string;
  /** The dialect's own port on the auth-off app. */
  open: string;
  /** The auth-off app's main port. */
  openMain: string;
  tokens: Record<Role, string>;
  /** Every line the auth-on app logged (at debug and above). */
  gatewayLog: string[];
  close(): Promise<void>;
}

export async function startDialectHarness(
  dialect: string,
  runtime: Parameters<typeof createTestRuntime>[0] = {},
): Promise<DialectHarness> {
  const t = await createTestRuntime({ slots: 8, ...runtime });
  const settings = (authEnabled: boolean) => ({
    authEnabled,
    heartbeatTimeoutMs: 5_000,
    commandsEnabled: true,
    files: t.runtime.files,
    events: t.runtime.events,
    logFeed: t.runtime.logFeed,
    metricFeed: t.runtime.metricFeed,
    nodeId: t.runtime.node?.id,
  });
  const gatewayLog: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      gatewayLog.push(String(chunk));
      done();
    },
  });
  const secured = buildServedApp(t.database, {
    logger: pino({ level: 'debug' }, sink),
    settings: settings(true),
    dialectPorts: { [dialect]: await freePort() },
  });
  const open = buildServedApp(t.database, {
    settings: settings(false),
    dialectPorts: { [dialect]: await freePort() },
  });
  const securedMain = await secured.start();
  const openMain = await open.start();
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
  return {
    t,
    secured: secured.dialectUrls()[dialect]!,
    securedMain,
    open: open.dialectUrls()[dialect]!,
    openMain,
    tokens,
    gatewayLog,
    close: async () => {
      await secured.stop();
      await open.stop();
      await t.close();
    },
  };
}
