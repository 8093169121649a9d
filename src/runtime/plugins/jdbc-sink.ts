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
 * with its source positions, upserted into `jobgate_sink_offsets(commit_key, split, position,
 * committed_at)` of the target database (created if missing), in ONE statement (see
 * jdbc-sink-statements.ts). So a stored position always means "every row before it is in the table";
 * rows still in the buffer never have their positions stored. `committedPositions()` reads them back
 * for the context's commitKey, and a source restored from them re-reads exactly the rows not yet written.
 * The inserted columns are the fields of the first buffered row; missing fields are written as null.
 *
 * Exactly `batch_size` rows per commit: positions are only known at the end of a write, so the buffer
 * is never cut inside one; instead `rowsUntilCommit()` tells the executor how many rows to read next,
 * and the buffer fills to exactly `batch_size` at a write's end. Only a transform that emits more rows
 * than it gets can overshoot; that commit then holds the whole buffer. A flush (checkpoint, end of
 * input) commits whatever is buffered.
 *
 * One commit is in flight at a time, while the subtask reads and buffers the next batch; the next
 * commit and a flush wait for it, and its failure fails the next write or flush. A periodic
 * checkpoint does not flush: it records `commitPoint()`, the positions of the newest commit sent,
 * and is acknowledged once that commit is durable (see PipelineRunner.snapshot); only when nothing
 * went out since the previous checkpoint (a slow stream) does it send the partial buffer, without
 * waiting for it.
 */
import type postgres from 'postgres';
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type { PluginContext, Row, SinkCommitPoint, SinkPlugin, SinkWriter, SplitPosition } from './types.ts';
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
import {
  CREATE_OFFSETS,
  InsertStatements,
  MAX_PARAMETERS,
  OFFSET_PARAMETERS,
  UPSERT_OFFSETS,
} from './jdbc-sink-statements.ts';

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

class JdbcWriter implements SinkWriter {
  private buffer: Row[] = [];
  private committed = '';
  /** The commit on its way, if any (true once durable). At most one at a time, so stored positions
   * only move forward. */
  private inflight: Promise<boolean> | null = null;
  /** The newest commit sent: its splits, their encoded positions, and its outcome. */
  private last: { splits: number[]; encoded: string[]; durable: Promise<boolean> } | undefined;
  /** Whether the newest commit is still on its way. */
  private busy = false;
  /** Whether a commit was sent since the previous commitPoint(). */
  private sentSincePoint = false;
  /** Why a commit failed; every later write and flush throws it (the subtask fails). */
  private failure: PluginRuntimeError | null = null;
  private readonly statements: InsertStatements;

  private readonly sql: postgres.Sql;

  constructor(
    private readonly session: JdbcSession,
    private readonly config: JdbcSinkConfig,
    private readonly ctx: PluginContext,
  ) {
    this.sql = session.sql;
    this.statements = new InsertStatements(config.table, config.primaryKeys);
  }

  rowsUntilCommit(): number {
    return Math.max(1, this.config.batchSize - this.buffer.length);
  }

  /** Once `batch_size` rows wait, they go out while the caller produces the next batch; the
   * previous commit is waited for first (a subtask spent ~40% of its time waiting when each
   * commit was awaited before reading on). */
  async write(rows: Row[], positions: Record<number, SplitPosition>): Promise<void> {
    if (this.failure) throw this.failure;
    const buffer = this.buffer;
    for (let i = 0; i < rows.length; i++) buffer.push(rows[i] as Row);
    if (buffer.length < this.config.batchSize) return;
    await this.settle();
    this.startCommit(positions);
  }

  async flush(positions: Record<number, SplitPosition>): Promise<void> {
    await this.settle();
    this.startCommit(positions);
    await this.settle();
  }

  /** Waits for the commit in flight; throws its failure. */
  private async settle(): Promise<void> {
    if (this.inflight) {
      await this.inflight;
      this.inflight = null;
    }
    if (this.failure) throw this.failure;
  }

