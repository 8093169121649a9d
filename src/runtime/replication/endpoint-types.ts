// What the replication engine needs from a database on either side, whatever its kind.
import type { Row } from '../plugins/types.ts';

export interface ColumnDef {
  name: string;
  /** The column's type as the source server spells it (COLUMN_TYPE / format_type). */
  type: string;
  nullable: boolean;
}

export interface TableDef {
  schema: string;
  table: string;
  columns: ColumnDef[];
  primaryKey: string[];
}

export interface TableName {
  schema: string;
  table: string;
}

/** Where a change stream is: a MySQL/MariaDB GTID set or binlog file+offset, or a PostgreSQL LSN. */
export interface Position {
  gtid?: string;
  file?: string;
  offset?: number;
  lsn?: string;
}

/** What the destination keeps with the applied changes: whether the full stage finished and where
 * the change stream is to resume. */
export interface ReplicationState {
  fullDone: boolean;
  position: Position;
}

export type ChangeOp = 'insert' | 'update' | 'delete';

export interface Change {
  op: ChangeOp;
  schema: string;
  table: string;
  /** The row after the change (the deleted row for a delete). */
  row: Row;
  /** The row before an update (at least its key). */
  before?: Row;
}

/** One committed source transaction. */
export interface SourceTransaction {
  changes: Change[];
  /** Where the stream resumes after this transaction. */
  position: Position;
  /** Source commit time (ms since the epoch). */
  commitTimeMs: number;
}

export interface ChangeStream {
  /** Resolves when the stream ends (stopped) or rejects with the stream's error. */
  readonly done: Promise<void>;
  /** The position up to which changes are safely applied (lets a server free its log). */
  confirm(position: Position): void;
  stop(): Promise<void>;
}

/** Which server and database an endpoint reached, by the server's own identity (a host has many
 * spellings), and a label for messages naming no credentials. */
export interface EndpointScope {
  /** The same for two connections to one server. */
  server: string;
  /** The PostgreSQL database (tables of two databases never meet); MySQL has one namespace. */
  database?: string;
  /** e.g. `postgres 10.0.0.5:5432/shop`. */
  label: string;
}

export interface SourceEndpoint {
  readonly type: 'mysql' | 'postgres';
  scope(): Promise<EndpointScope>;
  /** Refuses with a message naming what is missing (binlog, ROW format, wal_level, privilege). */
  checkSettings(): Promise<void>;
  /** Every user table (system schemas left out). */
  listTables(): Promise<TableName[]>;
  describe(name: TableName): Promise<TableDef | undefined>;
  /** Rows after `after` (by primary key), at most `limit`, in key order. */
  scan(def: TableDef, after: Row | undefined, limit: number): Promise<Row[]>;
  /** The position to stream from after a full copy that starts now (creates what the stream needs). */
  startPosition(jobId: string, tables: TableDef[], fresh: boolean): Promise<Position>;
  streamChanges(
    jobId: string,
    from: Position,
    tables: TableDef[],
    /** Called in commit order; the engine queues and applies (it must not block the stream). */
    onTransaction: (tx: SourceTransaction) => void,
  ): Promise<ChangeStream>;
  /** Drops what the stream kept on the server for this job (PostgreSQL slot and publication). */
  forget(jobId: string): Promise<void>;
  close(): Promise<void>;
}

export interface DestinationEndpoint {
  readonly type: 'mysql' | 'postgres';
  scope(): Promise<EndpointScope>;
  /** Creates the table (and its schema) unless it exists. */
  ensureTable(def: TableDef, sourceType: 'mysql' | 'postgres'): Promise<void>;
  /** Inserts or replaces rows by primary key (the full stage). */
  upsertRows(def: TableDef, rows: Row[]): Promise<void>;
  /** Applies the changes and stores the state in one transaction: all or nothing. */
  applyChanges(
    defs: Map<string, TableDef>,
    changes: Change[],
    jobId: string,
    state: ReplicationState,
  ): Promise<void>;
  readState(jobId: string): Promise<ReplicationState | undefined>;
  writeState(jobId: string, state: ReplicationState): Promise<void>;
  forget(jobId: string): Promise<void>;
  close(): Promise<void>;
}

export const tableKey = (t: TableName) => `${t.schema}.${t.table}`;

/** Where the destination keeps its replication state (dtle keeps its own in a `dtle` database). */
export const STATE_SCHEMA = 'jobgate_replication';
export const STATE_TABLE = 'positions';
