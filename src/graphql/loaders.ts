// Per-request DataLoaders: every nesting level of a query costs one statement, whatever its width.
//
// These are the read hot path (every GraphQL read goes through them), so their SQL is written by
// hand: constant text with the batch of keys as one array parameter (`= any($1::uuid[])`),
// prepared once per connection (`Database.query`). Built with Drizzle's query builder, the
// statements of the contract Run query cost ~23% of its CPU to build again on every request (the
// text of `inArray` changes with the number of keys, so nothing could be prepared). Concurrent
// requests' batches of the same statement are sent together (`createLoad`). Numbers in
// BENCHMARKS.md.
import DataLoader from 'dataloader';
import { getTableColumns, type Table } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { heartbeatAgeMsSql, type NodeRowWithAge } from '../db/node-liveness.ts';
import {
  checkpoints,
  clusters,
  jobs,
  jobVersions,
  metricsCurrent,
  nodes,
  runExceptions,
  runs,
  runStatusHistory,
  subtasks,
  vertexEdges,
  vertices,
  type CheckpointRow,
} from '../db/schema/index.ts';
import { SLOT_HOLDING_STATUSES, sqlLiteral, SubtaskStatus } from '../lib/status.ts';
import { createRunStatsLoader } from './run-stats-loader.ts';

/** Column types whose driver value already is what Drizzle's row type holds, on both drivers. */
const PLAIN = new Set([
  'PgChar',
  'PgUUID',
  'PgText',
  'PgInteger',
  'PgSmallInt',
  'PgBoolean',
  'PgJsonb',
  'PgDoublePrecision',
]);

export interface RowReader<Row> {
  /** The select list: every column, aliased to its Drizzle key. */
  columns: string;
  /** The same values as one JSON array, in the select list's order (`json_build_array`), for rows
   * nested in another statement's answer: a third of the bytes of an object with keys. */
  tuple: string;
  /** Turns tuples made by `tuple` (parsed) into Drizzle's row type. */
  readTuples(tuples: readonly unknown[][]): Row[];
  /** Turns rows as selected into Drizzle's row type, in place. */
  read(rows: Record<string, unknown>[]): Row[];
}

/**
 * How hand-written SQL reads whole rows of a table, built once from its Drizzle definition so it
 * follows the schema. Timestamps travel as epoch milliseconds and bigints as float8, which both
 * drivers (postgres.js and PGlite) return as numbers; `read` makes the timestamps Dates (Drizzle's
 * `new Date(text)` truncates to the millisecond, and so does `new Date(ms)`).
 */
export function rowReader<T extends Table>(
  table: T,
  alias: string,
  /** Computed values to read besides the columns, by key: SQL expressions over `alias`. */
  extra: Record<string, string> = {},
): RowReader<T['$inferSelect']> {
  const timestamps: string[] = [];
  const numbers: string[] = [];
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const ref = `${alias}."${column.name}"`;
    if (column.columnType === 'PgTimestamp') {
      timestamps.push(key);
      return [key, `(extract(epoch from ${ref}) * 1000)::float8`] as const;
    }
    if (column.columnType === 'PgDoublePrecision') numbers.push(key);
    if (column.columnType === 'PgBigInt53' || column.columnType === 'PgBigSerial53') {
      return [key, `${ref}::float8`] as const;
    }
    if (!PLAIN.has(column.columnType)) throw new Error(`rowReader: no mapping for ${column.columnType}`);
    return [key, ref] as const;
  });
  values.push(...Object.entries(extra));
  const keys = values.map(([key]) => key);
  const read = (rows: Record<string, unknown>[]) => {
    for (const row of rows) {
      for (const key of timestamps) {
        const ms = row[key];
        if (ms !== null) row[key] = new Date(ms as number);
      }
      // JSON has no NaN or Infinity: PostgreSQL writes those float8 values as strings.
      for (const key of numbers) if (typeof row[key] === 'string') row[key] = Number(row[key]);
    }
    return rows as T['$inferSelect'][];
  };
  return {
    columns: values.map(([key, value]) => `${value} as "${key}"`).join(', '),
    tuple: `json_build_array(${values.map(([, value]) => value).join(', ')})`,
    readTuples: (tuples) =>
      read(
        tuples.map((tuple) => {
          const row: Record<string, unknown> = {};
          for (let i = 0; i < keys.length; i++) row[keys[i]!] = tuple[i];
          return row;
        }),
      ),
    read,
  };
}

