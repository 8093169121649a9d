// The checkpoint routes (ENDPOINTS.md rows 21-23 and the per-vertex detail the dashboard expands),
// from the run's checkpoint store (Run.checkpoints). snake_case keys, as Flink writes them.
import { CONFIG_DEFAULTS } from '../../config.ts';
import { flinkCheckpointClass } from '../../lib/flink-status.ts';
import { CheckpointStatus, RunStatus } from '../../lib/status.ts';
import type { RouteCall } from '../core/index.ts';
import { parseHex32, parseIndex, vertexIdOf } from './ids.ts';
import { metricsAnswer } from './metric-answers.ts';
import { query } from './query.ts';
import { FlinkException, FlinkRestError, flinkJson } from './respond.ts';
import { jobNotFound, loadRun, ms } from './run-data.ts';

/** How many checkpoints the history shows (web.checkpoints.history's default). */
const HISTORY = 10;
/** How far back a checkpoint's details are found (Flink's stats cache is smaller still). */
const DETAILS_WINDOW = 100;

interface AckData {
  vertexId: string;
  subtaskIndex: number;
  stateSize: number;
  ackedAt: string;
}

interface CheckpointData {
  number: number;
  kind: string;
  status: CheckpointStatus;
  triggeredAt: string;
  completedAt: string | null;
  durationMs: number | null;
  stateSize: number;
  location: string | null;
  failureReason: string | null;
  expectedAcks: number;
  acks: AckData[];
}

/** A run as the checkpoint routes need it, with its checkpoints, in one document. */
const CHECKPOINTS = `query FlinkCheckpoints($id: ID!, $first: Int!) {
  run(id: $id) {
    id status createdAt startedAt attempt
    job { checkpointIntervalMs }
    vertices { id parallelism subtasks { index } }
    metrics { name value }
    restoredFrom { number kind location completedAt triggeredAt }
    checkpoints(first: $first) {
      nodes {
        number kind status triggeredAt completedAt durationMs stateSize location failureReason expectedAcks
        acks { vertexId subtaskIndex stateSize ackedAt }
      }
    }
  }
}`;

interface CheckpointRun {
  id: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  attempt: number;
  job: { checkpointIntervalMs: number | null };
  vertices: { id: string; parallelism: number; subtasks: { index: number }[] }[];
  metrics: { name: string; value: number }[];
  restoredFrom: {
    number: number;
    kind: string;
    location: string | null;
    completedAt: string | null;
    triggeredAt: string;
  } | null;
  checkpoints: { nodes: CheckpointData[] };
}

/** The run `:jobid` names with its newest `first` checkpoints, or 400 / 404. */
async function loadCheckpoints(call: RouteCall, first: number): Promise<CheckpointRun> {
  const id = parseHex32('jobid', call.params.jobid!);
  const data = await query<{ run: CheckpointRun }>(
    call.ctx,
    CHECKPOINTS,
    { id, first },
    { notFound: jobNotFound(id) },
  );
  return data.run;
}

const isSavepoint = (c: { kind: string }) => c.kind === 'SAVEPOINT';

/** Per-vertex statistics of one checkpoint (TaskCheckpointStatistics). A chain acknowledges once
 * per parallel index for all its vertices, so a vertex's subtask counts as acknowledged when its
 * index has acknowledged; the state size goes to the vertex that holds it. */
function taskStats(run: CheckpointRun, checkpoint: CheckpointData) {
  const ackedAt = new Map<number, number>();
  for (const ack of checkpoint.acks) {
    ackedAt.set(ack.subtaskIndex, Math.max(ackedAt.get(ack.subtaskIndex) ?? 0, ms(ack.ackedAt, 0)));
  }
  return Object.fromEntries(
    run.vertices.map((vertex) => {
      const size = checkpoint.acks
        .filter((a) => a.vertexId === vertex.id)
        .reduce((sum, a) => sum + a.stateSize, 0);
      const acked = vertex.subtasks.filter((s) => ackedAt.has(s.index));
      const latest = acked.length ? Math.max(...acked.map((s) => ackedAt.get(s.index)!)) : -1;
      return [
        vertexIdOf(vertex.id),
        {
          id: checkpoint.number,
          status: checkpoint.status,
          latest_ack_timestamp: latest,
          checkpointed_size: size,
          state_size: size,
          end_to_end_duration: latest < 0 ? -1 : latest - ms(checkpoint.triggeredAt, 0),
          alignment_buffered: 0,
          processed_data: 0,
          persisted_data: 0,
          num_subtasks: vertex.parallelism,
          num_acknowledged_subtasks: acked.length,
        },
      ];
    }),
  );
}

