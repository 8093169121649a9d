import { and, sql, type SQL } from 'drizzle-orm';
import { executeIn, type Database, type Executor } from '../../db/client.ts';
import { checkpoints } from '../../db/schema/index.ts';
import {
  CheckpointStatus,
  RunStatus,
  sqlLiteral,
  SubtaskStatus,
  TERMINAL_RUN_STATUSES,
} from '../../lib/status.ts';
import { fenced, type LeaderFence } from '../coordinator/fence.ts';
import { emitEvent } from '../events.ts';
import { transitionCheckpoints } from './transition-checkpoints.ts';

// Run and assignment RUNNING are the same word; the statement names each from its own machine.
const RUNNING = sql.raw(sqlLiteral(RunStatus.RUNNING));
const ASSIGNMENT_RUNNING = sql.raw(sqlLiteral(SubtaskStatus.RUNNING));
const IN_PROGRESS = sql.raw(sqlLiteral(CheckpointStatus.IN_PROGRESS));

/**
 * Periodic checkpoints, one statement: every RUNNING pipeline run of the cluster whose interval has
 * passed since its last checkpoint (or its start), with every assignment running and no checkpoint
 * in progress, gets a new IN_PROGRESS checkpoint that each assignment must acknowledge.
 */
export async function triggerDueCheckpoints(
  database: Database,
  fence: LeaderFence,
): Promise<{ id: string; run_id: string }[]> {
  return fenced(database, fence, async (tx) => {
    const created = await executeIn<{ id: string; run_id: string; number: number }>(
      tx,
      sql`
    insert into checkpoints (run_id, number, kind, expected_acks)
    select r.id,
      coalesce((select max(c.number) from checkpoints c where c.run_id = r.id), 0) + 1,
      'CHECKPOINT',
      (select count(*) from assignments a where a.run_id = r.id)
    from runs r
      join job_versions v on v.id = r.job_version_id
      join jobs j on j.id = r.job_id
    where j.cluster_id = ${fence.clusterId}::uuid
      and r.status = ${RUNNING} and r.stop_requested is null
      and v.kind = 'PIPELINE' and v.checkpoint_interval_ms is not null
      and not exists (select 1 from assignments a where a.run_id = r.id and a.status <> ${ASSIGNMENT_RUNNING})
      and not exists (select 1 from checkpoints c where c.run_id = r.id and c.status = ${IN_PROGRESS})
      and coalesce((select max(c.triggered_at) from checkpoints c where c.run_id = r.id), r.started_at)
          < now() - v.checkpoint_interval_ms * interval '1 millisecond'
    on conflict do nothing
    returning id, run_id, number`,
    );
    for (const c of created) {
      await emitEvent(
        database,
        {
          type: 'checkpoint:triggered',
          runId: c.run_id,
          checkpointId: c.id,
          payload: { number: Number(c.number) },
        },
        tx,
      );
    }
    return created;
  });
}

/** Fails the matching checkpoints and emits `checkpoint:failed` for each, in the same transaction:
 * waits on a checkpoint (stop-with-savepoint) are woken by that event. */
async function failCheckpoints(
  database: Database,
  tx: Executor,
  where: SQL | undefined,
  failureReason: string | SQL,
): Promise<void> {
  const failed = await transitionCheckpoints(tx, where, CheckpointStatus.FAILED, { failureReason });
  for (const c of failed) {
    await emitEvent(
      database,
      { type: 'checkpoint:failed', runId: c.runId, checkpointId: c.id, payload: { reason: c.failureReason } },
      tx,
    );
  }
}

/** Checkpoints that did not complete in time fail, saying how many acknowledgements came. */
export async function expireCheckpoints(
  database: Database,
  fence: LeaderFence,
  timeoutMs: number,
): Promise<void> {
  await fenced(database, fence, async (tx) => {
    await failCheckpoints(
      database,
      tx,
      and(
        sql`${checkpoints.runId} in (select r.id from runs r join jobs j on j.id = r.job_id
          where j.cluster_id = ${fence.clusterId}::uuid)`,
        sql`${checkpoints.triggeredAt} < now() - ${timeoutMs}::int * interval '1 millisecond'`,
      ),
      sql`'timed out after ' || ${timeoutMs}::int || ' ms: '
        || (select count(*) from checkpoint_acks k where k.checkpoint_id = ${checkpoints.id}) || ' of '
        || ${checkpoints.expectedAcks} || ' subtasks acknowledged'`,
    );
  });
}

/** Runs whose checkpoint is in progress but no longer completable (a subtask stopped running) fail it. */
export async function abandonCheckpointsOfStoppedRuns(database: Database, fence: LeaderFence): Promise<void> {
  await fenced(database, fence, async (tx) => {
    await failCheckpoints(
      database,
      tx,
      sql`${checkpoints.runId} in (select r.id from runs r
        where r.status in ${sql.raw(sqlLiteral(TERMINAL_RUN_STATUSES))})`,
      'the run stopped before every subtask acknowledged',
    );
  });
}

/** Retention: each run keeps its newest `keep` completed periodic checkpoints (and every savepoint,
 * and any checkpoint a run was restored from). One statement for the cluster. */
export async function pruneCheckpoints(database: Database, fence: LeaderFence, keep: number): Promise<void> {
  await fenced(database, fence, (tx) =>
    tx.execute(sql`
    delete from checkpoints where id in (
      select id from (
        select k.id, row_number() over (partition by k.run_id order by k.number desc) as rank
        from checkpoints k join runs r on r.id = k.run_id join jobs j on j.id = r.job_id
        where j.cluster_id = ${fence.clusterId}::uuid and k.kind = 'CHECKPOINT'
          and k.status = ${sql.raw(sqlLiteral(CheckpointStatus.COMPLETED))}
      ) ranked
      where rank > ${keep}::int
    ) and id not in (select restored_from_id from runs where restored_from_id is not null)`),
  );
}
