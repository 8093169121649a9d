/**
 * The connection options shared by the Jdbc source and sink, and the one way they connect.
 *
 * A job names an admin-defined connection (`connection: "warehouse"`); only admins may give a raw
 * `url` / `user` / `password` / `database` instead (see JDBC_ADMIN_ONLY_OPTIONS). Every connection:
 * - has a connect timeout, a statement timeout (the server's `statement_timeout`) and an idle timeout
 *   (defaults below; a connection's options or the job's options may set them);
 * - never falls back to the process's PG* environment for its password, and takes no startup
 *   parameters from the URL (only sslmode), so nothing in a URL can lift the statement timeout;
 * - is checked, on every (re)connect, not to be jobgate's own database by server identity;
 * - closes at once when its subtask is cancelled.
 */
import postgres from 'postgres';
import { exactlyOne, hasOption, readInt, readPostgresUrl, readString, type Options } from './options.ts';
import { PluginConfigError, PluginRuntimeError, type PluginContext } from './types.ts';
import { CONNECTION_OPTION_BOUNDS } from '../connections/connection-input.ts';
import { IDENTITY_QUERY, sameDatabase } from '../connections/database-identity.ts';
import { redactUrl } from '../../lib/logger.ts';

/** Options only admins may put in a job: they choose the target or carry its credentials. */
export const JDBC_ADMIN_ONLY_OPTIONS = ['url', 'user', 'username', 'password', 'database'] as const;

export interface JdbcTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_JDBC_TIMEOUTS: JdbcTimeouts = {
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 300_000,
  idleTimeoutMs: 60_000,
};

const TIMEOUT_OPTIONS: Record<keyof JdbcTimeouts, string> = {
  connectTimeoutMs: 'connect_timeout_ms',
  statementTimeoutMs: 'statement_timeout_ms',
  idleTimeoutMs: 'idle_timeout_ms',
};

/** Where a Jdbc plugin connects: a named connection, or (admins only) a raw URL. */
export interface JdbcConnection {
  connection?: string;
  /** postgresql://… with any `jdbc:` prefix removed. */
  url?: string;
  user?: string;
  password?: string;
  /** Overrides the database of the URL (SeaTunnel's sink `database` option). */
  database?: string;
  timeouts: Partial<JdbcTimeouts>;
}

