/**
 * Jdbc sink for PostgreSQL, exactly-once.
 *
 * Options: `connection` (a named connection) or, admins only, `url` (postgresql://… or
 * jdbc:postgresql://…), `user`, `password`; timeouts (see jdbc-connection.ts); `table` (required, may be
 * schema-qualified), `schema` (optional, qualifies a bare table), `database` (optional, overrides the
 * URL's), `primary_keys` (list: upsert with `insert … on conflict (pk) do update`; without it a plain
 * insert; `enable_upsert: false` forces plain inserts), `batch_size` (default 1000).
 *
 * Rows are buffered; once `batch_size` rows are waiting (and at every flush) the whole buffer is written
 * as multi-row inserts in ONE transaction that also upserts the write's source positions into
 * `jobgate_sink_offsets(commit_key, split, position, committed_at)` of the target database (created if
 * missing). So a stored position always means "every row before it is in the table"; rows still in
 * the buffer never have their positions stored. `committedPositions()` reads them back for the
 * context's commitKey, and a source restored from them re-reads exactly the rows not yet written.
 * The inserted columns are the fields of the first buffered row; missing fields are written as null.
 */
import type postgres from 'postgres';
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type { PluginContext, Row, SinkPlugin, SinkWriter, SplitPosition } from './types.ts';
import {
  hasOption,
  quoteIdent,
  quoteQualified,
  readBoolean,
  readInt,
  readString,
  readStringList,
  requireString,
  type Options,
} from './options.ts';
import {
  JDBC_ADMIN_ONLY_OPTIONS,
  openJdbcSession,
  parseJdbcConnection,
  type JdbcConnection,
  type JdbcSession,
} from './jdbc-connection.ts';
import { pgErrorCode, PG_UNIQUE_VIOLATION } from '../../lib/errors.ts';

const MAX_PARAMETERS = 65_535; // the protocol's limit per statement
const PG_DUPLICATE_TABLE = '42P07';

interface JdbcSinkConfig {
  connection: JdbcConnection;
  table: string;
  primaryKeys: string[];
  batchSize: number;
}

function parseJdbcSinkOptions(options: Options): JdbcSinkConfig {
  const connection = parseJdbcConnection(options);
  if (hasOption(options, 'query')) {
    throw new PluginConfigError('query', 'is not supported; set table (and primary_keys for upserts)');
  }
  const table = requireString(options, 'table');
  const schema = readString(options, 'schema');
  const upsert = readBoolean(options, 'enable_upsert') ?? true;
  const primaryKeys = readStringList(options, 'primary_keys') ?? [];
  return {
    connection,
    table:
      schema && !table.includes('.') ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteQualified(table),
    primaryKeys: upsert ? primaryKeys : [],
    batchSize: readInt(options, 'batch_size', { min: 1, max: 1_000_000 }) ?? 1000,
  };
}

const CREATE_OFFSETS = `create table if not exists jobgate_sink_offsets (
  commit_key text not null,
  split int not null,
  position jsonb not null,
  committed_at timestamptz not null default now(),
  primary key (commit_key, split)
)`;

const UPSERT_OFFSETS = `insert into jobgate_sink_offsets (commit_key, split, position, committed_at)
select $1, t.split, t.position::jsonb, now() from unnest($2::int[], $3::text[]) as t(split, position)
on conflict (commit_key, split) do update set position = excluded.position, committed_at = excluded.committed_at`;

class JdbcWriter implements SinkWriter {
  private buffer: Row[] = [];
  private committed = '';
  /** Statement text by (columns, row count), so full batches reuse one prepared statement. */
  private readonly statements = new Map<string, string>();

  private readonly sql: postgres.Sql;

  constructor(
    private readonly session: JdbcSession,
    private readonly config: JdbcSinkConfig,
    private readonly ctx: PluginContext,
  ) {
    this.sql = session.sql;
  }

  async write(rows: Row[], positions: Record<number, SplitPosition>): Promise<void> {
    const buffer = this.buffer;
    for (let i = 0; i < rows.length; i++) buffer.push(rows[i] as Row);
    if (buffer.length >= this.config.batchSize) await this.commit(positions);
  }

  async flush(positions: Record<number, SplitPosition>): Promise<void> {
    await this.commit(positions);
  }

