// The vertex and subtask routes (ENDPOINTS.md rows 29-35, plus the vertex taskmanagers and
// accumulator routes the dashboard's vertex drawer reads). A vertex's JobVertexID is its uuid
// without dashes; subtask attempts are Flink's execution attempts.
import type { RouteCall } from '../core/index.ts';
import { parseHex32, parseIndex, taskManagerIdOf, vertexIdOf } from './ids.ts';
import {
  executionCounts,
  executionState,
  ioMetrics,
  metricValue,
  statusDurations,
  times,
  vertexTimes,
} from './mappers.ts';
import { aggregatedAnswer, metricsAnswer } from './metric-answers.ts';
import { query } from './query.ts';
import { FlinkException, FlinkRestError, flinkJson } from './respond.ts';
import {
  loadRun,
  ms,
  type MetricValue,
  type RunData,
  type SubtaskData,
  type VertexData,
} from './run-data.ts';

/** Flink's "no watermark": Long.MIN_VALUE, as the dashboard's humanizeWatermark expects it. */
const NO_WATERMARK = '-9223372036854775808';

/** The run and the vertex `:vertexid` names, or 400 / 404 as Flink words them. */
async function loadVertex(call: RouteCall): Promise<{ run: RunData; vertex: VertexData }> {
  const run = await loadRun(call.ctx, call.params.jobid!);
  const id = parseHex32('vertexid', call.params.vertexid!);
  const vertex = run.vertices.find((v) => vertexIdOf(v.id) === id);
  if (!vertex) throw new FlinkRestError(404, `JobVertex ${id} not found`, FlinkException.notFound);
  return { run, vertex };
}

function subtaskAt(vertex: VertexData, param: string): SubtaskData {
  const index = parseIndex('subtaskindex', param);
  const subtask = vertex.subtasks.find((s) => s.index === index);
  if (!subtask) throw new FlinkRestError(404, `Invalid subtask index for vertex ${vertexIdOf(vertex.id)}`);
  return subtask;
}

/** The node a subtask runs on as Flink names a TaskManager: `host` and its ResourceID. */
function endpointOf(subtask: SubtaskData) {
  return {
    endpoint: subtask.node?.host ?? '(unassigned)',
    'taskmanager-id': subtask.node ? taskManagerIdOf(subtask.node.id) : '(unassigned)',
  };
}

/** SubtaskExecutionAttemptDetailsInfo (with the hidden duplicate `start_time` Flink writes). */
function attemptDetails(subtask: SubtaskData, now: number) {
  const timing = times(subtask.startedAt, subtask.endedAt, now);
  const { endpoint, 'taskmanager-id': taskmanagerId } = endpointOf(subtask);
  return {
    subtask: subtask.index,
    status: executionState(subtask.status),
    attempt: subtask.attempt,
    endpoint,
    host: endpoint,
    ...timing,
    start_time: timing['start-time'],
    metrics: ioMetrics(subtask.metrics),
    'taskmanager-id': taskmanagerId,
    'status-duration': statusDurations(subtask, now),
    'other-concurrent-attempts': [],
  };
}

/** min/max/avg/sum of each IO metric and status duration over subtasks (the vertex `aggregated`). */
function aggregatedOf(subtasks: readonly SubtaskData[], now: number) {
  const stats = (values: number[]) => ({
    min: values.length ? Math.min(...values) : 0,
    max: values.length ? Math.max(...values) : 0,
    avg: values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : 0,
    sum: values.reduce((a, b) => a + b, 0),
  });
  const io = subtasks.map((s) => ioMetrics(s.metrics));
  const durations = subtasks.map((s) => statusDurations(s, now));
  const numeric = (rows: Record<string, unknown>[]) =>
    Object.fromEntries(
      Object.keys(rows[0] ?? {})
        .filter((key) => typeof rows[0]![key] === 'number')
        .map((key) => [key, stats(rows.map((r) => r[key] as number))]),
    );
  return { metrics: numeric(io), 'status-duration': numeric(durations) };
}

