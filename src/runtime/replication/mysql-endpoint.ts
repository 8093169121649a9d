// MySQL/MariaDB as a replication source (rows by primary key, changes from the row binlog) and as a
// destination (upserts, and the applied changes committed with the position in one transaction).
import mysql from 'mysql2/promise';
import type { Row } from '../plugins/types.ts';
import { ReplicationSetupError } from './replication-errors.ts';
import { streamBinlog } from './mysql-changes.ts';
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
import { mysqlTypeFor } from './type-mapping.ts';

export interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database?: string;
}

const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys', STATE_SCHEMA];
export const CONNECT_TIMEOUT_MS = 10_000;

export const quoteMysql = (name: string) => '`' + name.replace(/`/g, '``') + '`';
const qualified = (t: TableName) => `${quoteMysql(t.schema)}.${quoteMysql(t.table)}`;

/** The connection options every replication connection to MySQL/MariaDB uses: values come back
 * as the server wrote them (dates and decimals as text), so nothing is reinterpreted in transit. */
export function mysqlOptions(target: MysqlTarget) {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password ?? '',
    database: target.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
    dateStrings: true as const,
    supportBigNumbers: true,
    bigNumberStrings: true,
    // JSON columns as their text: parsed, an object would be written back as `k` = v assignments.
    jsonStrings: true,
    timezone: 'Z',
    multipleStatements: false,
  };
}