const CLUSTER = rowReader(clusters, 'c');
const NODE = rowReader(nodes, 'n', {
  heartbeatAgeMs: heartbeatAgeMsSql('n'),
}) as RowReader<NodeRowWithAge>;
const JOB = rowReader(jobs, 'j');
const JOB_VERSION = rowReader(jobVersions, 'v');
const RUN = rowReader(runs, 'r');
const CHECKPOINT = rowReader(checkpoints, 'c');
const VERTEX = rowReader(vertices, 'v');
const EDGE = rowReader(vertexEdges, 'e');
const SUBTASK = rowReader(subtasks, 's');
const EXCEPTION = rowReader(runExceptions, 'e');
const METRIC = rowReader(metricsCurrent, 'm');
const STATUS_CHANGE = rowReader(runStatusHistory, 'h');

/** The row readers, for statements that nest one table's rows in another's (run-tree.ts). */
export const READERS = {
  run: RUN,
  job: JOB,
  node: NODE,
  vertex: VERTEX,
  subtask: SUBTASK,
  exception: EXCEPTION,
  metric: METRIC,
  checkpoint: CHECKPOINT,
  edge: EDGE,
  statusChange: STATUS_CHANGE,
};

/** One subtask's acknowledgement of a checkpoint, with the vertex and index of the subtask. */
export interface CheckpointAckRow {
  checkpointId: string;
  vertexId: string;
  subtaskIndex: number;
  stateSize: number;
  ackedAt: Date;
}

/** A statement that reads the rows of a batch of keys: constant text whose first parameter ($1) is
 * the array of keys, and the key each row belongs to. */
export interface KeyedStatement<Row> {
  text: string;
  /** Constant values of $2, $3, … (none for most). */
  params?: readonly unknown[];
  /** One statement per key, with the key itself as $1 (`= $1`, not `= any($1)`): for statements
   * whose work per key is large, so that the keys of a turn are read side by side on several
   * connections rather than one after the other in one, and each with PostgreSQL's generic plan
   * (an array of unknown length kept it planning the statement again on every execution). */
  perKey?: boolean;
  read(rows: Record<string, unknown>[]): Row[];
  keyOf(row: Row): string;
}

function keyed<Row>(reader: RowReader<Row>, keyOf: (row: Row) => string, text: string): KeyedStatement<Row> {
  return { text, read: reader.read, keyOf };
}

