// The job routes (ENDPOINTS.md rows 14-16, 18, 20, 28, and /jobs/:jobid/config and /status that the
// dashboard reads). A run is a Flink job: its id is the JobID, its vertices the JobVertices.
import { FLINK_TERMINAL_JOB_STATUSES } from '../../lib/flink-status.ts';
import type { RouteCall } from '../core/index.ts';
import { vertexIdOf } from './ids.ts';
import {
  executionCounts,
  executionState,
  ioMetrics,
  jobPlan,
  jobState,
  jobTimestamps,
  overviewTasks,
  times,
  vertexTimes,
} from './mappers.ts';
import { query } from './query.ts';
import { flinkJson } from './respond.ts';
import { loadRun, ms, type RunData } from './run-data.ts';

/** The runs Flink lists: every one the JobManager retains; jobgate answers the newest 1000. */
const JOB_LIST = `query FlinkJobs {
  runs(first: 1000) {
    nodes {
      id status createdAt startedAt endedAt
      job { name }
      statusHistory { at }
      vertices { subtasks { status } }
    }
  }
}`;

interface JobListData {
  runs: {
    nodes: {
      id: string;
      status: string;
      createdAt: string;
      startedAt: string | null;
      endedAt: string | null;
      job: { name: string };
      statusHistory: { at: string }[];
      vertices: { subtasks: { status: string }[] }[];
    }[];
  };
}

/** GET /jobs: `{jobs: [{id, status}]}` (id/status here, jid/state in the overview). */
export async function getJobs({ ctx }: RouteCall): Promise<Response> {
  const { runs } = await query<JobListData>(ctx, JOB_LIST);
  return flinkJson({ jobs: runs.nodes.map((run) => ({ id: run.id, status: jobState(run.status) })) }, ctx);
}

/** GET /jobs/overview: each job with times and lowercase task counts. */
export async function getJobsOverview({ ctx }: RouteCall): Promise<Response> {
  const { runs } = await query<JobListData>(ctx, JOB_LIST);
  const now = Date.now();
  const jobs = runs.nodes.map((run) => {
    const subtasks = run.vertices.flatMap((v) => v.subtasks);
    const changes = run.statusHistory.map((h) => ms(h.at, 0));
    return {
      jid: run.id,
      name: run.job.name,
      state: jobState(run.status),
      ...times(run.startedAt ?? run.createdAt, run.endedAt, now),
      'last-modification': Math.max(ms(run.createdAt, 0), ...changes),
      tasks: overviewTasks(subtasks),
    };
  });
  return flinkJson({ jobs }, ctx);
}

/** JobDetailsInfo: the whole job, its vertices with their IO metrics, and the plan. */
export function jobDetails(run: RunData, now: number) {
  const subtasks = run.vertices.flatMap((v) => v.subtasks);
  const state = jobState(run.status);
  return {
    jid: run.id,
    name: run.job.name,
    isStoppable: false,
    state,
    'job-type': run.job.mode,
    ...times(run.startedAt ?? run.createdAt, run.endedAt, now),
    maxParallelism: -1,
    now,
    timestamps: jobTimestamps(run),
    vertices: run.vertices.map((vertex) => ({
      id: vertexIdOf(vertex.id),
      // One slot-sharing group per run: a chain's subtasks share a slot, like Flink's default group.
      slotSharingGroupId: run.id,
      name: vertex.name,
      maxParallelism: vertex.parallelism,
      parallelism: vertex.parallelism,
      status: executionState(vertex.status),
      ...vertexTimes(vertex, now),
      tasks: executionCounts(vertex.subtasks),
      metrics: ioMetrics(vertex.metrics),
    })),
    'status-counts': executionCounts(subtasks),
    plan: jobPlan(run),
  };
}

/** GET /jobs/:jobid. */
export async function getJob({ ctx, params }: RouteCall): Promise<Response> {
  const run = await loadRun(ctx, params.jobid!);
  return flinkJson(jobDetails(run, Date.now()), ctx);
}

