// A REPLICATION attempt: the three vertices (snapshot, changes, apply) run chained in this one
// slot. The snapshot subtask finishes when the full stage does; the run's metrics carry the rows
// copied, the changes applied and the lag.
import { eq } from 'drizzle-orm';
import { jobs } from '../../db/schema/index.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { revealSecrets } from '../definition/secret-options.ts';
import { forgetReplication } from '../replication/forget-replication.ts';
import { Replicator, type ReplicationVertex } from '../replication/replicator.ts';
import { replicationSchema } from '../replication/replication-spec.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import type { SubtaskMetricSample } from '../sql/write-metrics.ts';
import type { AssignmentContext } from './assignment-context.ts';
import { DEFAULT_METRICS_INTERVAL_MS, type ExecutorOptions } from './executor-options.ts';
import { markSubtask } from './mark-running.ts';
import { MetricRates, reportMetricRates } from './metric-rates.ts';
import type { RunningAssignment } from './running-assignment.ts';

export async function runReplicationAttempt(
  options: ExecutorOptions,
  log: Logger,
  entry: RunningAssignment,
  ctx: AssignmentContext,
): Promise<AssignmentOutcome> {
  const { database, logs } = options;
  const runId = ctx.run.id;
  const vertexId = (name: ReplicationVertex) => ctx.vertices.find((v) => v.name === name)?.id ?? '';
  const subtask = (name: ReplicationVertex) => ctx.subtasks.find((s) => s.vertexId === vertexId(name));
  const spec = replicationSchema.parse(revealSecrets(ctx.version.definition, options.secrets));
  const replicator = new Replicator(ctx.job.id, spec, options.connections, {
    log: (level, message, vertex) => logs.append(runId, level, message, { vertex, subtaskIndex: 0 }),
    fullStageDone: async () => {
      const snapshot = subtask('snapshot');
      if (snapshot && snapshot.status !== SubtaskStatus.FINISHED)
        await markSubtask(database, snapshot.id, SubtaskStatus.FINISHED);
    },
    stop: entry.stop.signal,
    cancel: entry.cancel.signal,
  });
  const sample = (vertex: ReplicationVertex, name: string, value: number): SubtaskMetricSample => ({
    runId,
    vertexId: vertexId(vertex),
    subtaskIndex: 0,
    name,
    value,
  });
  entry.metrics = new MetricRates(() => {
    const c = replicator.counters;
    return [
      sample('snapshot', 'rowsCopied', c.rowsCopied),
      sample('snapshot', 'numRecordsOut', c.rowsCopied),
      sample('changes', 'numRecordsOut', c.changesRead),
      sample('apply', 'changesApplied', c.changesApplied),
      sample('apply', 'numRecordsIn', c.rowsCopied + c.changesApplied),
      sample('apply', 'numRecordsOut', c.rowsCopied + c.changesApplied),
      sample('apply', 'transactionsApplied', c.transactionsApplied),
      sample('apply', 'lagMs', c.lagMs),
    ];
  }, options.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS);
  logs.append(runId, 'INFO', `replication running on ${options.node.name}`, { subtaskIndex: 0 });
  let outcome: AssignmentOutcome;
  try {
    await replicator.run();
    outcome = { status: entry.cancel.signal.aborted ? SubtaskStatus.CANCELED : SubtaskStatus.FINISHED };
  } catch (err) {
    if (entry.cancel.signal.aborted) outcome = { status: SubtaskStatus.CANCELED };
    else {
      const error = coerceError(err);
      log.warn({ err: error, runId }, 'replication failed');
      outcome = {
        status: SubtaskStatus.FAILED,
        failure: { message: `replication: ${error.message}`, vertex: 'apply', subtaskIndex: 0 },
      };
    }
  }
  // Deleted while this ran (a purge stops, then deletes): what deleteJob could not drop while the
  // stream held it is dropped now.
  const [job] = await database.db
    .select({ deletedAt: jobs.deletedAt })
    .from(jobs)
    .where(eq(jobs.id, ctx.job.id));
  if (job?.deletedAt) await forgetReplication(ctx.job.id, spec, options.connections);
  await reportMetricRates(database, log, [entry]);
  return outcome;
}