const STATEMENTS = {
  cluster: keyed(
    CLUSTER,
    (r) => r.id,
    `select ${CLUSTER.columns} from clusters c where c.id = any($1::uuid[])`,
  ),
  node: keyed(NODE, (r) => r.id, `select ${NODE.columns} from nodes n where n.id = any($1::uuid[])`),
  job: keyed(JOB, (r) => r.id, `select ${JOB.columns} from jobs j where j.id = any($1::uuid[])`),
  jobVersion: keyed(
    JOB_VERSION,
    (r) => r.id,
    `select ${JOB_VERSION.columns} from job_versions v where v.id = any($1::uuid[])`,
  ),
  currentVersionOfJob: keyed(
    JOB_VERSION,
    (r) => r.jobId,
    `select ${JOB_VERSION.columns} from job_versions v
     join jobs j on j.id = v.job_id and j.current_version = v.version
     where j.id = any($1::uuid[])`,
  ),
  run: keyed(RUN, (r) => r.id, `select ${RUN.columns} from runs r where r.id = any($1::char(32)[])`),
  checkpoint: keyed(
    CHECKPOINT,
    (r) => r.id,
    `select ${CHECKPOINT.columns} from checkpoints c where c.id = any($1::uuid[])`,
  ),
  nodesByCluster: keyed(
    NODE,
    (r) => r.clusterId,
    `select ${NODE.columns} from nodes n
     where n.cluster_id = any($1::uuid[]) and n.deregistered_at is null
     order by n.name, n.id`,
  ),
  verticesByVersion: keyed(
    VERTEX,
    (r) => r.jobVersionId,
    `select ${VERTEX.columns} from vertices v where v.job_version_id = any($1::uuid[]) order by v.position`,
  ),
  edgesByVersion: keyed(
    EDGE,
    (r) => r.jobVersionId,
    `select ${EDGE.columns} from vertex_edges e where e.job_version_id = any($1::uuid[])`,
  ),
  subtasksByRun: keyed(
    SUBTASK,
    (r) => r.runId,
    `select ${SUBTASK.columns} from subtasks s where s.run_id = any($1::char(32)[]) order by s.index`,
  ),
  exceptionsByRun: keyed(
    EXCEPTION,
    (r) => r.runId,
    `select ${EXCEPTION.columns} from run_exceptions e where e.run_id = any($1::char(32)[]) order by e.id`,
  ),
  statusHistoryByRun: keyed(
    STATUS_CHANGE,
    (r) => r.runId,
    `select ${STATUS_CHANGE.columns} from run_status_history h
     where h.run_id = any($1::char(32)[]) order by h.id`,
  ),
  metricsByKey: keyed(
    METRIC,
    (r) => r.key,
    `select ${METRIC.columns} from metrics_current m where m.key = any($1::text[]) order by m.name`,
  ),
  latestRunByJob: keyed(
    RUN,
    (r) => r.jobId,
    `select distinct on (r.job_id) ${RUN.columns} from runs r
     where r.job_id = any($1::uuid[])
     order by r.job_id, r.num desc`,
  ),
  /** Who acknowledged each checkpoint (the state itself stays out: it can be large). */
  acksByCheckpoint: {
    text: `
      select a.checkpoint_id as "checkpointId", s.vertex_id as "vertexId", s.index as "subtaskIndex",
        a.state_size as "stateSize", (extract(epoch from a.acked_at) * 1000)::float8 as "ackedAt"
      from checkpoint_acks a join subtasks s on s.id = a.subtask_id
      where a.checkpoint_id = any($1::uuid[])
      order by s.vertex_id, s.index`,
    read: (rows) => {
      for (const row of rows) row.ackedAt = new Date(row.ackedAt as number);
      return rows as unknown as CheckpointAckRow[];
    },
    keyOf: (r) => r.checkpointId,
  } satisfies KeyedStatement<CheckpointAckRow>,
  /** The subtasks placed on each node that still hold its slots (what a TaskManager has allocated). */
  liveSubtasksByNode: keyed(
    SUBTASK,
    (r) => r.nodeId ?? '',
    `select ${SUBTASK.columns} from subtasks s
     where s.node_id = any($1::uuid[]) and s.status in ${sqlLiteral(SLOT_HOLDING_STATUSES)}
     order by s.run_id, s.index`,
  ),
  /** Why each run's unplaced parts wait for slots (placement writes it when it changes). */
  waitingReasonByRun: {
    text: `
      select distinct on (a.run_id) a.run_id as "runId", a.waiting_reason as reason
      from assignments a
      where a.run_id = any($1::char(32)[]) and a.status = '${SubtaskStatus.CREATED}' and a.waiting_reason is not null
      order by a.run_id, a.index`,
    read: (rows) => rows as { runId: string; reason: string }[],
    keyOf: (r) => r.runId,
  } satisfies KeyedStatement<{ runId: string; reason: string }>,
  /** Slots taken on each node: assignments placed there and not yet ended. */
  slotsUsedByNode: {
    text: `
      select a.node_id as "nodeId", count(*)::int as used
      from assignments a
      where a.node_id = any($1::uuid[]) and a.status in ${sqlLiteral(SLOT_HOLDING_STATUSES)}
      group by a.node_id`,
    read: (rows) => rows as { nodeId: string; used: number }[],
    keyOf: (r) => r.nodeId,
  } satisfies KeyedStatement<{ nodeId: string; used: number }>,
};

