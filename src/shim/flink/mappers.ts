// Shapes shared by several Flink answers: IO metrics, per-state counts and timestamps, durations,
// the job plan (the DAG the dashboard draws from `plan.nodes[].inputs`).
import {
  FLINK_EXECUTION_STATES,
  FLINK_JOB_STATUSES,
  flinkExecutionState,
  flinkJobStatus,
  type FlinkExecutionState,
} from '../../lib/flink-status.ts';
import type { RunStatus, SubtaskStatus } from '../../lib/status.ts';
import { vertexIdOf } from './ids.ts';
import { ms, type MetricValue, type RunData, type SubtaskData, type VertexData } from './run-data.ts';

export const jobState = (status: string) => flinkJobStatus(status as RunStatus);
export const executionState = (status: string) => flinkExecutionState(status as SubtaskStatus);

/** A metric's current value, 0 when it was never reported. */
export function metricValue(metrics: readonly MetricValue[], name: string): number {
  return metrics.find((m) => m.name === name)?.value ?? 0;
}

/** Flink's IOMetricsInfo from jobgate's record and byte counters (reads of bytes are not counted). */
export function ioMetrics(metrics: readonly MetricValue[]) {
  return {
    'read-bytes': 0,
    'read-bytes-complete': true,
    'write-bytes': Math.round(metricValue(metrics, 'numBytesOut')),
    'write-bytes-complete': true,
    'read-records': Math.round(metricValue(metrics, 'numRecordsIn')),
    'read-records-complete': true,
    'write-records': Math.round(metricValue(metrics, 'numRecordsOut')),
    'write-records-complete': true,
    'accumulated-backpressured-time': 0,
    'accumulated-idle-time': 0,
    'accumulated-busy-time': 0,
  };
}

/** Every ExecutionState as a key with 0, then the subtasks counted (UPPERCASE keys). */
export function executionCounts(
  subtasks: readonly { status: string }[],
): Record<FlinkExecutionState, number> {
  const counts = Object.fromEntries(FLINK_EXECUTION_STATES.map((s) => [s, 0])) as Record<
    FlinkExecutionState,
    number
  >;
  for (const subtask of subtasks) counts[executionState(subtask.status)]++;
  return counts;
}

/** The lowercase `tasks` of /jobs/overview (JobDetails#getTaskInfo): counts plus `total`. */
export function overviewTasks(subtasks: readonly { status: string }[]): Record<string, number> {
  const counts = executionCounts(subtasks);
  const tasks: Record<string, number> = { total: subtasks.length };
  for (const [state, n] of Object.entries(counts)) tasks[state.toLowerCase()] = n;
  return tasks;
}

/** When the run entered each JobStatus (0 for never), as Flink's `timestamps`. */
export function jobTimestamps(run: RunData): Record<string, number> {
  const at = Object.fromEntries(FLINK_JOB_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  at[jobState(run.status)] ||= ms(run.createdAt, 0);
  for (const change of run.statusHistory) at[jobState(change.to)] = ms(change.at, 0);
  return at;
}

/** start-time, end-time (-1 while it runs) and duration of anything with a start and an end. */
export function times(startedAt: string | null, endedAt: string | null, now: number) {
  const start = ms(startedAt);
  const end = ms(endedAt);
  const duration = start < 0 ? -1 : (end < 0 ? now : end) - start;
  return { 'start-time': start, 'end-time': end, duration };
}

/** How long a subtask has been in each ExecutionState: jobgate records only start and end. */
export function statusDurations(subtask: SubtaskData, now: number): Record<string, number> {
  const durations = Object.fromEntries(FLINK_EXECUTION_STATES.map((s) => [s, 0])) as Record<string, number>;
  const start = ms(subtask.startedAt);
  if (start >= 0) durations.RUNNING = (subtask.endedAt ? ms(subtask.endedAt) : now) - start;
  return durations;
}

/** The earliest start and latest end over a vertex's subtasks (-1 while one has not). */
export function vertexTimes(vertex: VertexData, now: number) {
  const starts = vertex.subtasks.map((s) => ms(s.startedAt)).filter((t) => t >= 0);
  const ends = vertex.subtasks.map((s) => ms(s.endedAt));
  const start = starts.length ? Math.min(...starts) : -1;
  const end = ends.length && ends.every((t) => t >= 0) ? Math.max(...ends) : -1;
  const duration = start < 0 ? -1 : (end < 0 ? now : end) - start;
  return { 'start-time': start, 'end-time': end, duration };
}

/** The job plan: one node per vertex, each with its inputs by JobVertexID. */
export function jobPlan(run: RunData) {
  const idByName = new Map(run.vertices.map((v) => [v.name, vertexIdOf(v.id)]));
  return {
    jid: run.id,
    name: run.job.name,
    type: run.job.mode,
    nodes: run.vertices.map((vertex) => ({
      id: vertexIdOf(vertex.id),
      parallelism: vertex.parallelism,
      operator: vertex.plugin ?? vertex.kind,
      operator_strategy: 'none',
      description: vertex.name,
      ...(vertex.inputs.length
        ? {
            inputs: vertex.inputs.map((name, num) => ({
              num,
              id: idByName.get(name) ?? name,
              ship_strategy: 'FORWARD',
              exchange: 'pipelined_bounded',
            })),
          }
        : {}),
      optimizer_properties: {},
    })),
  };
}