/** GET /jobs/:jobid/vertices/:vertexid. */
export async function getVertex(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  const now = Date.now();
  return flinkJson(
    {
      id: vertexIdOf(vertex.id),
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.parallelism,
      now,
      subtasks: vertex.subtasks.map((s) => attemptDetails(s, now)),
      aggregated: aggregatedOf(vertex.subtasks, now),
    },
    call.ctx,
  );
}

/** GET .../subtasks/:subtaskindex: the current attempt. */
export async function getSubtask(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return flinkJson(attemptDetails(subtaskAt(vertex, call.params.subtaskindex!), Date.now()), call.ctx);
}

const ATTEMPTS = `query FlinkAttempts($id: ID!) {
  run(id: $id) {
    vertices { id subtasks { index attempts { attempt status startedAt endedAt node { id name host } } } }
  }
}`;

interface AttemptsData {
  run: {
    vertices: {
      id: string;
      subtasks: {
        index: number;
        attempts: {
          attempt: number;
          status: string;
          startedAt: string | null;
          endedAt: string | null;
          node: SubtaskData['node'];
        }[];
      }[];
    }[];
  };
}

/** GET .../subtasks/:subtaskindex/attempts/:attempt: a past or the current attempt. */
export async function getSubtaskAttempt(call: RouteCall): Promise<Response> {
  const { run, vertex } = await loadVertex(call);
  const subtask = subtaskAt(vertex, call.params.subtaskindex!);
  const number = parseIndex('attempt', call.params.attempt!);
  if (number === subtask.attempt) return flinkJson(attemptDetails(subtask, Date.now()), call.ctx);
  const data = await query<AttemptsData>(call.ctx, ATTEMPTS, { id: run.id });
  const past = data.run.vertices
    .find((v) => v.id === vertex.id)
    ?.subtasks.find((s) => s.index === subtask.index)
    ?.attempts.find((a) => a.attempt === number);
  if (!past) throw new FlinkRestError(404, `Invalid attempt num ${number}`);
  const metrics: MetricValue[] = [];
  return flinkJson(attemptDetails({ ...past, index: subtask.index, metrics }, Date.now()), call.ctx);
}

/** The metrics a subtask offers, by Flink name: jobgate's counters and rates, a zero
 * back-pressure (a chain runs in one place: there is no exchange to be back-pressured by), and a
 * busy time of NaN, which is what Flink's gauge reads when busy time is not measured (jobgate does
 * not measure it). Every task in Flink has the busy gauge, and the dashboard's DAG reads the max of
 * all three metrics it asks for: a missing one throws there and blanks every node's figures. */
function subtaskMetrics(subtask: SubtaskData): Map<string, number> {
  const metrics = new Map(subtask.metrics.map((m) => [m.name, m.value]));
  metrics.set('backPressuredTimeMsPerSecond', 0);
  metrics.set('busyTimeMsPerSecond', Number.NaN);
  return metrics;
}

/** GET .../vertices/:vertexid/metrics: `<subtask>.<metric>` ids. */
export async function getVertexMetrics(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  const available = new Map<string, number | string>();
  for (const subtask of vertex.subtasks) {
    for (const [name, value] of subtaskMetrics(subtask)) available.set(`${subtask.index}.${name}`, value);
    available.set(`${subtask.index}.currentInputWatermark`, NO_WATERMARK);
  }
  return metricsAnswer(call, available);
}

/** GET .../vertices/:vertexid/subtasks/metrics: aggregated over subtasks. */
export async function getSubtasksMetrics(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return aggregatedAnswer(call, vertex.subtasks.map(subtaskMetrics));
}

/** GET .../subtasks/:subtaskindex/metrics. */
export async function getSubtaskMetrics(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return metricsAnswer(call, subtaskMetrics(subtaskAt(vertex, call.params.subtaskindex!)));
}

/** GET .../vertices/:vertexid/subtasktimes. */
export async function getSubtaskTimes(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  const now = Date.now();
  return flinkJson(
    {
      id: vertexIdOf(vertex.id),
      name: vertex.name,
      now,
      subtasks: vertex.subtasks.map((s) => {
        const { endpoint } = endpointOf(s);
        const timestamps = Object.fromEntries(Object.keys(executionCounts([])).map((state) => [state, 0]));
        timestamps.CREATED = ms(s.startedAt, 0);
        if (s.startedAt) timestamps.RUNNING = ms(s.startedAt);
        if (s.endedAt) timestamps[executionState(s.status)] = ms(s.endedAt);
        return {
          subtask: s.index,
          host: endpoint,
          endpoint,
          duration: times(s.startedAt, s.endedAt, now).duration,
          timestamps,
        };
      }),
    },
    call.ctx,
  );
}