/** Rows of a keyed statement by key, each list in the statement's order. Shared by every request
 * the statement served: read it, never change it. */
export type RowsByKey<Row> = ReadonlyMap<string, readonly Row[]>;
type Load = <Row>(statement: KeyedStatement<Row>, keys: readonly string[]) => Promise<RowsByKey<Row>>;

interface Flight {
  keys: Set<string>;
  waiters: { keys: readonly string[]; resolve(rows: RowsByKey<unknown>): void; reject(err: unknown): void }[];
}

/**
 * Below the per-request DataLoaders: the batches that several requests dispatch for the same
 * statement in the same turn of the event loop go to PostgreSQL as one statement over all their
 * keys. Under the benchmark's load (16 requests in flight) that made the contract Run query ~2.7
 * statements per request instead of 8 and cut jobgate's CPU per request by about a third, whether
 * the requests ask for the same run or for different ones: a statement costs jobgate ~0.1 ms of CPU
 * however small it is, and PostgreSQL some more. Nothing is kept: a statement is sent after every request it
 * serves has asked (on `setImmediate`, after the DataLoaders of the turn have dispatched on
 * `process.nextTick`), so it reads what a statement of each request's own would. If it fails, each
 * request's keys are tried alone, so that one request's bad key fails only that request.
 */
function createLoad(database: Database): Load {
  let pending = new Map<KeyedStatement<unknown>, Flight>();
  const send = async <Row>(statement: KeyedStatement<Row>, keys: string[]): Promise<RowsByKey<Row>> => {
    const byKey = new Map<string, Row[]>();
    const first = statement.perKey ? keys[0] : keys;
    const params = statement.params ? [first, ...statement.params] : [first];
    for (const row of statement.read(await database.query(statement.text, params))) {
      const key = statement.keyOf(row);
      const list = byKey.get(key);
      if (list) list.push(row);
      else byKey.set(key, [row]);
    }
    return byKey;
  };
  const sendFlight = (statement: KeyedStatement<unknown>, keys: string[], waiters: Flight['waiters']) =>
    send(statement, keys).then(
      (byKey) => {
        for (const waiter of waiters) waiter.resolve(byKey);
      },
      (err: unknown) => {
        // One request's bad key must not fail the others: each tries its own keys alone.
        if (waiters.length === 1) return waiters[0]!.reject(err);
        for (const waiter of waiters) send(statement, [...waiter.keys]).then(waiter.resolve, waiter.reject);
      },
    );
  const flush = () => {
    const flights = pending;
    pending = new Map();
    for (const [statement, { keys, waiters }] of flights) {
      if (!statement.perKey) sendFlight(statement, [...keys], waiters);
      else
        for (const key of keys)
          sendFlight(
            statement,
            [key],
            waiters.filter((w) => w.keys[0] === key),
          );
    }
  };
  return <Row>(statement: KeyedStatement<Row>, keys: readonly string[]) =>
    new Promise<RowsByKey<Row>>((resolve, reject) => {
      if (statement.perKey && keys.length !== 1)
        return reject(new Error('a statement read per key takes one key at a time'));
      if (pending.size === 0) setImmediate(flush);
      let flight = pending.get(statement as KeyedStatement<unknown>);
      if (!flight)
        pending.set(statement as KeyedStatement<unknown>, (flight = { keys: new Set(), waiters: [] }));
      for (const key of keys) flight.keys.add(key);
      flight.waiters.push({ keys, resolve: resolve as Flight['waiters'][number]['resolve'], reject });
    });
}

