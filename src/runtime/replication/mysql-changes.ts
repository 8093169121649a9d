// The change stream of a MySQL/MariaDB source: row events from the binlog (ZongJi), grouped into
// the transactions they were committed in, each with the position right after its commit.
import { createHash } from 'node:crypto';
import ZongJi from '@vlasky/zongji';
import type { Row } from '../plugins/types.ts';
import type {
  Change,
  ChangeOp,
  ChangeStream,
  Position,
  SourceTransaction,
  TableDef,
} from './endpoint-types.ts';
import { tableKey } from './endpoint-types.ts';

/** A replica server id of our own per job, stable across its runs, away from small ids servers use. */
function serverIdFor(jobId: string): number {
  return 1_000_000 + (createHash('sha256').update(jobId).digest().readUInt32BE(0) % 1_000_000_000);
}

const ROW_EVENTS: Record<string, ChangeOp> = {
  writerows: 'insert',
  updaterows: 'update',
  deleterows: 'delete',
};

interface ZongJiEvent {
  getEventName(): string;
  timestamp: number;
  nextPosition: number;
  binlogName?: string;
  position?: number;
  tableId?: number;
  tableMap?: Record<number, { parentSchema: string; tableName: string }>;
  rows?: (Row | { before: Row; after: Row })[];
}

export function streamBinlog(
  connection: Record<string, unknown>,
  jobId: string,
  from: Position,
  tables: TableDef[],
  onTransaction: (tx: SourceTransaction) => void,
): Promise<ChangeStream> {
  const zongji = new ZongJi(connection as never);
  const wanted = new Set(tables.map(tableKey));
  const includeSchema: Record<string, string[]> = {};
  for (const t of tables) (includeSchema[t.schema] ??= []).push(t.table);
  let file = from.file;
  let pending: Change[] = [];
  let settle!: { resolve: () => void; reject: (err: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let stopping = false;

  zongji.on('binlog', (raw: unknown) => {
    const event = raw as ZongJiEvent;
    const name = event.getEventName();
    if (name === 'rotate') {
      file = event.binlogName;
      return;
    }
    const op = ROW_EVENTS[name];
    if (op) {
      const meta = event.tableMap?.[event.tableId!];
      if (!meta || !wanted.has(`${meta.parentSchema}.${meta.tableName}`)) return;
      for (const row of event.rows ?? []) {
        const base = { op, schema: meta.parentSchema, table: meta.tableName };
        if (op === 'update') {
          const { before, after } = row as { before: Row; after: Row };
          pending.push({ ...base, row: after, before });
        } else pending.push({ ...base, row: row as Row });
      }
      return;
    }
    if (name === 'xid') {
      const position: Position = { file, offset: event.nextPosition };
      const gtid = zongji.gtidSet;
      if (gtid) position.gtid = gtid;
      onTransaction({ changes: pending, position, commitTimeMs: event.timestamp });
      pending = [];
    }
  });
  zongji.on('error', (err: Error) => {
    if (!stopping) settle.reject(err);
  });
  zongji.on('stopped', () => settle.resolve());

  const start: Record<string, unknown> = {
    serverId: serverIdFor(jobId),
    includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid'],
    includeSchema,
  };
  if (from.file && from.offset !== undefined) {
    start.filename = from.file;
    start.position = from.offset;
  } else if (from.gtid !== undefined) start.gtidSet = from.gtid;
  else start.startAtEnd = true;

  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    zongji.once('error', fail);
    zongji.once('ready', () => {
      zongji.off('error', fail);
      resolve({
        done,
        confirm: () => undefined, // the binlog is the server's to keep; the position is ours
        stop: async () => {
          stopping = true;
          zongji.stop();
          await done.catch(() => undefined);
        },
      });
    });
    zongji.start(start as never);
  });
}
