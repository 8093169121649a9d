// What the Keeper tests share: a runtime with a node over a test database, the real app on real
// sockets with the Keeper dialect on its own port (auth on, tokens in `?token=`; and a second app
// with auth off on loopback for the seed's URLs as they are written), and curl as a child process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Role } from '../../src/lib/status.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

const exec = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface KeeperHarness {
  t: TestRuntime;
  /** The Keeper dialect's own port, auth on. */
  keeper: string;
  /** The Keeper dialect's own port on a second app, auth off (loopback). */
  open: string;
  tokens: Record<Role, string>;
  /** Everything the secured app logged (at debug and above). */
  logged(): string;
  dir: string;
  close(): Promise<void>;
}

export async function startKeeperHarness(): Promise<KeeperHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-keeper-'));
  const t = await createTestRuntime({ slots: 8 });
  let logText = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logText += String(chunk);
      done();
    },
  });
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
    logger: pino({ level: 'debug' }, sink),
    dialectPorts: { keeper: await freePort() },
  });
  const open = buildServedApp(t.database, {
    settings: settings(false),
    dialectPorts: { keeper: await freePort() },
  });
  await secured.start();
  await open.start();
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
  const apps: App[] = [secured, open];
  return {
    t,
    keeper: secured.dialectUrls().keeper!,
    open: open.dialectUrls().keeper!,
    tokens,
    logged: () => logText,
    dir,
    close: async () => {
      for (const app of apps) await app.stop();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs curl with `args`; the body as text, the status and the content type. */
export async function curl(args: string[]): Promise<{ status: number; text: string; type: string }> {
  const { stdout } = await exec('curl', ['-s', '-w', '\n%{http_code} %{content_type}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const [status, ...type] = stdout.slice(cut + 1).split(' ');
  return { status: Number(status), text: stdout.slice(0, cut), type: type.join(' ') };
}

/** A Keeper call with fetch: method, URL; the body text, its JSON when it parses, and the status. */
export async function call(
  method: string,
  url: string,
): Promise<{ status: number; text: string; json: any; type: string | null }> {
  const res = await fetch(url, { method });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') };
}