  /** Sends the whole buffer with the positions after it; returns at once (see settle()). */
  private startCommit(positions: Record<number, SplitPosition>): void {
    const splits = Object.keys(positions).map(Number);
    const encoded = splits.map((s) => JSON.stringify(positions[s]));
    const key = `${splits.join(',')}|${encoded.join(',')}`;
    // An empty buffer means every row up to `positions` is already durable, so storing them is correct;
    // skip it only when nothing moved.
    if (this.buffer.length === 0 && key === this.committed) return;
    const rows = this.config.primaryKeys.length > 0 ? this.lastPerKey(this.buffer) : this.buffer;
    this.buffer = [];
    this.committed = key;
    this.busy = true;
    this.sentSincePoint = true;
    const durable = this.commit(rows, [this.ctx.commitKey, splits, encoded]).then(
      () => {
        this.busy = false;
        return true;
      },
      (err: unknown) => {
        this.busy = false;
        this.failure = new PluginRuntimeError(
          `Jdbc sink could not write ${rows.length} rows to ${this.config.table}: ${(err as Error).message}`,
          { cause: err },
        );
        return false;
      },
    );
    this.inflight = durable;
    this.last = { splits, encoded, durable };
  }

  commitPoint(positions: Record<number, SplitPosition>): SinkCommitPoint | undefined {
    if (this.failure) return undefined;
    // Full batches went out since the previous checkpoint (a fast stream), or one is still on its
    // way: record that. Otherwise the buffer goes now, so rows never wait for a batch to fill.
    if (!this.sentSincePoint && !this.busy) this.startCommit(positions);
    this.sentSincePoint = false;
    const last = this.last;
    if (!last) return undefined;
    const committed: Record<number, SplitPosition> = {};
    last.splits.forEach((split, i) => (committed[split] = JSON.parse(last.encoded[i]!) as SplitPosition));
    return { positions: committed, durable: last.durable };
  }

  /** One autocommitted statement when the batch fits the parameter limit; otherwise (a wide row
   * times a large batch_size) a transaction of chunked inserts and the offsets upsert. */
  private async commit(rows: Row[], offsets: [string, number[], string[]]): Promise<void> {
    await this.session.ready();
    if (rows.length === 0) {
      await this.sql.unsafe(UPSERT_OFFSETS, offsets, { prepare: true });
      return;
    }
    const columns = Object.keys(rows[0] as Row);
    if (columns.length === 0) throw new PluginRuntimeError('Jdbc sink got a row without fields');
    const width = columns.length;
    if (rows.length * width + OFFSET_PARAMETERS <= MAX_PARAMETERS) {
      const params = rowParameters(rows, columns, 0, rows.length, offsets);
      await this.sql.unsafe(this.statements.text(columns, rows.length, true), params as never[], {
        prepare: true,
      });
      return;
    }
    const chunk = Math.max(1, Math.floor(MAX_PARAMETERS / width));
    await this.sql.begin((tx) => {
      const queries: postgres.PendingQuery<postgres.Row[]>[] = [];
      for (let start = 0; start < rows.length; start += chunk) {
        const end = Math.min(rows.length, start + chunk);
        const params = rowParameters(rows, columns, start, end, []);
        const text = this.statements.text(columns, end - start, false);
        queries.push(tx.unsafe(text, params as never[], { prepare: true }));
      }
      queries.push(tx.unsafe(UPSERT_OFFSETS, offsets, { prepare: true }));
      return queries;
    });
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
    // A commit still in flight finishes or fails on its own (the session's end waits for it, a cancel
    // ends it at once); either way the rows and their offsets land together or not at all.
    await this.session.close();
  }
}

/** The bind parameters of rows[start, end): `before` first, then each row's columns in order. */
function rowParameters(
  rows: Row[],
  columns: string[],
  start: number,
  end: number,
  before: unknown[],
): unknown[] {
  const width = columns.length;
  const params: unknown[] = new Array(before.length + (end - start) * width);
  let p = 0;
  for (const value of before) params[p++] = value;
  for (let r = start; r < end; r++) {
    const row = rows[r] as Row;
    for (let c = 0; c < width; c++) {
      const value = row[columns[c] as string];
      params[p++] = value === undefined ? null : value;
    }
  }
  return params;
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
