/**
 * Jdbc source for PostgreSQL.
 *
 * Options: `connection` (a named connection) or, admins only, `url` (postgresql://… or
 * jdbc:postgresql://…), `user`, `password`; timeouts (see jdbc-connection.ts); exactly one of `table`
 * (alias `table_path`, may be schema-qualified) or `query`; `fetch_size` (rows per page, default
 * 1000); `partition_column` with `split.num` (alias `partition_num`, default the parallelism);
 * `incremental_column`; `poll_interval_ms` (streaming polls, default 1000).
 *
 * Splits: without `partition_column` there is one split. With it, split s holds the rows where
 * `mod(abs(hashtext(col::text)), split count) = s` (nulls go to split 0): any column type works and
 * splits are balanced without knowing the value range.
 *
 * Reading:
 * - With `incremental_column` (snapshot, then incremental): pages are read in the column's order by
 *   keyset (`col > last`), position `{ last }`. Bounded jobs stop once caught up (job_stage_full);
 *   streaming jobs then poll for rows past `last` (job_stage_incr). Rows whose incremental value is
 *   null are never read. Rows sharing one value are emitted together, so such a batch can exceed the
 *   requested size when more than a page of rows share a value.
 * - Without it: one cursor per split, position `{ offset }` (rows emitted). A resume skips that many
 *   rows, which is exact only when the query has a stable order (give `query` an ORDER BY).
 * Date and time columns arrive as Postgres text (exact to the microsecond); bigint and numeric as
 * strings (postgres.js's default).
 */
import type postgres from 'postgres';
import { PluginConfigError, PluginRuntimeError } from './types.ts';
import type {
  Json,
  PluginContext,
  ReadResult,
  Row,
  SourcePlugin,
  SourceReader,
  SplitPosition,
} from './types.ts';
import {
  exactlyOne,
  hasOption,
  quoteIdent,
  quoteQualified,
  readInt,
  readString,
  type Options,
} from './options.ts';
import {
  JDBC_ADMIN_ONLY_OPTIONS,
  openJdbcSession,
  parseJdbcConnection,
  type JdbcConnection,
  type JdbcSession,
} from './jdbc-connection.ts';

interface JdbcSourceConfig {
  connection: JdbcConnection;
  /** A SELECT the reader wraps as `(…) as src`. */
  baseQuery: string;
  partitionColumn?: string;
  splitNum?: number;
  incrementalColumn?: string;
  fetchSize: number;
  pollIntervalMs: number;
}

function parseJdbcSourceOptions(options: Options): JdbcSourceConfig {
  const connection = parseJdbcConnection(options);
  const tableKey = hasOption(options, 'table_path') && !hasOption(options, 'table') ? 'table_path' : 'table';
  const which = exactlyOne(options, [tableKey, 'query']);
  let baseQuery: string;
  if (which === 'query') {
    baseQuery = (readString(options, 'query') as string).trim().replace(/;+\s*$/, '');
    if (baseQuery === '') throw new PluginConfigError('query', 'must not be empty');
  } else {
    baseQuery = `select * from ${quoteQualified(readString(options, tableKey) as string)}`;
  }
  const partitionColumn = readString(options, 'partition_column');
  const splitKey = hasOption(options, 'split.num') ? 'split.num' : 'partition_num';
  const splitNum = readInt(options, splitKey, { min: 1, max: 100_000 });
  if (splitNum !== undefined && !partitionColumn) {
    throw new PluginConfigError(splitKey, 'needs partition_column (the column rows are split by)');
  }
  return {
    connection,
    baseQuery,
    partitionColumn,
    splitNum,
    incrementalColumn: readString(options, 'incremental_column'),
    fetchSize: readInt(options, 'fetch_size', { min: 1, max: 1_000_000 }) || 1000,
    pollIntervalMs: readInt(options, 'poll_interval_ms', { min: 0 }) ?? 1000,
  };
}

