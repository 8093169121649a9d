// What the Dkron tests share: a runtime with a node over a test database, the real app on real
// sockets (the Dkron dialect on its own port with auth on, and a second app with auth off on
// loopback for the seed's curl commands, which carry no token), and curl run as a child process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Role } from '../../src/lib/status.ts';
import { startDialectHarness } from '../support/dialect-harness.ts';
import { loadOpenApi } from '../support/openapi.ts';
import type { TestRuntime } from '../support/runtime.ts';

const run = promisify(execFile);

export { freePort } from '../support/dialect-harness.ts';

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
  const h = await startDialectHarness('dkron');
  return { t: h.t, dkron: h.secured, open: h.open, main: h.securedMain, tokens: h.tokens, close: h.close };
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
