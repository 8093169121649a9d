// A pipeline attempt: restores from the run's checkpoint, runs the pipeline with the attempt's
// signals, its checkpoint barrier and its metric rates, and reports its last metrics.
import { checkpointPositions, restoreCheckpointFor } from '../checkpoints/ack-checkpoint.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import type { AssignmentContext } from './assignment-context.ts';
import { CheckpointBarrier } from './checkpoint-barrier.ts';
import { DEFAULT_METRICS_INTERVAL_MS, type ExecutorOptions } from './executor-options.ts';
import { MetricRates, reportMetricRates } from './metric-rates.ts';
import { PipelineRunner } from './run-pipeline.ts';
import type { RunningAssignment } from './running-assignment.ts';

export async function runPipelineAttempt(
  options: ExecutorOptions,
  log: Logger,
  entry: RunningAssignment,
  ctx: AssignmentContext,
): Promise<AssignmentOutcome> {
  const { database, logs, node } = options;
  const checkpointId = await restoreCheckpointFor(database, ctx.run.id, ctx.run.restoredFromId);
  const restore = checkpointId ? await checkpointPositions(database, checkpointId) : undefined;
  const source = ctx.vertices.find((v) => v.kind === 'SOURCE');
  const ackAs = ctx.subtasks.find((st) => st.vertexId === source?.id) ?? ctx.subtasks[0]!;
  const barrier = new CheckpointBarrier({
    database,
    events: options.events,
    log,
    ackAs: { subtaskId: ackAs.id, index: ctx.assignment.index },
    cancel: entry.cancel.signal,
    stopRun: () => entry.requestStop(),
  });
  const runner = new PipelineRunner(ctx, {
    logger: log,
    logs,
    cancel: entry.cancel.signal,
    stop: entry.stop.signal,
    kill: entry.kill.signal,
    files: options.files,
    restore,
    secrets: options.secrets,
    connections: options.connections,
    atBoundary: barrier.atBoundary,
  });
  if (restore) {
    logs.append(ctx.run.id, 'INFO', `${ctx.assignment.name} restores from checkpoint ${checkpointId}`, {
      subtaskIndex: ctx.assignment.index,
    });
  }
  // From here the loop queues this run's checkpoints and the metrics timer reports this pipeline.
  entry.barrier = barrier;
  entry.metrics = new MetricRates(
    () => runner.samples(),
    options.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS,
  );
  logs.append(ctx.run.id, 'INFO', `${ctx.assignment.name} running on ${node.name}`, {
    subtaskIndex: ctx.assignment.index,
  });
  const outcome = await runner.run();
  await barrier.acked();
  await reportMetricRates(database, log, [entry]);
  return outcome;
}