/** CheckpointStatistics with its className discriminator and the fields of its kind. */
function checkpointStats(run: CheckpointRun, c: CheckpointData) {
  const latestAck = c.acks.length ? Math.max(...c.acks.map((a) => ms(a.ackedAt, 0))) : -1;
  const tasks = taskStats(run, c);
  const numSubtasks = run.vertices.reduce((sum, v) => sum + v.parallelism, 0);
  const acknowledged = Object.values(tasks).reduce((sum, task) => sum + task.num_acknowledged_subtasks, 0);
  const base = {
    className: flinkCheckpointClass(c.status),
    id: c.number,
    status: c.status,
    is_savepoint: isSavepoint(c),
    savepointFormat: isSavepoint(c) ? 'CANONICAL' : null,
    trigger_timestamp: ms(c.triggeredAt, 0),
    latest_ack_timestamp: c.completedAt ? ms(c.completedAt) : latestAck,
    checkpointed_size: c.stateSize,
    state_size: c.stateSize,
    end_to_end_duration: c.durationMs ?? (latestAck < 0 ? -1 : latestAck - ms(c.triggeredAt, 0)),
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: numSubtasks,
    num_acknowledged_subtasks: acknowledged,
    checkpoint_type: isSavepoint(c) ? 'SAVEPOINT' : 'CHECKPOINT',
    tasks,
  };
  if (c.status === CheckpointStatus.COMPLETED)
    return {
      ...base,
      external_path: c.location ?? '<checkpoint-not-externally-addressable>',
      discarded: false,
    };
  if (c.status === CheckpointStatus.FAILED)
    return {
      ...base,
      failure_timestamp: ms(c.completedAt, ms(c.triggeredAt, 0)),
      failure_message: c.failureReason,
    };
  return base;
}

/** min/max/avg and percentiles of a list (StatsSummaryDto). */
function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  return {
    min: sorted[0] ?? 0,
    max: sorted.at(-1) ?? 0,
    avg: sorted.length ? Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : 0,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
  };
}

/** Checkpointing is on for a run whose job has an interval, or that has checkpoints anyway. */
function checkpointingOff(run: CheckpointRun, checkpoints: readonly CheckpointData[]): boolean {
  return run.job.checkpointIntervalMs === null && checkpoints.length === 0;
}

/** GET /jobs/:jobid/checkpoints. */
export async function getCheckpoints(call: RouteCall): Promise<Response> {
  const run = await loadCheckpoints(call, DETAILS_WINDOW);
  const all = run.checkpoints.nodes;
  if (checkpointingOff(run, all)) throw new FlinkRestError(404, 'Checkpointing has not been enabled.');
  const count = (status: CheckpointStatus) => all.filter((c) => c.status === status).length;
  const completed = all.filter((c) => c.status === CheckpointStatus.COMPLETED);
  const newest = (list: CheckpointData[]) => (list[0] ? checkpointStats(run, list[0]) : null);
  const restored = run.restoredFrom;
  return flinkJson(
    {
      counts: {
        restored: restored ? 1 : 0,
        total: all.length,
        in_progress: count(CheckpointStatus.IN_PROGRESS),
        completed: completed.length,
        failed: count(CheckpointStatus.FAILED),
      },
      summary: {
        checkpointed_size: summary(completed.map((c) => c.stateSize)),
        state_size: summary(completed.map((c) => c.stateSize)),
        end_to_end_duration: summary(completed.map((c) => c.durationMs ?? 0)),
        alignment_buffered: summary([]),
        processed_data: summary([]),
        persisted_data: summary([]),
      },
      latest: {
        completed: newest(completed.filter((c) => !isSavepoint(c))),
        savepoint: newest(completed.filter(isSavepoint)),
        failed: newest(all.filter((c) => c.status === CheckpointStatus.FAILED)),
        restored: restored
          ? {
              id: restored.number,
              restore_timestamp: ms(run.startedAt ?? run.createdAt, 0),
              is_savepoint: isSavepoint(restored),
              external_path: restored.location ?? '<checkpoint-not-externally-addressable>',
            }
          : null,
      },
      history: all.slice(0, HISTORY).map((c) => checkpointStats(run, c)),
    },
    call.ctx,
  );
}

/** GET /jobs/:jobid/checkpoints/config: jobgate's barrier checkpoints are aligned and exactly-once
 * where the sinks can commit with them; the state lives in jobgate's database. */
export async function getCheckpointConfig(call: RouteCall): Promise<Response> {
  const run = await loadRun(call.ctx, call.params.jobid!);
  const interval = run.job.checkpointIntervalMs;
  if (interval === null) {
    throw new FlinkRestError(404, `Checkpointing is not enabled for this job (${run.id}).`);
  }
  return flinkJson(
    {
      mode: 'EXACTLY_ONCE',
      interval,
      // The default timeout; a configured one is not visible through the schema.
      timeout: CONFIG_DEFAULTS.checkpointTimeoutMs,
      min_pause: 0,
      max_concurrent: 1,
      externalization: { enabled: true, delete_on_cancellation: false },
      state_backend: 'jobgate',
      checkpoint_storage: 'jobgate database',
      unaligned_checkpoints: false,
      tolerable_failed_checkpoints: 0,
      aligned_checkpoint_timeout: 0,
      checkpoints_after_tasks_finish: true,
      state_changelog_enabled: false,
      changelog_periodic_materialization_interval: 0,
      changelog_storage: 'memory',
    },
    call.ctx,
  );
}

