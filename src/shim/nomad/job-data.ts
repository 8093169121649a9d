// The GraphQL reads behind Nomad's job, allocation and evaluation routes. A Nomad job is a jobgate
// job of the same name; its runs (the newest RUNS_PER_JOB) are what its evaluations and allocations
// are derived from, and the runs' `job_stage_*` log lines are the dtle driver's task events.
import type { RunStatus } from '../../lib/run-status.ts';
import type { DialectContext } from '../core/index.ts';
import { nomadErrorOf, query } from './query.ts';
import { NomadMessage } from './respond.ts';

/** How many of a job's newest runs its allocations come from (Nomad, too, garbage-collects old
 * allocations); also at most the aliases one stage-line read may carry. */
export const RUNS_PER_JOB = 20;
/** The stage lines read per run: a run writes one per stage it enters (and one per restart). */
const STAGE_LINES_PER_RUN = 50;

export interface NodeRef {
  id: string;
  name: string;
}

export interface AttemptData {
  attempt: number;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  failure: string | null;
  node: NodeRef | null;
}

export interface VertexData {
  name: string;
  status: string;
  subtasks: {
    index: number;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
    node: NodeRef | null;
    attempts: AttemptData[];
  }[];
}

/** What a job list shows of a job's newest run. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  attempt: number;
  jobVersion: number;
  statusCause: string | null;
  statusHistory: { to: RunStatus; at: string }[];
  vertices: { name: string }[];
}

export interface RunData extends RunSummary {
  vertices: VertexData[];
}

export interface JobData {
  id: string;
  name: string;
  kind: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  metadata: { key: string; value: string }[];
}

export interface JobWithRuns extends JobData {
  definition: unknown;
  runs: { nodes: RunData[] };
}

export interface JobListItem extends JobData {
  latestRun: RunSummary | null;
}

export interface StageLine {
  at: string;
  message: string;
  vertex: string | null;
}

const JOB_FIELDS = 'id name kind version createdAt updatedAt metadata { key value }';
const RUN_FIELDS = `id status createdAt startedAt endedAt attempt jobVersion statusCause
  statusHistory { to at }
  vertices {
    name status
    subtasks {
      index status startedAt endedAt node { id name }
      attempts { attempt status startedAt endedAt failure node { id name } }
    }
  }`;

const JOB = `query NomadJob($name: String!) {
  job(name: $name) { ${JOB_FIELDS} definition runs(first: ${RUNS_PER_JOB}) { nodes { ${RUN_FIELDS} } } }
}`;

/** How many jobs the list shows (by name): what one read may cost under the query cost limit. */
export const JOB_LIST_SIZE = 500;

const JOBS = `query NomadJobs {
  jobs(first: ${JOB_LIST_SIZE}) {
    nodes {
      ${JOB_FIELDS}
      latestRun {
        id status createdAt startedAt endedAt attempt jobVersion statusCause statusHistory { to at } vertices { name }
      }
    }
  }
}`;

const JOB_NAMES = `query NomadJobNames { jobs(first: 1000) { nodes { name } } }`;

/** The job `name` with its newest runs, or Nomad's 404 `job not found`. */
export async function loadJob(ctx: DialectContext, name: string): Promise<JobWithRuns> {
  const data = await query<{ job: JobWithRuns }>(ctx, JOB, { name }, { notFound: NomadMessage.jobNotFound });
  return data.job;
}

/** The job `name` with its runs, or null when there is none. */
export async function findJob(ctx: DialectContext, name: string): Promise<JobWithRuns | null> {
  const result = await ctx.execute<{ job: JobWithRuns }>({ document: JOB, variables: { name } });
  const error = result.errors?.[0];
  if (error?.extensions?.code === 'NOT_FOUND' || (error && error.extensions?.code === 'BAD_USER_INPUT')) {
    return null;
  }
  if (error || !result.data) throw nomadErrorOf(error ?? { message: 'no data' });
  return result.data.job;
}

/** The jobs (the first JOB_LIST_SIZE by name), each with its newest run. */
export async function loadJobs(ctx: DialectContext): Promise<JobListItem[]> {
  const data = await query<{ jobs: { nodes: JobListItem[] } }>(ctx, JOBS);
  return data.jobs.nodes;
}

/** The names of the jobs (the first 1000 by name). */
export async function loadJobNames(ctx: DialectContext): Promise<string[]> {
  const data = await query<{ jobs: { nodes: { name: string }[] } }>(ctx, JOB_NAMES);
  return data.jobs.nodes.map((job) => job.name);
}

/** The `job_stage_*` lines of each run, oldest first, by run id (one read for all of them). */
export async function loadStageLines(
  ctx: DialectContext,
  runIds: readonly string[],
): Promise<Map<string, StageLine[]>> {
  const ids = runIds.slice(0, RUNS_PER_JOB);
  const out = new Map<string, StageLine[]>();
  if (ids.length === 0) return out;
  const params = ids.map((_, i) => `$r${i}: ID!`).join(', ');
  const fields = ids
    .map(
      (_, i) =>
        `l${i}: logLines(runId: $r${i}, search: "job_stage_", first: ${STAGE_LINES_PER_RUN}) { nodes { at message vertex } }`,
    )
    .join('\n');
  const variables = Object.fromEntries(ids.map((id, i) => [`r${i}`, id]));
  const data = await query<Record<string, { nodes: StageLine[] }>>(
    ctx,
    `query NomadStages(${params}) {\n${fields}\n}`,
    variables,
  );
  ids.forEach((id, i) => {
    out.set(
      id,
      (data[`l${i}`]?.nodes ?? []).filter((line) => /^job_stage_(full|incr)\b/.test(line.message)),
    );
  });
  return out;
}

/** The metadata of a job as a map. */
export function metadataOf(job: JobData): Record<string, string> {
  return Object.fromEntries(job.metadata.map(({ key, value }) => [key, value]));
}
