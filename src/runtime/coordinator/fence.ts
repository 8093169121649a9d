// Fencing the coordinator's writes with the leader term (clusters.leader_term).
//
// The advisory lock says who should lead; the term makes sure nobody else can write. A process that
// wins the lock increments the cluster's term (`takeLeaderTerm`) and keeps the value. Every
// coordinator write runs in a transaction opened by `fenced`, whose first statement is
//
//   select 1 from clusters where id = $cluster and leader_term = $term for no key update
//
// That row lock orders every coordinator transaction against every term change, with no clock and
// no timing assumption:
// - a new leader's `update clusters set leader_term = leader_term + 1` waits until a transaction
//   that already passed the check (the old leader's in-flight work) has committed or rolled back:
//   that work happened before the new term;
// - a stale transaction whose check comes later queues behind the waiting update (an exclusive
//   row lock is granted in order; a shared one would let the old leader's checks overtake the
//   update, and could starve it), then re-reads the row, sees the new term and finds nothing: it
//   throws StaleLeaderError and writes nothing.
// A leader's own transactions run one tick at a time, so the lock costs them no concurrency; it
// does not conflict with the FOR KEY SHARE that foreign keys to clusters take (nodes registering
// are never blocked).
// The same helper also refuses to start, and rolls back, once this process learned it lost the
// lock (`signal`), so it stops acting at once instead of waiting for a new leader to bump the term.
import { sql } from 'drizzle-orm';
import { executeIn, type Database, type Tx } from '../../db/client.ts';

/** What a leader holds: the term it took and a signal that aborts when it lost the lock. */
export interface LeaderFence {
  clusterId: string;
  term: number;
  signal: AbortSignal;
}

/** A write by a coordinator that is no longer the leader: refused, nothing written. */
export class StaleLeaderError extends Error {
  constructor(
    readonly clusterId: string,
    readonly term: number,
  ) {
    super(`coordinator term ${term} of cluster ${clusterId} is no longer the leader's`);
    this.name = 'StaleLeaderError';
  }
}

/** Increments the cluster's term for a process that has just won the leader lock; returns it. */
export async function takeLeaderTerm(database: Database, clusterId: string): Promise<number> {
  const [row] = await database.execute<{ term: string }>(sql`
    update clusters set leader_term = leader_term + 1 where id = ${clusterId}::uuid
    returning leader_term::text as term`);
  if (!row) throw new Error(`cluster ${clusterId} is gone`);
  return Number(row.term);
}

/** Runs `work` in a transaction that only commits while `fence.term` is the cluster's term. */
export async function fenced<T>(
  database: Database,
  fence: LeaderFence,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  if (fence.signal.aborted) throw new StaleLeaderError(fence.clusterId, fence.term);
  return database.db.transaction(async (tx) => {
    const held = await executeIn(
      tx,
      sql`select 1 as held from clusters
        where id = ${fence.clusterId}::uuid and leader_term = ${fence.term}::bigint
        for no key update`,
    );
    if (held.length === 0) throw new StaleLeaderError(fence.clusterId, fence.term);
    const result = await work(tx);
    // Lost the lock while working: roll back rather than commit late.
    if (fence.signal.aborted) throw new StaleLeaderError(fence.clusterId, fence.term);
    return result;
  });
}
