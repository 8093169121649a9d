// One replication attempt: the full stage (copy the selected tables, creating them at the
// destination), then the incremental stage (apply every committed source transaction, in commit
// order, each batch committed at the destination together with the position after it). The
// position at the destination is the one truth a restart resumes from: nothing is applied twice.
//
// The full stage copies by primary key with upserts, starting from a position taken before the
// copy; the change stream then replays from that position. A change the copy already saw is
// replayed as an upsert or a delete of full row images, so the destination converges to the source
// (the way dtle's full + incremental stages meet).
import type { Change, ChangeStream, Position, SourceTransaction, TableDef } from './endpoint-types.ts';
import { tableKey } from './endpoint-types.ts';
import { openEndpoint, type Endpoint, type EndpointAccess } from './open-endpoint.ts';
import { endpointType, type ReplicationSpec } from './replication-spec.ts';
import { resolveTables } from './check-replication.ts';
import { refuseOverlap } from './check-overlap.ts';
import { renamed } from './table-rules.ts';

export type ReplicationVertex = 'snapshot' | 'changes' | 'apply';

export interface ReplicatorHooks {
  log(level: 'INFO' | 'WARN', message: string, vertex: ReplicationVertex): void;
  /** The full stage finished (or was not needed): the snapshot vertex is done. */
  fullStageDone(): Promise<void>;
  /** Graceful stop: the stream stops after the batch being applied. */
  stop: AbortSignal;
  /** Cancel: stop at once. */
  cancel: AbortSignal;
}

export interface ReplicatorCounters {
  rowsCopied: number;
  changesRead: number;
  changesApplied: number;
  transactionsApplied: number;
  lagMs: number;
}

const SCAN_BATCH = 2000;
const MAX_APPLY_CHANGES = 5000;
const POSITION_LOG_MS = 5000;
const IDLE_WAIT_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const describePosition = (p: Position) => JSON.stringify(p);

export class Replicator {
  readonly counters: ReplicatorCounters = {
    rowsCopied: 0,
    changesRead: 0,
    changesApplied: 0,
    transactionsApplied: 0,
    lagMs: 0,
  };
  /** Where the destination is: the position stored with the last applied batch. */
  position: Position | undefined;
  private source?: Endpoint;
  private destination?: Endpoint;
  private stream?: ChangeStream;
  private queue: SourceTransaction[] = [];

  constructor(
    private readonly jobId: string,
    private readonly spec: ReplicationSpec,
    private readonly access: EndpointAccess,
    private readonly hooks: ReplicatorHooks,
  ) {}

  private get ended(): boolean {
    return this.hooks.stop.aborted || this.hooks.cancel.aborted;
  }

  async run(): Promise<void> {
    try {
      this.source = await openEndpoint(this.spec.source, this.access);
      this.destination = await openEndpoint(this.spec.destination, this.access);
      await this.source.checkSettings();
      const tables = await resolveTables(this.source, this.spec, 'replication');
      await refuseOverlap(this.source, this.destination, tables, this.spec.rename);
      const targets = new Map(
        tables.map((t) => [tableKey(t), { ...t, ...renamed(t, this.spec.rename) } as TableDef]),
      );
      const sourceType = endpointType(this.spec.source);
      for (const target of targets.values()) await this.destination.ensureTable(target, sourceType);
      const state = await this.destination.readState(this.jobId);
      let from: Position;
      if (state?.fullDone) {
        from = state.position;
        this.hooks.log('INFO', `resuming from the saved position ${describePosition(from)}`, 'changes');
      } else if (!state && this.spec.position) {
        from = this.spec.position as Position;
        if (sourceType === 'postgres') await this.source.startPosition(this.jobId, tables, false);
        await this.destination.writeState(this.jobId, { fullDone: true, position: from });
        this.hooks.log('INFO', `starting at the given position ${describePosition(from)}`, 'changes');
      } else {
        from = await this.fullStage(tables, targets, state?.position);
        if (this.ended) return;
      }
      this.position = from;
      await this.hooks.fullStageDone();
      await this.incrementalStage(from, tables, targets);
    } finally {
      await this.stream?.stop().catch(() => undefined);
      await this.source?.close();
      await this.destination?.close();
    }
  }

