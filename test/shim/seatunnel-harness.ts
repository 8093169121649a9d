// What the SeaTunnel tests share: a runtime with a node over a test database and the real app on
// real sockets, the SeaTunnel dialect on its own port twice: auth on, and (for the seed's curl
// commands, which carry no token) a second app with auth off on loopback. curl runs as a child process.
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Role } from '../../src/lib/status.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';
import { freePort } from './flink-write-harness.ts';

const run = promisify(execFile);

export const MAPS = '/hazelcast/rest/maps';

export interface SeaTunnelHarness {
  t: TestRuntime;
  /** The dialect's own port, auth on. */
  secured: string;
  /** The dialect's own port on a second app over the same database, auth off (loopback). */
  open: string;
  /** The second app's main port (its /compat/seatunnel mount). */
  openMain: string;
  tokens: Record<Role, string>;
  /** Every line the secured app logged (at debug and above). */
  gatewayLog: string[];
  close(): Promise<void>;
}

export async function startSeaTunnelHarness(): Promise<SeaTunnelHarness> {
  const t = await createTestRuntime({ slots: 8, nodeTags: { zone: 'a', disk: 'ssd' } });
  const settings = (authEnabled: boolean) => ({
    authEnabled,
    heartbeatTimeoutMs: 5_000,
    commandsEnabled: true,
    events: t.runtime.events,
    logFeed: t.runtime.logFeed,
    metricFeed: t.runtime.metricFeed,
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
    dialectPorts: { seatunnel: await freePort() },
  });
  const open = buildServedApp(t.database, {
    settings: settings(false),
    dialectPorts: { seatunnel: await freePort() },
  });
  await secured.start();
  const openMain = await open.start();
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
  const apps: App[] = [secured, open];
  return {
    t,
    secured: secured.dialectUrls().seatunnel!,
    open: open.dialectUrls().seatunnel!,
    openMain,
    tokens,
    gatewayLog,
    close: async () => {
      for (const app of apps) await app.stop();
      await t.close();
    },
  };
}

export interface CurlAnswer {
  status: number;
  text: string;
  body: any;
}

/** Runs curl with `args` (as a shell script would); the answer's status, text and parsed JSON. */
export async function curl(args: string[]): Promise<CurlAnswer> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  return { status: Number(stdout.slice(cut + 1)), text, body };
}

/** POSTs `body` (JSON text as given) with curl. */
export function curlPost(url: string, body: string, headers: string[] = []): Promise<CurlAnswer> {
  const h = headers.flatMap((header) => ['-H', header]);
  return curl(['-X', 'POST', url, '-H', 'Content-Type: application/json', ...h, '-d', body]);
}

/** Waits until job-info shows the job in one of `statuses`; answers that job-info. */
export async function waitForJobStatus(
  base: string,
  jobId: string,
  statuses: string[],
  headers: string[] = [],
) {
  const h = headers.flatMap((header) => ['-H', header]);
  return until(
    `job ${jobId} in ${statuses.join('|')}`,
    async () => {
      const info = await curl([`${base}${MAPS}/job-info/${jobId}`, ...h]);
      return statuses.includes(info.body?.jobStatus) ? info.body : null;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}