interface SplitState {
  split: number;
  /** Incremental mode: the incremental value of the last row emitted. */
  last: Json;
  /** Cursor mode: rows emitted. */
  offset: number;
  /** Incremental mode: the last page was short, so the split is read up to now. */
  caughtUp: boolean;
  lastPollAt: number;
  done: boolean;
  cursor?: AsyncIterator<Row[]>;
  buffer: Row[];
}

class JdbcReader implements SourceReader {
  readonly splits: readonly number[];
  private readonly states: SplitState[];
  private readonly from: string;
  private next = 0;
  private stageLogged = false;

  private readonly sql: postgres.Sql;

  constructor(
    private readonly session: JdbcSession,
    private readonly config: JdbcSourceConfig,
    private readonly splitCount: number,
    private readonly bounded: boolean,
    private readonly ctx: PluginContext,
    splits: number[],
    restore: Record<number, SplitPosition> | undefined,
  ) {
    this.sql = session.sql;
    this.splits = splits;
    this.from = `from (${config.baseQuery}) as src`;
    this.states = splits.map((split) =>
      restoreState(split, restore?.[split], config.incrementalColumn !== undefined),
    );
  }

  private splitFilter(split: number): string {
    const column = this.config.partitionColumn;
    if (!column || this.splitCount <= 1) return 'true';
    // bigint before abs(): abs(int4 min) would overflow.
    return `mod(abs(coalesce(hashtext((src.${quoteIdent(column)})::text), 0)::bigint), ${this.splitCount}) = ${split}`;
  }