  private async fullStage(
    tables: TableDef[],
    targets: Map<string, TableDef>,
    restartAt: Position | undefined,
  ): Promise<Position> {
    const source = this.source!;
    const destination = this.destination!;
    // A full stage cut short starts over from where its first attempt began: the changes since
    // then are replayed after the copy, so rows deleted meanwhile do not survive at the destination.
    const from = restartAt
      ? (await source.startPosition(this.jobId, tables, false), restartAt)
      : await source.startPosition(this.jobId, tables, true);
    await destination.writeState(this.jobId, { fullDone: false, position: from });
    this.hooks.log(
      'INFO',
      `job_stage_full: copying ${tables.length} table(s); changes from ${describePosition(from)} follow`,
      'snapshot',
    );
    for (const table of tables) {
      const target = targets.get(tableKey(table))!;
      let after: Record<string, unknown> | undefined;
      let copied = 0;
      for (;;) {
        if (this.ended) return from;
        const rows = await source.scan(table, after, SCAN_BATCH);
        if (rows.length === 0) break;
        await destination.upsertRows(target, rows);
        copied += rows.length;
        this.counters.rowsCopied += rows.length;
        after = rows[rows.length - 1];
        if (rows.length < SCAN_BATCH) break;
      }
      this.hooks.log('INFO', `copied ${copied} row(s) of ${tableKey(table)}`, 'snapshot');
    }
    await destination.writeState(this.jobId, { fullDone: true, position: from });
    return from;
  }

  private async incrementalStage(
    from: Position,
    tables: TableDef[],
    targets: Map<string, TableDef>,
  ): Promise<void> {
    const destination = this.destination!;
    const defs = new Map([...targets.values()].map((t) => [tableKey(t), t]));
    this.stream = await this.source!.streamChanges(this.jobId, from, tables, (tx) => {
      this.counters.changesRead += tx.changes.length;
      this.queue.push(tx);
    });
    let streamError: unknown;
    void this.stream.done.catch((err: unknown) => (streamError = err ?? new Error('change stream ended')));
    this.hooks.log('INFO', `job_stage_incr: applying changes from ${describePosition(from)}`, 'changes');
    let loggedAt = 0;
    let logged = describePosition(from);
    while (!this.ended) {
      if (streamError) throw streamError;
      if (this.queue.length === 0) {
        await sleep(IDLE_WAIT_MS);
        continue;
      }
      const batch = this.takeBatch();
      const last = batch[batch.length - 1]!;
      const changes: Change[] = [];
      for (const tx of batch) {
        for (const c of tx.changes) {
          const target = targets.get(`${c.schema}.${c.table}`);
          if (target) changes.push({ ...c, schema: target.schema, table: target.table });
        }
      }
      await destination.applyChanges(defs, changes, this.jobId, { fullDone: true, position: last.position });
      this.stream.confirm(last.position);
      this.position = last.position;
      this.counters.changesApplied += changes.length;
      this.counters.transactionsApplied += batch.length;
      this.counters.lagMs = Math.max(0, Date.now() - last.commitTimeMs);
      const now = Date.now();
      const text = describePosition(last.position);
      if (text !== logged && now - loggedAt >= POSITION_LOG_MS) {
        this.hooks.log('INFO', `position ${text}`, 'apply');
        loggedAt = now;
        logged = text;
      }
    }
    if (this.position && describePosition(this.position) !== logged)
      this.hooks.log('INFO', `position ${describePosition(this.position)}`, 'apply');
  }

  /** Whole transactions from the queue, up to a batch's worth of changes (at least one). */
  private takeBatch(): SourceTransaction[] {
    let count = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || count + this.queue[n]!.changes.length <= MAX_APPLY_CHANGES)) {
      count += this.queue[n]!.changes.length;
      n++;
    }
    return this.queue.splice(0, n);
  }
}
