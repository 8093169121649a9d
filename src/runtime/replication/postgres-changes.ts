// The change stream of a PostgreSQL source: pgoutput messages from the job's slot, grouped into
// the transactions they were committed in. The slot is told a position only once the changes up
// to it are applied at the destination (never ahead of them), so it keeps what a restart needs.
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Row } from '../plugins/types.ts';
import type { Change, ChangeStream, Position, SourceTransaction } from './endpoint-types.ts';
import type { PostgresTarget } from './postgres-endpoint.ts';

interface Relation {
  schema: string;
  name: string;
  columns: { parser: (raw: unknown) => unknown }[];
}

type Message =
  | ({ tag: 'relation' } & Relation)
  | { tag: 'begin' }
  | { tag: 'commit'; commitEndLsn: string; commitTime: bigint }
  | { tag: 'insert'; relation: Relation; new: Row }
  | { tag: 'update'; relation: Relation; key: Row | null; old: Row | null; new: Row }
  | { tag: 'delete'; relation: Relation; key: Row | null; old: Row | null }
  | { tag: string };

const asText = (raw: unknown) => raw;

/** An LSN as a number, to compare two (`16/B374D848`: 32 bits each side of the slash). */
const lsnValue = (lsn: string) => {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return BigInt(`0x${hi}`) * 0x1_0000_0000n + BigInt(`0x${lo}`);
};

/** The tuple's columns that carry a value. pgoutput sends an unchanged TOASTed value (a big one an
 * UPDATE did not touch) as 'u', with no value: the parser leaves it undefined, and it is left out
 * here so that the destination keeps what it has instead of writing NULL over it. */
function presentColumns(tuple: Row): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(tuple)) if (value !== undefined) row[name] = value;
  return row;
}

export async function streamPgoutput(
  target: PostgresTarget,
  slot: string,
  fromLsn: string,
  onTransaction: (tx: SourceTransaction) => void,
): Promise<ChangeStream> {
  const service = new LogicalReplicationService(
    {
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password ?? '',
      database: target.database,
      connectionTimeoutMillis: 10_000,
    },
    // Never acknowledge on a timer: only what the destination committed (see confirm).
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] });
  let confirmed = fromLsn;
  /** The commit position of the last transaction handed on (applied once `confirmed` reaches it). */
  let delivered = fromLsn;
  let inTransaction = false;
  let pending: Change[] = [];
  let stopping = false;
  service.on('data', (_lsn: string, raw: unknown) => {
    const msg = raw as Message;
    switch (msg.tag) {
      case 'relation':
        // Values stay the text the server sent: the destination parses them itself.
        for (const column of (msg as Relation).columns) column.parser = asText;
        return;
      case 'begin':
        inTransaction = true;
        return;
      case 'insert': {
        const m = msg as Extract<Message, { tag: 'insert' }>;
        pending.push({ op: 'insert', schema: m.relation.schema, table: m.relation.name, row: { ...m.new } });
        return;
      }
      case 'update': {
        const m = msg as Extract<Message, { tag: 'update' }>;
        const before = m.key ?? m.old ?? undefined;
        pending.push({
          op: 'update',
          schema: m.relation.schema,
          table: m.relation.name,
          row: presentColumns(m.new),
          before: before ? { ...before } : undefined,
        });
        return;
      }
      case 'delete': {
        const m = msg as Extract<Message, { tag: 'delete' }>;
        const row = { ...(m.old ?? m.key ?? {}) };
        pending.push({ op: 'delete', schema: m.relation.schema, table: m.relation.name, row });
        return;
      }
      case 'commit': {
        const m = msg as Extract<Message, { tag: 'commit' }>;
        const position: Position = { lsn: m.commitEndLsn };
        const commitTimeMs = Number(BigInt(m.commitTime) / 1000n);
        inTransaction = false;
        delivered = m.commitEndLsn;
        onTransaction({ changes: pending, position, commitTimeMs });
        pending = [];
        return;
      }
      default:
        return;
    }
  });
  // A keepalive carries how far the server has decoded. Everything before it was sent ahead of it;
  // when all of that is applied at the destination and no transaction is open, the WAL up to there
  // holds nothing more for this job: acknowledging it lets the server free WAL that other tables'
  // traffic fills while ours stay quiet (the saved position may stay behind: a restart from there
  // finds nothing of ours in between).
  service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => {
    const idle = !inTransaction && lsnValue(confirmed) >= lsnValue(delivered);
    if (idle && lsnValue(lsn) > lsnValue(confirmed)) confirmed = delivered = lsn;
    else if (!shouldRespond) return;
    void service.acknowledge(confirmed).catch(() => undefined);
  });
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  service.on('error', (err: Error) => {
    if (!stopping) settle.reject(err);
  });
  const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
  const subscribed = service.subscribe(plugin, slot, fromLsn);
  subscribed.then(
    () => settle.resolve(),
    (err: Error) => (stopping ? settle.resolve() : settle.reject(err)),
  );
  await Promise.race([started, subscribed.then(() => undefined), done]);
  return {
    done,
    confirm: (position) => {
      if (!position.lsn || lsnValue(position.lsn) <= lsnValue(confirmed)) return;
      confirmed = position.lsn;
      void service.acknowledge(position.lsn).catch(() => undefined);
    },
    stop: async () => {
      stopping = true;
      await service.stop().catch(() => undefined);
      settle.resolve();
    },
  };
}
