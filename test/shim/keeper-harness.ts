// What the Keeper tests share: a runtime with a node over a test database, the real app on real
// sockets with the Keeper dialect on its own port (auth on, tokens in `?token=`; and a second app
// with auth off on loopback for the seed's URLs as they are written), and curl as a child process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Role } from '../../src/lib/status.ts';
import { startDialectHarness } from '../support/dialect-harness.ts';
import type { TestRuntime } from '../support/runtime.ts';

const exec = promisify(execFile);

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
  const h = await startDialectHarness('keeper');
  return {
    t: h.t,
    keeper: h.secured,
    open: h.open,
    tokens: h.tokens,
    logged: () => h.gatewayLog.join(''),
    dir,
    close: async () => {
      await h.close();
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