function readTimeouts(options: Options): Partial<JdbcTimeouts> {
  const out: Partial<JdbcTimeouts> = {};
  for (const [field, option] of Object.entries(TIMEOUT_OPTIONS) as [keyof JdbcTimeouts, string][]) {
    const value = readInt(options, option, CONNECTION_OPTION_BOUNDS[option]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function parseJdbcConnection(options: Options): JdbcConnection {
  const which = exactlyOne(options, ['url', 'connection']);
  const database = readString(options, 'database');
  const timeouts = readTimeouts(options);
  if (which === 'connection') {
    for (const key of ['user', 'username', 'password']) {
      if (hasOption(options, key)) {
        throw new PluginConfigError(
          key,
          'cannot be combined with connection (its credentials come from the connection)',
        );
      }
    }
    return { connection: readString(options, 'connection'), database, timeouts };
  }
  const url = readPostgresUrl(options, 'url');
  for (const key of new URL(url).searchParams.keys()) {
    if (key !== 'sslmode') {
      throw new PluginConfigError(
        'url',
        `the parameter ${key} is not supported (only sslmode; timeouts are options)`,
      );
    }
  }
  return {
    url,
    user: readString(options, 'user') ?? readString(options, 'username'),
    password: readString(options, 'password'),
    database,
    timeouts,
  };
}

/** An open Jdbc connection to a verified target. */
export interface JdbcSession {
  sql: postgres.Sql;
  /** The target for messages (no password). */
  label: string;
  /** Resolves once the current physical connection is known not to be jobgate's own database;
   * call it before each unit of work (it queries only after a reconnect). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const TEXT_TIME_TYPES = [1082, 1083, 1114, 1184, 1266]; // date, time, timestamp, timestamptz, timetz

function optionTimeouts(options: Record<string, string>): Partial<JdbcTimeouts> {
  const out: Partial<JdbcTimeouts> = {};
  for (const [field, option] of Object.entries(TIMEOUT_OPTIONS) as [keyof JdbcTimeouts, string][]) {
    if (options[option] !== undefined) out[field] = Number(options[option]);
  }
  return out;
}

function sslOption(mode: string | null): postgres.Options<Record<string, never>>['ssl'] {
  if (mode === null || mode === 'disable') return false;
  return mode as 'require' | 'allow' | 'prefer' | 'verify-full';
}

/**
 * Resolves the target (opening a named connection's secret), connects and checks the target's
 * identity. One connection per subtask is enough: a reader or writer issues one statement at a time.
 * Date and time values stay in Postgres's text form: a JS Date would drop microseconds, which breaks
 * keyset pagination on a timestamp column and round trips between databases.
 */
export async function openJdbcSession(target: JdbcConnection, ctx: PluginContext): Promise<JdbcSession> {
  let url: string;
  let user = target.user;
  let password = target.password;
  let fromConnection: Partial<JdbcTimeouts> = {};
  if (target.connection !== undefined) {
    if (!ctx.connections) throw new PluginRuntimeError('named connections are not available on this node');
    const resolved = await ctx.connections.resolve(target.connection);
    url = resolved.url;
    user = resolved.username;
    password = resolved.password;
    fromConnection = optionTimeouts(resolved.options);
  } else {
    url = target.url!;
  }
  const timeouts = { ...DEFAULT_JDBC_TIMEOUTS, ...fromConnection, ...target.timeouts };
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  parsed.search = '';
  const label =
    target.connection !== undefined
      ? `connection ${JSON.stringify(target.connection)}`
      : redactUrl(parsed.toString());
  let closes = 0;
  let verifiedAt = -1;
  const sql = postgres(parsed.toString(), {
    max: 1,
    user,
    // A function, so an empty password never falls back to the process's PGPASSWORD.
    password: () => password ?? '',
    database: target.database,
    ssl: sslOption(sslmode),
    onnotice: () => {},
    onclose: () => {
      closes++;
    },
    connect_timeout: timeouts.connectTimeoutMs / 1000,
    idle_timeout: timeouts.idleTimeoutMs / 1000,
    connection: { application_name: 'jobgate', statement_timeout: timeouts.statementTimeoutMs },
    transform: { undefined: null },
    types: {
      textTime: {
        to: 1184,
        from: TEXT_TIME_TYPES,
        serialize: (x: unknown) => (x instanceof Date ? x.toISOString() : String(x)),
        parse: (x: string) => x,
      },
    },
  });
  const abort = () => void sql.end({ timeout: 0 }).catch(() => {});
  ctx.signal.addEventListener('abort', abort, { once: true });
  const own = ctx.connections?.ownDatabase ?? null;
  const verify = async () => {
    const at = closes;
    let row: { system_identifier: string; database: string } | undefined;
    try {
      [row] = (await sql.unsafe(IDENTITY_QUERY)) as unknown as {
        system_identifier: string;
        database: string;
      }[];
    } catch (err) {
      throw new PluginRuntimeError(
        `Jdbc cannot connect to ${label} or tell which database it is: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (row && sameDatabase({ systemIdentifier: row.system_identifier, database: row.database }, own!)) {
      throw new PluginRuntimeError(
        `Jdbc refuses ${label}: it is jobgate's own database (same server identity and database ${JSON.stringify(row.database)}); jobs may never read or write it`,
      );
    }
    if (closes === at) verifiedAt = at;
  };
  const session: JdbcSession = {
    sql,
    label,
    ready: () => (own === null || verifiedAt === closes ? Promise.resolve() : verify()),
    close: async () => {
      ctx.signal.removeEventListener('abort', abort);
      await sql.end({ timeout: 5 });
    },
  };
  try {
    await session.ready();
  } catch (err) {
    ctx.signal.removeEventListener('abort', abort);
    await sql.end({ timeout: 0 }).catch(() => {});
    throw err;
  }
  return session;
}