export async function connectMysql(target: MysqlTarget): Promise<mysql.Connection> {
  try {
    const conn = await mysql.createConnection(mysqlOptions(target));
    await conn.query("SET SESSION time_zone = '+00:00'");
    return conn;
  } catch (err) {
    throw new ReplicationSetupError(
      `cannot connect to MySQL at ${target.host}:${target.port} as ${target.user}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function variable(conn: mysql.Connection, name: string): Promise<string | undefined> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW GLOBAL VARIABLES LIKE ?', [name]);
  return rows[0]?.Value as string | undefined;
}

export class MysqlEndpoint implements SourceEndpoint, DestinationEndpoint {
  readonly type = 'mysql' as const;

  private constructor(
    private readonly conn: mysql.Connection,
    private readonly target: MysqlTarget,
  ) {}

  static async open(target: MysqlTarget): Promise<MysqlEndpoint> {
    return new MysqlEndpoint(await connectMysql(target), target);
  }

  async scope(): Promise<EndpointScope> {
    // MariaDB has no server_uuid: the host name, port and data directory tell servers apart.
    const [rows] = await this.conn.query<mysql.RowDataPacket[]>(
      'SELECT @@hostname AS h, @@port AS p, @@datadir AS d, @@server_id AS id',
    );
    const r = rows[0]!;
    const uuid = await variable(this.conn, 'server_uuid');
    return {
      server: uuid ?? `${String(r.h)}|${String(r.p)}|${String(r.d)}|${String(r.id)}`,
      label: `mysql ${this.target.host}:${this.target.port}`,
    };
  }

  async checkSettings(): Promise<void> {
    const logBin = await variable(this.conn, 'log_bin');
    if (logBin !== 'ON')
      throw new ReplicationSetupError(
        'the source has no binary log (log_bin is OFF): start the server with log-bin and binlog_format=ROW',
      );
    const format = await variable(this.conn, 'binlog_format');
    if (format !== 'ROW')
      throw new ReplicationSetupError(
        `the source's binlog_format is ${format}, not ROW: set binlog_format=ROW (row images are what is replicated)`,
      );
    const image = await variable(this.conn, 'binlog_row_image');
    if (image !== undefined && image !== 'FULL')
      throw new ReplicationSetupError(
        `the source's binlog_row_image is ${image}, not FULL: set binlog_row_image=FULL`,
      );
    const [grants] = await this.conn.query<mysql.RowDataPacket[]>('SHOW GRANTS');
    const text = grants.map((g) => String(Object.values(g)[0])).join('\n');
    const canReplicate =
      /GRANT ALL PRIVILEGES ON \*\.\*/i.test(text) ||
      (/REPLICATION SLAVE|BINLOG REPLICA/i.test(text) &&
        /REPLICATION CLIENT|BINLOG MONITOR|SLAVE MONITOR/i.test(text));
    if (!canReplicate)
      throw new ReplicationSetupError(
        `the source user ${this.target.user} lacks the REPLICATION SLAVE and REPLICATION CLIENT privileges`,
      );
  }

  async listTables(): Promise<TableName[]> {
    const [rows] = await this.conn.query<mysql.RowDataPacket[]>(
      `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES
        WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (?) ORDER BY 1, 2`,
      [SYSTEM_SCHEMAS],
    );
    return rows.map((r) => ({ schema: String(r.s), table: String(r.t) }));
  }

  async describe(name: TableName): Promise<TableDef | undefined> {
    const [cols] = await this.conn.query<mysql.RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS k
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [name.schema, name.table],
    );
    if (cols.length === 0) return undefined;
    const [keys] = await this.conn.query<mysql.RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
      [name.schema, name.table],
    );
    return {
      ...name,
      columns: cols.map((c) => ({
        name: String(c.name),
        type: String(c.type),
        nullable: c.nullable === 'YES',
      })),
      primaryKey: keys.map((k) => String(k.name)),
    };
  }

  async scan(def: TableDef, after: Row | undefined, limit: number): Promise<Row[]> {
    const key = def.primaryKey.map(quoteMysql).join(', ');
    const where = after ? `WHERE (${key}) > (${def.primaryKey.map(() => '?').join(', ')})` : '';
    const params = after ? def.primaryKey.map((k) => after[k]) : [];
    const [rows] = await this.conn.query<mysql.RowDataPacket[]>(
      `SELECT * FROM ${qualified(def)} ${where} ORDER BY ${key} LIMIT ${Math.floor(limit)}`,
      params,
    );
    return rows as Row[];
  }

  async startPosition(): Promise<Position> {
    const [status] = await this.conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const row = status[0];
    if (!row) throw new ReplicationSetupError('the source has no binary log (SHOW MASTER STATUS is empty)');
    const position: Position = { file: String(row.File), offset: Number(row.Position) };
    const [gtid] = await this.conn
      .query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS pos')
      .catch(() => [[] as mysql.RowDataPacket[]] as const);
    if (gtid[0]?.pos) position.gtid = String(gtid[0].pos);
    return position;
  }

  streamChanges(
    jobId: string,
    from: Position,
    tables: TableDef[],
    onTransaction: (tx: SourceTransaction) => void,
  ): Promise<ChangeStream> {
    return streamBinlog(mysqlOptions(this.target), jobId, from, tables, onTransaction);
  }

  async forget(jobId: string): Promise<void> {
    await this.conn
      .query(`DELETE FROM ${quoteMysql(STATE_SCHEMA)}.${quoteMysql(STATE_TABLE)} WHERE job_id = ?`, [jobId])
      .catch(() => undefined); // no state table: nothing to forget
  }

  async ensureTable(def: TableDef, sourceType: 'mysql' | 'postgres'): Promise<void> {
    await this.conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysql(def.schema)}`);
    const columns = def.columns.map(
      (c) =>
        `${quoteMysql(c.name)} ${sourceType === 'mysql' ? c.type : mysqlTypeFor(c.type)}${c.nullable ? '' : ' NOT NULL'}`,
    );
    const key = def.primaryKey.length ? `, PRIMARY KEY (${def.primaryKey.map(quoteMysql).join(', ')})` : '';
    await this.conn.query(`CREATE TABLE IF NOT EXISTS ${qualified(def)} (${columns.join(', ')}${key})`);
  }

  /** An upsert of `count` rows writing `columns` only: a column a row lacks keeps its value. */
  private upsertSql(def: TableDef, columns: ColumnDef[], count: number): string {
    const cols = columns.map((c) => quoteMysql(c.name));
    const one = `(${cols.map(() => '?').join(', ')})`;
    const updates = columns
      .filter((c) => !def.primaryKey.includes(c.name))
      .map((c) => `${quoteMysql(c.name)} = VALUES(${quoteMysql(c.name)})`);
    const onDup = updates.length
      ? updates.join(', ')
      : `${quoteMysql(def.primaryKey[0]!)} = ${quoteMysql(def.primaryKey[0]!)}`;
    return `INSERT INTO ${qualified(def)} (${cols.join(', ')}) VALUES ${Array(count).fill(one).join(', ')} ON DUPLICATE KEY UPDATE ${onDup}`;
  }

  async upsertRows(def: TableDef, rows: Row[]): Promise<void> {
    for (const group of columnGroups(def, rows)) {
      const values = group.rows.flatMap((r) => group.columns.map((c) => r[c.name] ?? null));
      await this.conn.query(this.upsertSql(def, group.columns, group.rows.length), values);
    }
  }

  private async deleteRows(def: TableDef, rows: Row[]): Promise<void> {
    const one = `(${def.primaryKey.map(() => '?').join(', ')})`;
    const key = def.primaryKey.map(quoteMysql).join(', ');
    await this.conn.query(
      `DELETE FROM ${qualified(def)} WHERE (${key}) IN (${Array(rows.length).fill(one).join(', ')})`,
      rows.flatMap((r) => def.primaryKey.map((k) => r[k])),
    );
  }

  async applyChanges(
    defs: Map<string, TableDef>,
    changes: Change[],
    jobId: string,
    state: ReplicationState,
  ): Promise<void> {
    await this.conn.beginTransaction();
    try {
      for (const statement of groupChanges(defs, changes)) {
        if (statement.kind === 'delete') await this.deleteRows(statement.def, statement.rows);
        else await this.upsertRows(statement.def, statement.rows);
      }
      await this.saveState(jobId, state);
      await this.conn.commit();
    } catch (err) {
      await this.conn.rollback().catch(() => undefined);
      throw err;
    }
  }

  private async ensureStateTable(): Promise<void> {
    await this.conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysql(STATE_SCHEMA)}`);
    await this.conn.query(
      `CREATE TABLE IF NOT EXISTS ${quoteMysql(STATE_SCHEMA)}.${quoteMysql(STATE_TABLE)} (
         job_id VARCHAR(64) NOT NULL PRIMARY KEY, full_done TINYINT NOT NULL, position TEXT NOT NULL,
         updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)) ENGINE=InnoDB`,
    );
  }

  private async saveState(jobId: string, state: ReplicationState): Promise<void> {
    await this.conn.query(
      `INSERT INTO ${quoteMysql(STATE_SCHEMA)}.${quoteMysql(STATE_TABLE)} (job_id, full_done, position)
       VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE full_done = VALUES(full_done), position = VALUES(position)`,
      [jobId, state.fullDone ? 1 : 0, JSON.stringify(state.position)],
    );
  }

  async readState(jobId: string): Promise<ReplicationState | undefined> {
    await this.ensureStateTable();
    const [rows] = await this.conn.query<mysql.RowDataPacket[]>(
      `SELECT full_done, position FROM ${quoteMysql(STATE_SCHEMA)}.${quoteMysql(STATE_TABLE)} WHERE job_id = ?`,
      [jobId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { fullDone: Number(row.full_done) === 1, position: JSON.parse(String(row.position)) as Position };
  }

  async writeState(jobId: string, state: ReplicationState): Promise<void> {
    await this.ensureStateTable();
    await this.saveState(jobId, state);
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