  async read(max: number): Promise<ReadResult> {
    await this.session.ready();
    try {
      return this.config.incrementalColumn !== undefined
        ? await this.readIncremental(Math.max(1, max), this.config.incrementalColumn)
        : await this.readCursor(Math.max(1, max));
    } catch (err) {
      if (err instanceof PluginRuntimeError) throw err;
      throw new PluginRuntimeError(`Jdbc source query failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private async readIncremental(max: number, column: string): Promise<ReadResult> {
    const limit = Math.min(max, this.config.fetchSize);
    const now = performance.now();
    for (let k = 0; k < this.states.length; k++) {
      const index = (this.next + k) % this.states.length;
      const state = this.states[index] as SplitState;
      if (state.caughtUp && (this.bounded || now - state.lastPollAt < this.config.pollIntervalMs)) continue;
      const { rows, full } = await this.fetchPage(state, column, limit);
      state.caughtUp = !full;
      if (!full) state.lastPollAt = performance.now();
      if (rows.length > 0) {
        this.next = index + 1;
        return { kind: 'rows', rows };
      }
    }
    if (this.states.every((s) => s.caughtUp)) {
      if (this.bounded) return { kind: 'end' };
      if (!this.stageLogged) {
        this.stageLogged = true;
        this.ctx.logger.info(
          { vertex: this.ctx.vertex, splits: this.splits },
          'jdbc source: job_stage_full done, job_stage_incr',
        );
      }
    }
    return { kind: 'idle' };
  }

  /**
   * A page in the incremental column's order, cut so that rows sharing a value are never split.
   * `full`: the page had `limit` rows, so more may follow at once.
   */
  private async fetchPage(
    state: SplitState,
    column: string,
    limit: number,
  ): Promise<{ rows: Row[]; full: boolean }> {
    const col = `src.${quoteIdent(column)}`;
    const where = `${this.splitFilter(state.split)} and ${col} is not null`;
    const page: Row[] =
      state.last === null
        ? await this.sql.unsafe(`select * ${this.from} where ${where} order by ${col} limit ${limit}`)
        : await this.sql.unsafe(
            `select * ${this.from} where ${where} and ${col} > $1 order by ${col} limit ${limit}`,
            [state.last as string | number],
          );
    if (page.length < limit) {
      if (page.length > 0) state.last = incrementalValue(page[page.length - 1] as Row, column);
      return { rows: page, full: false };
    }
    const boundary = (page[page.length - 1] as Row)[column];
    let cut = page.length - 1;
    while (cut > 0 && (page[cut - 1] as Row)[column] === boundary) cut--;
    if (cut > 0) {
      const rows = page.slice(0, cut);
      state.last = incrementalValue(rows[cut - 1] as Row, column);
      return { rows, full: true };
    }
    // The whole page shares one value: take every row with it, so the next page starts past it.
    const group: Row[] = await this.sql.unsafe(`select * ${this.from} where ${where} and ${col} = $1`, [
      boundary as string | number,
    ]);
    state.last = incrementalValue(page[0] as Row, column);
    return { rows: group, full: true };
  }

  private async readCursor(max: number): Promise<ReadResult> {
    let rows: Row[] = [];
    for (const state of this.states) {
      while (!state.done && rows.length < max) {
        if (state.buffer.length === 0) {
          if (!state.cursor) {
            const query = `select * ${this.from} where ${this.splitFilter(state.split)} offset ${state.offset}`;
            const pages = this.sql.unsafe(query).cursor(this.config.fetchSize);
            state.cursor = pages[Symbol.asyncIterator]() as AsyncIterator<Row[]>;
          }
          const chunk = await state.cursor.next();
          if (chunk.done) {
            state.done = true;
            state.cursor = undefined;
            break;
          }
          state.buffer = chunk.value;
        }
        const take = Math.min(max - rows.length, state.buffer.length);
        const taken = take === state.buffer.length ? state.buffer : state.buffer.slice(0, take);
        state.buffer = take === state.buffer.length ? [] : state.buffer.slice(take);
        rows = rows.length === 0 ? taken : rows.concat(taken);
        state.offset += take;
      }
      if (rows.length >= max) break;
    }
    if (rows.length > 0) return { kind: 'rows', rows };
    return this.bounded ? { kind: 'end' } : { kind: 'idle' };
  }

  positions(): Record<number, SplitPosition> {
    const out: Record<number, SplitPosition> = {};
    const incremental = this.config.incrementalColumn !== undefined;
    for (const s of this.states) out[s.split] = incremental ? { last: s.last } : { offset: s.offset };
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.states) await s.cursor?.return?.();
    await this.session.close();
  }
}

function incrementalValue(row: Row, column: string): Json {
  const value = row[column];
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  throw new PluginRuntimeError(
    `Jdbc source: incremental_column "${column}" must be a number, text, date or time column (got ${JSON.stringify(value)})`,
  );
}

function restoreState(split: number, position: SplitPosition | undefined, incremental: boolean): SplitState {
  const state: SplitState = {
    split,
    last: null,
    offset: 0,
    caughtUp: false,
    lastPollAt: 0,
    done: false,
    buffer: [],
  };
  if (!position) return state;
  if (incremental) {
    const last = position.last;
    if (last !== null && typeof last !== 'string' && typeof last !== 'number') {
      throw new PluginRuntimeError(
        `Jdbc source cannot restore split ${split} from ${JSON.stringify(position)}`,
      );
    }
    state.last = last ?? null;
  } else {
    const offset = position.offset;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw new PluginRuntimeError(
        `Jdbc source cannot restore split ${split} from ${JSON.stringify(position)}`,
      );
    }
    state.offset = offset;
  }
  return state;
}

export const jdbcSource: SourcePlugin = {
  name: 'Jdbc',
  adminOnlyOptions: JDBC_ADMIN_ONLY_OPTIONS,
  validate(options) {
    parseJdbcSourceOptions(options);
  },
  splitCount(options, parallelism) {
    const config = parseJdbcSourceOptions(options);
    return config.partitionColumn ? (config.splitNum ?? parallelism) : 1;
  },
  async open(options, ctx) {
    const config = parseJdbcSourceOptions(options);
    const splits: number[] = [];
    for (let s = ctx.subtaskIndex; s < ctx.splitCount; s += ctx.parallelism) splits.push(s);
    const session = await openJdbcSession(config.connection, ctx);
    ctx.logger.info(
      {
        vertex: ctx.vertex,
        target: session.label,
        splits,
        incremental: config.incrementalColumn ?? null,
      },
      'jdbc source: job_stage_full',
    );
    return new JdbcReader(session, config, ctx.splitCount, ctx.bounded, ctx, splits, ctx.restore);
  },
};
