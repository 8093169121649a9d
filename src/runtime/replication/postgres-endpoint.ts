// PostgreSQL as a replication source (rows by primary key; changes through a logical replication
// slot and a publication per job, pgoutput) and as a destination (upserts; the applied changes
// committed with the position in one transaction). Values travel as text, so nothing is
// reinterpreted (time zones, numeric precision) on the way.
import postgres from 'postgres';
import type { Row } from '../plugins/types.ts';
import { ReplicationSetupError } from './replication-errors.ts';
import {
  STATE_SCHEMA,
  STATE_TABLE,
  type Change,
  type ChangeStream,
  type ColumnDef,
  type DestinationEndpoint,
  type EndpointScope,
  type Position,
  type ReplicationState,
  type SourceEndpoint,
  type SourceTransaction,
  type TableDef,
  type TableName,
} from './endpoint-types.ts';
import { columnGroups, groupChanges } from './group-changes.ts';
import { postgresTypeFor } from './type-mapping.ts';

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

const CONNECT_TIMEOUT_S = 10;

export const quotePg = (name: string) => '"' + name.replace(/"/g, '""') + '"';
const qualified = (t: TableName) => `${quotePg(t.schema)}.${quotePg(t.table)}`;
const stateTable = `${quotePg(STATE_SCHEMA)}.${quotePg(STATE_TABLE)}`;

/** The slot and publication of a job: a name PostgreSQL accepts (lowercase, under 64 chars). */
export const slotNameFor = (jobId: string) => `jobgate_${jobId.replace(/[^0-9a-f]/gi, '').toLowerCase()}`;

export function connectPostgres(target: PostgresTarget) {
  return postgres({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password ?? '',
    database: target.database,
    connect_timeout: CONNECT_TIMEOUT_S,
    max: 1,
    idle_timeout: 60,
    onnotice: () => undefined,
    // Dates, numerics and the rest come back as the server prints them.
    types: {},
    transform: { undefined: null },
    connection: { application_name: 'jobgate-replication' },
    fetch_types: false,
  });
}

type Sql = ReturnType<typeof connectPostgres>;

export class PostgresEndpoint implements SourceEndpoint, DestinationEndpoint {
  readonly type = 'postgres' as const;

  private constructor(
    private readonly sql: Sql,
    private readonly target: PostgresTarget,
  ) {}

  static async open(target: PostgresTarget): Promise<PostgresEndpoint> {
    const sql = connectPostgres(target);
    try {
      await sql`select 1`;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => undefined);
      throw new ReplicationSetupError(
        `cannot connect to PostgreSQL at ${target.host}:${target.port}/${target.database} as ${target.user}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new PostgresEndpoint(sql, target);
  }

  /** The server's identity, to refuse jobgate's own database. */
  async identity(): Promise<{ systemIdentifier: string; database: string }> {
    const [row] = await this.sql<{ system_identifier: string; database: string }[]>`
      select system_identifier::text as system_identifier, current_database()::text as database
        from pg_control_system()`;
    return { systemIdentifier: row!.system_identifier, database: row!.database };
  }

  async scope(): Promise<EndpointScope> {
    const { systemIdentifier, database } = await this.identity();
    const { host, port } = this.target;
    return { server: systemIdentifier, database, label: `postgres ${host}:${port}/${database}` };
  }

  async checkSettings(): Promise<void> {
    const [wal] = await this.sql<{ wal_level: string }[]>`show wal_level`;
    if (wal?.wal_level !== 'logical')
      throw new ReplicationSetupError(
        `the source's wal_level is ${wal?.wal_level}, not logical: set wal_level = logical and restart PostgreSQL`,
      );
    const [role] = await this.sql<{ ok: boolean }[]>`
      select rolreplication or rolsuper as ok from pg_roles where rolname = current_user`;
    if (!role?.ok)
      throw new ReplicationSetupError(
        `the source role ${this.target.user} lacks the REPLICATION attribute (ALTER ROLE ... REPLICATION)`,
      );
    const [slots] = await this.sql<{ max_replication_slots: string }[]>`show max_replication_slots`;
    if (Number(slots?.max_replication_slots) < 1)
      throw new ReplicationSetupError(
        'the source has max_replication_slots = 0: raise it and restart PostgreSQL',
      );
  }

  async listTables(): Promise<TableName[]> {
    const rows = await this.sql<{ s: string; t: string }[]>`
      select table_schema as s, table_name as t from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema', ${STATE_SCHEMA})
         and table_schema not like 'pg\\_%' order by 1, 2`;
    return rows.map((r) => ({ schema: r.s, table: r.t }));
  }

  async describe(name: TableName): Promise<TableDef | undefined> {
    const cols = await this.sql<{ name: string; type: string; nullable: boolean; key: number | null }[]>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
             array_position(i.indkey::int2[], a.attnum) as key
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_index i on i.indrelid = c.oid and i.indisprimary
       where n.nspname = ${name.schema} and c.relname = ${name.table} and a.attnum > 0 and not a.attisdropped
       order by a.attnum`;
    if (cols.length === 0) return undefined;
    return {
      ...name,
      columns: cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
      primaryKey: cols
        .filter((c) => c.key !== null)
        .sort((a, b) => a.key! - b.key!)
        .map((c) => c.name),
    };
  }

  async scan(def: TableDef, after: Row | undefined, limit: number): Promise<Row[]> {
    const key = def.primaryKey.map(quotePg).join(', ');
    const select = def.columns.map((c) => `${quotePg(c.name)}::text as ${quotePg(c.name)}`).join(', ');
    const where = after ? `where (${key}) > (${def.primaryKey.map((_, i) => `$${i + 1}`).join(', ')})` : '';
    const params = after ? def.primaryKey.map((k) => after[k] as string) : [];
    const rows = await this.sql.unsafe(
      `select ${select} from ${qualified(def)} ${where} order by ${key} limit ${Math.floor(limit)}`,
      params,
    );
    return rows as unknown as Row[];
  }

  async startPosition(jobId: string, tables: TableDef[], fresh: boolean): Promise<Position> {
    const slot = slotNameFor(jobId);
    await this.ensurePublication(slot, tables);
    const [existing] = await this.sql<{ lsn: string | null }[]>`
      select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = ${slot}`;
    if (existing && !fresh) return { lsn: existing.lsn ?? '0/0' };
    if (existing) await this.sql`select pg_drop_replication_slot(${slot})`;
    const [created] = await this.sql<{ lsn: string }[]>`
      select lsn::text as lsn from pg_create_logical_replication_slot(${slot}, 'pgoutput')`;
    return { lsn: created!.lsn };
  }

  private async ensurePublication(name: string, tables: TableDef[]): Promise<void> {
    const list = tables.map(qualified).join(', ');
    const [exists] = await this.sql`select 1 from pg_publication where pubname = ${name}`;
    if (tables.length === 0) {
      if (!exists) await this.sql.unsafe(`create publication ${quotePg(name)}`);
      return;
    }
    await this.sql.unsafe(
      exists
        ? `alter publication ${quotePg(name)} set table ${list}`
        : `create publication ${quotePg(name)} for table ${list}`,
    );
  }

  async streamChanges(
    jobId: string,
    from: Position,
    tables: TableDef[],
    onTransaction: (tx: SourceTransaction) => void,
  ): Promise<ChangeStream> {
    const slot = slotNameFor(jobId);
    await this.ensurePublication(slot, tables);
    const [existing] = await this.sql`select 1 from pg_replication_slots where slot_name = ${slot}`;
    if (!existing)
      throw new ReplicationSetupError(
        `the replication slot ${slot} is gone from the source (dropped by hand?): delete the job and create it again for a new full copy`,
      );
    // pg and pg-logical-replication load only when a replication streams from PostgreSQL.
    const { streamPgoutput } = await import('./postgres-changes.ts');
    return streamPgoutput(this.target, slot, from.lsn ?? '0/0', onTransaction);
  }

  async forget(jobId: string): Promise<void> {
    const slot = slotNameFor(jobId);
    await this.sql`
      select pg_drop_replication_slot(slot_name) from pg_replication_slots
       where slot_name = ${slot} and not active`.catch(() => undefined);
    await this.sql.unsafe(`drop publication if exists ${quotePg(slot)}`).catch(() => undefined);
    await this.sql.unsafe(`delete from ${stateTable} where job_id = $1`, [jobId]).catch(() => undefined);
  }

  async ensureTable(def: TableDef, sourceType: 'mysql' | 'postgres'): Promise<void> {
    await this.sql.unsafe(`create schema if not exists ${quotePg(def.schema)}`);
    const columns = def.columns.map(
      (c) =>
        `${quotePg(c.name)} ${sourceType === 'postgres' ? c.type : postgresTypeFor(c.type)}${c.nullable ? '' : ' not null'}`,
    );
    const key = def.primaryKey.length ? `, primary key (${def.primaryKey.map(quotePg).join(', ')})` : '';
    await this.sql.unsafe(`create table if not exists ${qualified(def)} (${columns.join(', ')}${key})`);
  }

  /** An upsert of `count` rows writing `columns` only: a column a row lacks keeps its value. */
  private upsertSql(def: TableDef, columns: ColumnDef[], count: number): string {
    const cols = columns.map((c) => quotePg(c.name));
    const width = cols.length;
    const tuples = Array.from(
      { length: count },
      (_, r) => `(${cols.map((_c, i) => `$${r * width + i + 1}`).join(', ')})`,
    );
    const updates = columns
      .filter((c) => !def.primaryKey.includes(c.name))
      .map((c) => `${quotePg(c.name)} = excluded.${quotePg(c.name)}`);
    const conflict = `on conflict (${def.primaryKey.map(quotePg).join(', ')}) ${updates.length ? `do update set ${updates.join(', ')}` : 'do nothing'}`;
    return `insert into ${qualified(def)} (${cols.join(', ')}) values ${tuples.join(', ')} ${conflict}`;
  }

  async upsertRows(def: TableDef, rows: Row[], sql: postgres.Sql = this.sql): Promise<void> {
    for (const group of columnGroups(def, rows)) {
      // PostgreSQL takes at most 65535 parameters per statement.
      const per = Math.max(1, Math.floor(60_000 / Math.max(1, group.columns.length)));
      for (let i = 0; i < group.rows.length; i += per) {
        const chunk = group.rows.slice(i, i + per);
        const values = chunk.flatMap((r) => group.columns.map((c) => textOf(r[c.name])));
        await sql.unsafe(this.upsertSql(def, group.columns, chunk.length), values as never[]);
      }
    }
  }

  async applyChanges(
    defs: Map<string, TableDef>,
    changes: Change[],
    jobId: string,
    state: ReplicationState,
  ): Promise<void> {
    await this.sql.begin(async (tx) => {
      const sql = tx as unknown as postgres.Sql;
      for (const statement of groupChanges(defs, changes)) {
        if (statement.kind === 'upsert') await this.upsertRows(statement.def, statement.rows, sql);
        else await this.deleteRows(statement.def, statement.rows, sql);
      }
      await this.saveState(tx as unknown as postgres.Sql, jobId, state);
    });
  }

  private async deleteRows(def: TableDef, rows: Row[], sql: postgres.Sql): Promise<void> {
    const width = def.primaryKey.length;
    const per = Math.max(1, Math.floor(60_000 / width));
    const key = def.primaryKey.map(quotePg).join(', ');
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const tuples = chunk.map(
        (_, r) => `(${def.primaryKey.map((_k, c) => `$${r * width + c + 1}`).join(', ')})`,
      );
      await sql.unsafe(
        `delete from ${qualified(def)} where (${key}) in (${tuples.join(', ')})`,
        chunk.flatMap((row) => def.primaryKey.map((k) => textOf(row[k]))) as never[],
      );
    }
  }

  private async saveState(sql: postgres.Sql, jobId: string, state: ReplicationState): Promise<void> {
    await sql.unsafe(
      `insert into ${stateTable} (job_id, full_done, position) values ($1, $2, $3)
       on conflict (job_id) do update set full_done = excluded.full_done, position = excluded.position,
                                          updated_at = now()`,
      [jobId, state.fullDone, JSON.stringify(state.position)],
    );
  }

  private async ensureStateTable(): Promise<void> {
    await this.sql.unsafe(`create schema if not exists ${quotePg(STATE_SCHEMA)}`);
    await this.sql.unsafe(
      `create table if not exists ${stateTable} (job_id text primary key, full_done boolean not null,
         position text not null, updated_at timestamptz not null default now())`,
    );
  }

  async readState(jobId: string): Promise<ReplicationState | undefined> {
    await this.ensureStateTable();
    const [row] = await this.sql.unsafe<{ full_done: boolean | string; position: string }[]>(
      `select full_done::text as full_done, position from ${stateTable} where job_id = $1`,
      [jobId],
    );
    if (!row) return undefined;
    return { fullDone: row.full_done === 'true', position: JSON.parse(row.position) as Position };
  }

  async writeState(jobId: string, state: ReplicationState): Promise<void> {
    await this.ensureStateTable();
    await this.saveState(this.sql, jobId, state);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 2 }).catch(() => undefined);
  }
}

/** A value as PostgreSQL text: what MySQL's driver or pgoutput gave, written back exactly. */
function textOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return '\\x' + value.toString('hex');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
