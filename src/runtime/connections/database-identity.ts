/**
 * Which database a connection reached, by the server's identity rather than the URL's text (a host
 * has many spellings: localhost, 127.0.0.1, ::1, a DNS alias, another port forwarded to it). Two
 * connections reach the same database when the cluster's system identifier (set at initdb, unique per
 * cluster, readable by any role from PostgreSQL 10 on) and the database name are equal.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';

export interface DatabaseIdentity {
  systemIdentifier: string;
  database: string;
}

export const IDENTITY_QUERY =
  'select system_identifier::text as system_identifier, current_database()::text as database from pg_control_system()';

export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  return a.systemIdentifier === b.systemIdentifier && a.database === b.database;
}

/** jobgate's own database, read once at start. PGlite is not reachable over TCP, so it has none. */
export async function readOwnDatabaseIdentity(database: Database): Promise<DatabaseIdentity | null> {
  if (database.kind !== 'postgres') return null;
  const [row] = await database.execute<{ system_identifier: string; database: string }>(
    sql.raw(IDENTITY_QUERY),
  );
  if (!row) throw new Error('could not read the identity of jobgate’s own database');
  return { systemIdentifier: row.system_identifier, database: row.database };
}
