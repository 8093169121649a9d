// The PostgreSQL server the benchmarks use, and throwaway databases on it.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/** BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local trust-auth server. */
export const BENCH_SERVER_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/postgres';

/** The same server URL with another database name. */
export function databaseUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` with a one-connection admin client on the server's own database. */
async function withAdmin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(BENCH_SERVER_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    return await work(admin);
  } catch (err) {
    throw new Error(`PostgreSQL at ${redact(BENCH_SERVER_URL)}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `jobgate_bench_<tag>_<random>`; drop() removes it (closing sessions). */
export async function createBenchDatabase(tag: string): Promise<BenchDatabase> {
  const name = `jobgate_bench_${tag}_${randomBytes(4).toString('hex')}`;
  await withAdmin((sql) => sql.unsafe(`create database "${name}"`));
  live.add(name);
  return {
    name,
    url: databaseUrlFor(BENCH_SERVER_URL, name),
    drop: async () => {
      await withAdmin((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
      live.delete(name);
    },
  };
}

const live = new Set<string>();

/** Drops every bench database not dropped yet (for error paths). */
export async function dropLeftoverDatabases(): Promise<void> {
  for (const name of [...live]) {
    await withAdmin((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`)).catch(() => {});
    live.delete(name);
  }
}

/** The server's version string, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
export async function serverVersion(): Promise<string> {
  return withAdmin(async (sql) => {
    const [row] = await sql<{ server_version: string }[]>`show server_version`;
    return row?.server_version ?? 'unknown';
  });
}

export function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