/** GET .../vertices/:vertexid/backpressure: always "ok" (no exchange between subtasks). A subtask
 * has one attempt at a time (no speculative execution), so, as in Flink's handler for a single
 * attempt, `attempt-number` and `other-concurrent-attempts` are left out (NON_NULL); the dashboard
 * shows "[attempt-N]" beside a subtask only when they are there. */
export async function getBackpressure(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return flinkJson(
    {
      status: 'ok',
      backpressureLevel: 'ok',
      'backpressure-level': 'ok',
      'end-timestamp': Date.now(),
      subtasks: vertex.subtasks.map((s) => ({
        subtask: s.index,
        backpressureLevel: 'ok',
        'backpressure-level': 'ok',
        ratio: 0,
        idleRatio: 0,
        busyRatio: 0,
      })),
    },
    call.ctx,
  );
}

/** GET .../vertices/:vertexid/watermarks: jobgate keeps no event time, so "no watermark". */
export async function getWatermarks(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return flinkJson(
    vertex.subtasks.map((s) => ({ id: `${s.index}.currentInputWatermark`, value: NO_WATERMARK })),
    call.ctx,
  );
}

/** GET .../vertices/:vertexid/taskmanagers: the vertex's subtasks grouped by the node they run on. */
export async function getVertexTaskManagers(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  const now = Date.now();
  const byNode = new Map<string, SubtaskData[]>();
  for (const s of vertex.subtasks) {
    const key = s.node?.id ?? '(unassigned)';
    byNode.set(key, [...(byNode.get(key) ?? []), s]);
  }
  const taskmanagers = [...byNode.values()].map((subtasks) => {
    const first = subtasks[0]!;
    const counts = executionCounts(subtasks);
    const metrics: MetricValue[] = ['numRecordsIn', 'numRecordsOut', 'numBytesOut'].map((name) => ({
      name,
      value: subtasks.reduce((sum, s) => sum + metricValue(s.metrics, name), 0),
    }));
    const status = Object.entries(counts).find(([, n]) => n > 0)?.[0] ?? executionState(first.status);
    return {
      ...endpointOf(first),
      host: endpointOf(first).endpoint,
      status,
      ...vertexTimes({ ...vertex, subtasks }, now),
      metrics: ioMetrics(metrics),
      'status-counts': counts,
      aggregated: aggregatedOf(subtasks, now),
    };
  });
  return flinkJson({ id: vertexIdOf(vertex.id), name: vertex.name, now, taskmanagers }, call.ctx);
}

/** GET .../vertices/:vertexid/accumulators: jobgate keeps no user accumulators. */
export async function getVertexAccumulators(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return flinkJson({ id: vertexIdOf(vertex.id), 'user-accumulators': [] }, call.ctx);
}

/** GET .../vertices/:vertexid/subtasks/accumulators. */
export async function getSubtasksAccumulators(call: RouteCall): Promise<Response> {
  const { vertex } = await loadVertex(call);
  return flinkJson(
    {
      id: vertexIdOf(vertex.id),
      parallelism: vertex.parallelism,
      subtasks: vertex.subtasks.map((s) => ({
        subtask: s.index,
        attempt: s.attempt,
        endpoint: endpointOf(s).endpoint,
        host: endpointOf(s).endpoint,
        'user-accumulators': [],
      })),
    },
    call.ctx,
  );
}

/** GET .../vertices/:vertexid/flamegraph: Flink's answer with rest.flamegraph.enabled off. */
export async function getFlameGraph(call: RouteCall): Promise<Response> {
  await loadVertex(call);
  return flinkJson(
    { endTimestamp: Date.now(), data: { name: 'Flame Graph is disabled.', value: 0, children: [] } },
    call.ctx,
  );
}