  /** Writes the whole buffer and the positions after it in one transaction. */
  private async commit(positions: Record<number, SplitPosition>): Promise<void> {
    const splits = Object.keys(positions).map(Number);
    const encoded = splits.map((s) => JSON.stringify(positions[s]));
    const key = `${splits.join(',')}|${encoded.join(',')}`;
    // An empty buffer means every row up to `positions` is already durable, so storing them is correct;
    // skip it only when nothing moved.
    if (this.buffer.length === 0 && key === this.committed) return;
    const rows = this.config.primaryKeys.length > 0 ? this.lastPerKey(this.buffer) : this.buffer;
    this.buffer = [];
    await this.session.ready();
    try {
      await this.sql.begin((tx) => [
        ...this.inserts(tx, rows),
        tx.unsafe(UPSERT_OFFSETS, [this.ctx.commitKey, splits, encoded], { prepare: true }),
      ]);
    } catch (err) {
      throw new PluginRuntimeError(
        `Jdbc sink could not write ${rows.length} rows to ${this.config.table}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.committed = key;
  }

  private inserts(tx: postgres.TransactionSql, rows: Row[]): postgres.PendingQuery<postgres.Row[]>[] {
    if (rows.length === 0) return [];
    const columns = Object.keys(rows[0] as Row);
    if (columns.length === 0) throw new PluginRuntimeError('Jdbc sink got a row without fields');
    const width = columns.length;
    const chunk = Math.max(1, Math.min(this.config.batchSize, Math.floor(MAX_PARAMETERS / width)));
    const queries: postgres.PendingQuery<postgres.Row[]>[] = [];
    for (let start = 0; start < rows.length; start += chunk) {
      const end = Math.min(rows.length, start + chunk);
      const params: unknown[] = new Array((end - start) * width);
      let p = 0;
      for (let r = start; r < end; r++) {
        const row = rows[r] as Row;
        for (let c = 0; c < width; c++) {
          const value = row[columns[c] as string];
          params[p++] = value === undefined ? null : value;
        }
      }
      queries.push(tx.unsafe(this.statement(columns, end - start), params as never[], { prepare: true }));
    }
    return queries;
  }

  private statement(columns: string[], count: number): string {
    const cacheKey = `${count}\u0000${columns.join('\u0000')}`;
    let text = this.statements.get(cacheKey);
    if (text !== undefined) return text;
    const width = columns.length;
    const tuples: string[] = new Array(count);
    for (let r = 0; r < count; r++) {
      const slots: string[] = new Array(width);
      for (let c = 0; c < width; c++) slots[c] = `$${r * width + c + 1}`;
      tuples[r] = `(${slots.join(',')})`;
    }
    text = `insert into ${this.config.table} (${columns.map(quoteIdent).join(',')}) values ${tuples.join(',')}`;
    const pks = this.config.primaryKeys;
    if (pks.length > 0) {
      const updates = columns
        .filter((c) => !pks.includes(c))
        .map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`);
      text += ` on conflict (${pks.map(quoteIdent).join(',')}) do ${updates.length > 0 ? `update set ${updates.join(',')}` : 'nothing'}`;
    }
    if (this.statements.size > 64) this.statements.clear();
    this.statements.set(cacheKey, text);
    return text;
  }

  /** One upsert cannot touch a row twice, so a batch keeps only the last row of each key. */
  private lastPerKey(rows: Row[]): Row[] {
    const pks = this.config.primaryKeys;
    const byKey = new Map<unknown, Row>();
    for (const row of rows) {
      const key = pks.length === 1 ? row[pks[0] as string] : JSON.stringify(pks.map((k) => row[k]));
      byKey.delete(key);
      byKey.set(key, row);
    }
    return byKey.size === rows.length ? rows : [...byKey.values()];
  }

  async committedPositions(): Promise<Record<number, SplitPosition>> {
    await this.session.ready();
    const rows = await this.sql<{ split: number; position: SplitPosition }[]>`
      select split, position from jobgate_sink_offsets where commit_key = ${this.ctx.commitKey}`;
    const out: Record<number, SplitPosition> = {};
    for (const row of rows) out[row.split] = row.position;
    return out;
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

async function ensureOffsetsTable(sql: postgres.Sql): Promise<void> {
  try {
    await sql.unsafe(CREATE_OFFSETS);
  } catch (err) {
    // Two subtasks creating it at once: one wins, the other sees a duplicate; the table exists.
    const code = pgErrorCode(err);
    if (code !== PG_UNIQUE_VIOLATION && code !== PG_DUPLICATE_TABLE) throw err;
  }
}

export const jdbcSink: SinkPlugin = {
  name: 'Jdbc',
  exactlyOnce: true,
  adminOnlyOptions: JDBC_ADMIN_ONLY_OPTIONS,
  validate(options) {
    parseJdbcSinkOptions(options);
  },
  async open(options, ctx) {
    const config = parseJdbcSinkOptions(options);
    const session = await openJdbcSession(config.connection, ctx);
    try {
      await ensureOffsetsTable(session.sql);
    } catch (err) {
      await session.close().catch(() => {});
      throw new PluginRuntimeError(`Jdbc sink cannot prepare ${session.label}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    ctx.logger.debug(
      { vertex: ctx.vertex, table: config.table, upsert: config.primaryKeys.length > 0 },
      'jdbc sink open',
    );
    return new JdbcWriter(session, config, ctx);
  },
};