async function findCheckpoint(call: RouteCall) {
  const number = parseIndex('checkpointid', call.params.checkpointid!);
  const run = await loadCheckpoints(call, DETAILS_WINDOW);
  const checkpoint = run.checkpoints.nodes.find((c) => c.number === number);
  if (!checkpoint) {
    throw new FlinkRestError(
      404,
      `Could not find checkpointing statistics for checkpoint ${number}.`,
      FlinkException.notFound,
    );
  }
  return { run, checkpoint };
}

/** GET /jobs/:jobid/checkpoints/details/:checkpointid. */
export async function getCheckpointDetails(call: RouteCall): Promise<Response> {
  const { run, checkpoint } = await findCheckpoint(call);
  return flinkJson(checkpointStats(run, checkpoint), call.ctx);
}

/** GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid. */
export async function getCheckpointSubtasks(call: RouteCall): Promise<Response> {
  const { run, checkpoint } = await findCheckpoint(call);
  const vertexId = parseHex32('vertexid', call.params.vertexid!);
  const vertex = run.vertices.find((v) => vertexIdOf(v.id) === vertexId);
  if (!vertex) throw new FlinkRestError(404, `JobVertex ${vertexId} not found`, FlinkException.notFound);
  const stats = taskStats(run, checkpoint)[vertexId]!;
  const acks = checkpoint.acks;
  const triggered = ms(checkpoint.triggeredAt, 0);
  const subtasks = Array.from({ length: vertex.parallelism }, (_, index) => {
    const ack = acks.find((a) => a.subtaskIndex === index);
    if (!ack) return { index, status: 'pending_or_failed', className: 'pending' };
    const acked = ms(ack.ackedAt, 0);
    return {
      index,
      status: 'completed',
      className: 'completed',
      ack_timestamp: acked,
      end_to_end_duration: acked - triggered,
      state_size: ack.stateSize,
      checkpointed_size: ack.stateSize,
      checkpoint: { sync: 0, async: 0 },
      alignment: { buffered: 0, processed: 0, persisted: 0, duration: 0 },
      start_delay: 0,
      unaligned_checkpoint: false,
      aborted: false,
    };
  });
  const sizes = acks.map((a) => a.stateSize);
  const durations = acks.map((a) => ms(a.ackedAt, 0) - triggered);
  const zero = summary([]);
  return flinkJson(
    {
      ...stats,
      summary: {
        checkpointed_size: summary(sizes),
        state_size: summary(sizes),
        end_to_end_duration: summary(durations),
        checkpoint_duration: { sync: zero, async: zero },
        alignment: { buffered: zero, processed: zero, persisted: zero, duration: zero },
        start_delay: zero,
      },
      subtasks,
    },
    call.ctx,
  );
}

/** GET /jobs/:jobid/metrics: Flink's job-scope metrics (uptime, restarts, checkpoint figures) and
 * jobgate's run-level record counters. */
export async function getJobMetrics(call: RouteCall): Promise<Response> {
  const run = await loadCheckpoints(call, DETAILS_WINDOW);
  const all = run.checkpoints.nodes;
  const completed = all.filter((c) => c.status === CheckpointStatus.COMPLETED);
  const last = completed[0];
  const now = Date.now();
  const start = ms(run.startedAt ?? run.createdAt, now);
  const running = run.status === RunStatus.RUNNING;
  const available = new Map<string, number | string>([
    ['uptime', running ? now - start : 0],
    ['downtime', 0],
    ['numRestarts', run.attempt],
    ['fullRestarts', run.attempt],
    ['totalNumberOfCheckpoints', all.length],
    ['numberOfInProgressCheckpoints', all.filter((c) => c.status === CheckpointStatus.IN_PROGRESS).length],
    ['numberOfCompletedCheckpoints', completed.length],
    ['numberOfFailedCheckpoints', all.filter((c) => c.status === CheckpointStatus.FAILED).length],
    ['lastCheckpointRestoreTimestamp', run.restoredFrom ? start : -1],
    ['lastCheckpointSize', last?.stateSize ?? -1],
    ['lastCheckpointFullSize', last?.stateSize ?? -1],
    ['lastCheckpointDuration', last?.durationMs ?? -1],
    ['lastCheckpointExternalPath', last?.location ?? 'n/a'],
  ]);
  for (const metric of run.metrics) available.set(metric.name, metric.value);
  return metricsAnswer(call, available);
}