/** One Load per database, shared by the requests' loaders; it holds batches only until they are sent. */
const loads = new WeakMap<Database, Load>();

/** A loader of one row per key (null when missing). */
function one<Row>(load: Load, statement: KeyedStatement<Row>): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (keys) => {
    const byKey = await load(statement, keys);
    return keys.map((key) => byKey.get(key)?.[0] ?? null);
  });
}

/** A loader of every row per key, in the statement's order. */
function many<Row>(load: Load, statement: KeyedStatement<Row>): DataLoader<string, readonly Row[]> {
  return new DataLoader<string, readonly Row[]>(async (keys) => {
    const byKey = await load(statement, keys);
    return keys.map((key) => byKey.get(key) ?? []);
  });
}

/** A page of a run's checkpoints, newest first: the first one, or the one below a cursor. */
export interface CheckpointPageKey {
  runId: string;
  /** Rows to read (the page size plus one, which tells whether there is a next page). */
  limit: number;
  /** The number of the last checkpoint of the page before. */
  below?: number;
}

/** The pages of a batch of runs, one statement per page shape: a lateral join reads each run's
 * page through the (run_id, number) index. Two texts rather than `$3 is null or …`, so that each
 * plan uses the index for its bound. */
const CHECKPOINT_PAGES = {
  first: `
    select ${CHECKPOINT.columns} from unnest($1::char(32)[]) k(run_id)
    cross join lateral (
      select * from checkpoints c where c.run_id = k.run_id order by c.number desc limit $2
    ) c
    order by c.run_id, c.number desc`,
  below: `
    select ${CHECKPOINT.columns} from unnest($1::char(32)[]) k(run_id)
    cross join lateral (
      select * from checkpoints c where c.run_id = k.run_id and c.number < $3
      order by c.number desc limit $2
    ) c
    order by c.run_id, c.number desc`,
};