/** GET /jobs/:jobid/plan. */
export async function getJobPlan({ ctx, params }: RouteCall): Promise<Response> {
  const run = await loadRun(ctx, params.jobid!);
  return flinkJson({ plan: jobPlan(run) }, ctx);
}

/** GET /jobs/:jobid/status (1.16+): the cheap status call. */
export async function getJobStatus({ ctx, params }: RouteCall): Promise<Response> {
  const run = await loadRun(ctx, params.jobid!);
  return flinkJson({ status: jobState(run.status) }, ctx);
}

/** GET /jobs/:jobid/config: the execution config the dashboard's Configuration tab shows. The job's
 * tags and metadata are its user config. */
export async function getJobConfig({ ctx, params }: RouteCall): Promise<Response> {
  const run = await loadRun(ctx, params.jobid!);
  const userConfig: Record<string, string> = {};
  for (const { key, value } of [...run.job.tags, ...run.job.metadata]) userConfig[key] = value;
  const restart = run.job.restartStrategy;
  return flinkJson(
    {
      jid: run.id,
      name: run.job.name,
      'execution-config': {
        'execution-mode': 'PIPELINED',
        'restart-strategy': typeof restart.type === 'string' ? restart.type : 'none',
        'job-parallelism': run.parallelism,
        'object-reuse-mode': false,
        'user-config': userConfig,
      },
    },
    ctx,
  );
}

/** GET /jobs/:jobid/accumulators: jobgate keeps no user accumulators. */
export async function getJobAccumulators({ ctx, params }: RouteCall): Promise<Response> {
  await loadRun(ctx, params.jobid!);
  return flinkJson(
    { 'job-accumulators': [], 'user-task-accumulators': [], 'serialized-user-task-accumulators': {} },
    ctx,
  );
}

/** Whether the run will not change any more (Flink's terminal JobStatus values). */
export function isEnded(run: RunData): boolean {
  return FLINK_TERMINAL_JOB_STATUSES.includes(jobState(run.status));
}

const EXCEPTIONS = `query FlinkExceptions($id: ID!) {
  run(id: $id) { id exceptions { at message stack vertex subtaskIndex global } }
}`;

interface ExceptionsData {
  run: {
    id: string;
    exceptions: {
      at: string;
      message: string;
      stack: string | null;
      vertex: string | null;
      subtaskIndex: number | null;
      global: boolean;
    }[];
  };
}

/** GET /jobs/:jobid/exceptions?maxExceptions=N: the exception history, newest first, with the
 * deprecated root-exception fields (left out when there was no failure, as Flink's NON_NULL does).
 * Stack traces name server paths: only admins get them, others get the message. */
export async function getJobExceptions({ ctx, params, url }: RouteCall): Promise<Response> {
  const run = await loadRun(ctx, params.jobid!);
  const max = Number(url.searchParams.get('maxExceptions') ?? 20);
  const limit = Number.isInteger(max) && max >= 0 ? max : 20;
  const { run: withExceptions } = await query<ExceptionsData>(ctx, EXCEPTIONS, { id: run.id });
  const all = [...withExceptions.exceptions].reverse();
  const entries = all.slice(0, limit).map((e) => ({
    exceptionName: e.message.split(':')[0] ?? e.message,
    stacktrace: e.stack ?? e.message,
    timestamp: ms(e.at, 0),
    taskName: e.vertex === null ? null : `${e.vertex} (${(e.subtaskIndex ?? 0) + 1})`,
    endpoint: null,
    taskManagerId: null,
    location: null,
    failureLabels: {},
    concurrentExceptions: [],
  }));
  const root = all.find((e) => e.global) ?? all[0];
  return flinkJson(
    {
      ...(root ? { 'root-exception': root.stack ?? root.message, timestamp: ms(root.at, 0) } : {}),
      'all-exceptions': all.slice(0, limit).map((e) => ({
        exception: e.stack ?? e.message,
        task: e.vertex,
        location: null,
        endpoint: null,
        taskManagerId: null,
        timestamp: ms(e.at, 0),
      })),
      truncated: all.length > limit,
      exceptionHistory: { entries, truncated: all.length > limit },
    },
    ctx,
  );
}
