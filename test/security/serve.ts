// A real `jobgate serve` child process with auth on and one token of each role, for the attack suite.
// On PostgreSQL (TEST_DATABASE_URL) it gets a fresh database; otherwise a fresh PGlite data directory.
// Tokens are made before the server starts (PGlite admits one process at a time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import type { Role } from '../../src/lib/status.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { startJobgate, type JobgateProcess } from '../support/processes.ts';

export interface GraphQLAnswer {
  status: number;
  data?: any;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface SecureServer {
  /** http://127.0.0.1:PORT */
  base: string;
  tokens: Record<Role, string>;
  /** The database URL on PostgreSQL, unset on PGlite. */
  databaseUrl?: string;
  /** The PGlite data directory (also the default parent of the file root). */
  dataDir: string;
  process: JobgateProcess;
  /** POSTs a GraphQL document as JSON, with a token of `role` (or none). */
  graphql(query: string, variables?: Record<string, unknown>, role?: Role | 'none'): Promise<GraphQLAnswer>;
  /** The time /healthz takes to answer, in ms (for "stays healthy under attack" checks). */
  health(): Promise<{ ok: boolean; ms: number }>;
  stop(): Promise<number | null>;
}

export async function startSecureServer(
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<SecureServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobgate-sec-'));
  const databaseUrl = usingPostgres ? await createPostgresDatabase() : undefined;
  const database = await createDatabase(
    databaseUrl ? { url: databaseUrl, maxConnections: 1 } : { dataDir: join(dataDir, 'pgdata') },
  );
  const tokens = {} as Record<Role, string>;
  try {
    if (!databaseUrl) await migrateDatabase(database); // the PostgreSQL template is migrated
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = (await createApiToken(database, role, `attack-suite ${role}`)).token;
    }
  } finally {
    await database.close();
  }
  const args = ['serve', '--port', '0', '--auth', 'on', '--data-dir', dataDir, ...(options.args ?? [])];
  if (databaseUrl) args.push('--database-url', databaseUrl);
  const proc = startJobgate(args, options.env);
  const [, base] = await proc.waitFor(/ready: GraphQL and GraphiQL at (http:\/\/[^\s]+)\/graphql/);
  return {
    base: base!,
    tokens,
    databaseUrl,
    dataDir,
    process: proc,
    async graphql(query, variables, role = 'none') {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(role !== 'none' ? { authorization: `Bearer ${tokens[role]}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = { errors: [{ message: text }] };
      }
      return { status: res.status, ...body };
    },
    async health() {
      const started = performance.now();
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
        return { ok: res.ok, ms: performance.now() - started };
      } catch {
        return { ok: false, ms: performance.now() - started };
      }
    },
    async stop() {
      const code = await proc.stop('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
