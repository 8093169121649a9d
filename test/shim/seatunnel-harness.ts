// What the SeaTunnel tests share: a runtime with a node over a test database and the real app on
// real sockets, the SeaTunnel dialect on its own port twice: auth on, and (for the seed's curl
// commands, which carry no token) a second app with auth off on loopback. curl runs as a child process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Role } from '../../src/lib/status.ts';
import { startDialectHarness } from '../support/dialect-harness.ts';
import type { TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

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
  const h = await startDialectHarness('seatunnel', { nodeTags: { zone: 'a', disk: 'ssd' } });
  return {
    t: h.t,
    secured: h.secured,
    open: h.open,
    openMain: h.openMain,
    tokens: h.tokens,
    gatewayLog: h.gatewayLog,
    close: h.close,
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
