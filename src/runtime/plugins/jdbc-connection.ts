/**
 * The connection options shared by the Jdbc source and sink. The database is an external one named by
 * the job (not jobgate's own), reached with postgres.js directly.
 */
import postgres from 'postgres';
import { readPostgresUrl, readString, type Options } from './options.ts';

export interface JdbcConnection {
  /** postgresql://… with any `jdbc:` prefix removed. */
  url: string;
  user?: string;
  password?: string;
  /** Overrides the database of the URL (SeaTunnel's sink `database` option). */
  database?: string;
}

export function parseJdbcConnection(options: Options): JdbcConnection {
  return {
    url: readPostgresUrl(options, 'url'),
    user: readString(options, 'user') ?? readString(options, 'username'),
    password: readString(options, 'password'),
    database: readString(options, 'database'),
  };
}

const TEXT_TIME_TYPES = [1082, 1083, 1114, 1184, 1266]; // date, time, timestamp, timestamptz, timetz

/**
 * One connection per subtask is enough: a reader or writer issues one statement at a time.
 * Date and time values stay in Postgres's text form: a JS Date would drop microseconds, which breaks
 * keyset pagination on a timestamp column and round trips between databases.
 */
export function connectPostgres(connection: JdbcConnection): postgres.Sql {
  return postgres(connection.url, {
    max: 1,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    onnotice: () => {},
    connect_timeout: 10,
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
}