/** Checkpoint pages by run: the runs of a list asking for the same page shape cost one statement. */
function checkpointPages(database: Database): DataLoader<CheckpointPageKey, CheckpointRow[], string> {
  return new DataLoader(
    async (keys) => {
      const shapes = new Map<string, { limit: number; below?: number; runIds: Set<string> }>();
      for (const { runId, limit, below } of keys) {
        const shape = `${limit}:${below ?? ''}`;
        let group = shapes.get(shape);
        if (!group) shapes.set(shape, (group = { limit, below, runIds: new Set() }));
        group.runIds.add(runId);
      }
      const pages = new Map<string, CheckpointRow[]>();
      for (const [shape, { limit, below, runIds }] of shapes) {
        const rows = CHECKPOINT.read(
          below === undefined
            ? await database.query(CHECKPOINT_PAGES.first, [[...runIds], limit])
            : await database.query(CHECKPOINT_PAGES.below, [[...runIds], limit, below]),
        );
        for (const row of rows) {
          const key = `${shape}:${row.runId}`;
          const page = pages.get(key);
          if (page) page.push(row);
          else pages.set(key, [row]);
        }
      }
      return keys.map((k) => pages.get(`${k.limit}:${k.below ?? ''}:${k.runId}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.limit}:${k.below ?? ''}:${k.runId}` },
  );
}

/**
 * A request's DataLoaders, each made when a resolver first asks for it: a query reads through a few
 * of the twenty (the contract Run query through eight), and making all of them for every request
 * was ~0.6% of its CPU and garbage to collect.
 */
export class Loaders {
  readonly #database: Database;
  readonly #load: Load;
  readonly #made = new Map<string, unknown>();

  constructor(database: Database) {
    let load = loads.get(database);
    if (!load) loads.set(database, (load = createLoad(database)));
    this.#database = database;
    this.#load = load;
  }

  /** The rows of a keyed statement by key, sent with the other requests' batches of the same turn
   * (for statements made elsewhere, like the run tree's). */
  rows<Row>(statement: KeyedStatement<Row>, keys: readonly string[]): Promise<RowsByKey<Row>> {
    return this.#load(statement, keys);
  }

  #one<Row>(name: keyof typeof STATEMENTS, statement: KeyedStatement<Row>) {
    return this.#lazy(name, () => one(this.#load, statement));
  }

  #many<Row>(name: keyof typeof STATEMENTS, statement: KeyedStatement<Row>) {
    return this.#lazy(name, () => many(this.#load, statement));
  }

  #lazy<T>(name: string, make: () => T): T {
    let made = this.#made.get(name) as T | undefined;
    if (made === undefined) this.#made.set(name, (made = make()));
    return made;
  }

  get cluster() {
    return this.#one('cluster', STATEMENTS.cluster);
  }
  get node() {
    return this.#one('node', STATEMENTS.node);
  }
  get job() {
    return this.#one('job', STATEMENTS.job);
  }
  get jobVersion() {
    return this.#one('jobVersion', STATEMENTS.jobVersion);
  }
  /** The version a job currently points at. */
  get currentVersionOfJob() {
    return this.#one('currentVersionOfJob', STATEMENTS.currentVersionOfJob);
  }
  get run() {
    return this.#one('run', STATEMENTS.run);
  }
  get checkpoint() {
    return this.#one('checkpoint', STATEMENTS.checkpoint);
  }
  get nodesByCluster() {
    return this.#many('nodesByCluster', STATEMENTS.nodesByCluster);
  }
  get verticesByVersion() {
    return this.#many('verticesByVersion', STATEMENTS.verticesByVersion);
  }
  get edgesByVersion() {
    return this.#many('edgesByVersion', STATEMENTS.edgesByVersion);
  }
  get subtasksByRun() {
    return this.#many('subtasksByRun', STATEMENTS.subtasksByRun);
  }
  get exceptionsByRun() {
    return this.#many('exceptionsByRun', STATEMENTS.exceptionsByRun);
  }
  get statusHistoryByRun() {
    return this.#many('statusHistoryByRun', STATEMENTS.statusHistoryByRun);
  }
  get checkpointPage() {
    return this.#lazy('checkpointPage', () => checkpointPages(this.#database));
  }
  get metricsByKey() {
    return this.#many('metricsByKey', STATEMENTS.metricsByKey);
  }
  get latestRunByJob() {
    return this.#one('latestRunByJob', STATEMENTS.latestRunByJob);
  }
  get acksByCheckpoint() {
    return this.#many('acksByCheckpoint', STATEMENTS.acksByCheckpoint);
  }
  get liveSubtasksByNode() {
    return this.#many('liveSubtasksByNode', STATEMENTS.liveSubtasksByNode);
  }
  get waitingReasonByRun() {
    return this.#lazy(
      'waitingReasonByRun',
      () =>
        new DataLoader<string, string | null>(async (ids) => {
          const byKey = await this.#load(STATEMENTS.waitingReasonByRun, ids);
          return ids.map((id) => byKey.get(id)?.[0]?.reason ?? null);
        }),
    );
  }
  get slotsUsedByNode() {
    return this.#lazy(
      'slotsUsedByNode',
      () =>
        new DataLoader<string, number>(async (ids) => {
          const byKey = await this.#load(STATEMENTS.slotsUsedByNode, ids);
          return ids.map((id) => byKey.get(id)?.[0]?.used ?? 0);
        }),
    );
  }
  /** How each job's runs ended, since a time or ever. */
  get runStatsByJob() {
    return this.#lazy('runStatsByJob', () => createRunStatsLoader(this.#database));
  }
}

export function createLoaders(database: Database): Loaders {
  return new Loaders(database);
}
