// Admin-managed connections: create, update, delete (each audited, in one transaction) and the
// node-side lookup that opens the secret. The secret never leaves this module except to a plugin
// about to connect.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.ts';
import {
  auditEvents,
  connections,
  jobs,
  jobVersions,
  vertices,
  type ConnectionRow,
} from '../../db/schema/index.ts';
import {
  ConflictError,
  NotFoundError,
  PG_UNIQUE_VIOLATION,
  pgErrorCode,
  BadInputError,
} from '../../lib/errors.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import {
  checkConnectionName,
  checkConnectionOptions,
  checkKind,
  checkText,
  splitPostgresUrl,
  type ConnectionKind,
  type SplitUrl,
} from './connection-input.ts';

export interface ConnectionInput {
  name: string;
  kind?: string | null;
  url?: string | null;
  username?: string | null;
  password?: string | null;
  options?: unknown;
  description?: string | null;
}

/** A connection ready to connect with: its password opened. Only plugins on the node get one. */
export interface ResolvedConnection {
  name: string;
  kind: ConnectionKind;
  url: string;
  username?: string;
  password?: string;
  options: Record<string, string>;
}

/** Credentials from the URL and from their own fields must agree; the URL keeps none. */
function credentials(
  split: { username?: string; password?: string },
  input: { username?: string | null; password?: string | null },
  base: string,
) {
  const username = checkText(input.username, `${base}.username`, 200);
  const password = checkText(input.password, `${base}.password`, 1000);
  if (split.username && username && split.username !== username) {
    throw new BadInputError(`${base}.username: differs from the user in the url`, {
      path: `${base}.username`,
    });
  }
  if (split.password && password) {
    throw new BadInputError(`${base}.password: is also in the url; give it once`, {
      path: `${base}.password`,
    });
  }
  return { username: username ?? split.username ?? null, password: password ?? split.password ?? null };
}

export async function createConnection(
  database: Database,
  secrets: SecretBox,
  input: ConnectionInput,
  actor: string,
  base = 'input',
): Promise<ConnectionRow> {
  const name = checkConnectionName(input.name, `${base}.name`);
  const kind = checkKind(input.kind, `${base}.kind`);
  const split = splitPostgresUrl(input.url, `${base}.url`);
  const { username, password } = credentials(split, input, base);
  const values = {
    name,
    kind,
    url: split.url,
    username,
    secret: password === null ? null : secrets.seal(password),
    options: checkConnectionOptions(input.options, `${base}.options`),
    description: checkText(input.description, `${base}.description`),
    createdBy: actor,
  };
  try {
    return await database.db.transaction(async (tx) => {
      const [row] = await tx.insert(connections).values(values).returning();
      await tx
        .insert(auditEvents)
        .values({ actor, action: 'connection:create', target: name, details: { kind } });
      return row!;
    });
  } catch (err) {
    if (pgErrorCode(err) === PG_UNIQUE_VIOLATION) {
      throw new ConflictError(`a connection named ${JSON.stringify(name)} already exists`, { cause: err });
    }
    throw err;
  }
}

/** Changes the given fields: a field left out stays, null clears it (url cannot be cleared). */
export async function updateConnection(
  database: Database,
  secrets: SecretBox,
  input: ConnectionInput,
  actor: string,
  base = 'input',
): Promise<ConnectionRow> {
  const name = checkConnectionName(input.name, `${base}.name`);
  if (input.url === null) throw new BadInputError(`${base}.url: cannot be cleared`, { path: `${base}.url` });
  const split: Partial<SplitUrl> = input.url === undefined ? {} : splitPostgresUrl(input.url, `${base}.url`);
  const creds = credentials(split, { username: input.username, password: input.password }, base);
  const changes: Partial<typeof connections.$inferInsert> = { updatedAt: new Date() };
  if (split.url !== undefined) changes.url = split.url;
  if (input.username !== undefined || split.username) changes.username = creds.username;
  if (input.password !== undefined || split.password) {
    changes.secret = creds.password === null ? null : secrets.seal(creds.password);
  }
  if (input.options !== undefined) changes.options = checkConnectionOptions(input.options, `${base}.options`);
  if (input.description !== undefined)
    changes.description = checkText(input.description, `${base}.description`);
  return database.db.transaction(async (tx) => {
    const [row] = await tx.update(connections).set(changes).where(eq(connections.name, name)).returning();
    if (!row) throw new NotFoundError('connection', name);
    const fields = Object.keys(changes).filter((k) => k !== 'updatedAt' && k !== 'secret');
    if ('secret' in changes) fields.push('password');
    await tx
      .insert(auditEvents)
      .values({ actor, action: 'connection:update', target: name, details: { fields } });
    return row;
  });
}

/** Names of the live jobs whose current version names the connection. */
async function jobsUsing(executor: Executor, name: string): Promise<string[]> {
  const rows = await executor
    .selectDistinct({ name: jobs.name })
    .from(jobs)
    .innerJoin(jobVersions, and(eq(jobVersions.jobId, jobs.id), eq(jobVersions.version, jobs.currentVersion)))
    .innerJoin(vertices, eq(vertices.jobVersionId, jobVersions.id))
    .where(and(isNull(jobs.deletedAt), sql`${vertices.config}->>'connection' = ${name}`))
    .orderBy(asc(jobs.name));
  return rows.map((r) => r.name);
}

/** Refused with CONFLICT while a job's current version names it: the job would fail at its next run. */
export async function deleteConnection(
  database: Database,
  name: string,
  actor: string,
): Promise<ConnectionRow> {
  return database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(connections).where(eq(connections.name, name)).for('update');
    if (!row) throw new NotFoundError('connection', name);
    const users = await jobsUsing(tx, name);
    if (users.length > 0) {
      throw new ConflictError(
        `the connection ${JSON.stringify(name)} is used by ${users.length === 1 ? 'the job' : 'the jobs'} ${users.map((u) => JSON.stringify(u)).join(', ')}; change or delete ${users.length === 1 ? 'it' : 'them'} first`,
        { details: { jobs: users } },
      );
    }
    await tx.delete(connections).where(eq(connections.id, row.id));
    await tx.insert(auditEvents).values({ actor, action: 'connection:delete', target: name });
    return row;
  });
}

export async function listConnections(database: Database): Promise<ConnectionRow[]> {
  return database.db.select().from(connections).orderBy(asc(connections.name));
}

/** The names among `names` that are not connections. */
export async function missingConnections(executor: Executor, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await executor
    .select({ name: connections.name })
    .from(connections)
    .where(inArray(connections.name, names));
  const known = new Set(rows.map((r) => r.name));
  return names.filter((n) => !known.has(n));
}

/** The connection with its secret opened, for a plugin on the node about to connect. */
export async function resolveConnection(
  database: Database,
  secrets: SecretBox,
  name: string,
): Promise<ResolvedConnection> {
  const [row] = await database.db.select().from(connections).where(eq(connections.name, name));
  if (!row) throw new Error(`no connection named ${JSON.stringify(name)} (it was deleted or renamed)`);
  let password: string | undefined;
  if (row.secret) {
    try {
      password = secrets.open(row.secret);
    } catch (err) {
      throw new Error(
        `the secret of connection ${JSON.stringify(name)} cannot be opened: ${(err as Error).message}`,
      );
    }
  }
  return {
    name: row.name,
    kind: row.kind,
    url: row.url,
    username: row.username ?? undefined,
    password,
    options: row.options,
  };
}
