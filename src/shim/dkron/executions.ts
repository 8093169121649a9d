// Executions are a job's runs (ref/dkron/ENDPOINTS.md §4): success when the run FINISHED, output
// from the run's log (the command's stdout and stderr lines, or an http job's response), the node
// from where its subtask ran. An execution's id is the run id (Dkron's is `<ns>-<node>`).
import { isDkronBusy, isDkronSuccess } from '../../lib/dkron-status.ts';
import { ACTIVE_RUN_STATUSES, type RunStatus } from '../../lib/status.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { loadDkronJob } from './jobs.ts';
import { ZERO_TIME } from './job-json.ts';
import { query } from './query.ts';
import { DkronError, dkronJson } from './respond.ts';
import { META } from './job-body.ts';

const RUN_FIELDS = `id status attempt createdAt startedAt endedAt job { name }
  vertices { subtasks { node { name } } }`;

interface RunData {
  id: string;
  status: RunStatus;
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  job: { name: string };
  vertices: { subtasks: { node: { name: string } | null }[] }[];
}

/** Log lines of a run that are not the command's own output: the `$ command` echo and the exit summary. */
const FRAME =
  /^(\$ |\S+: (exited with code|stopped|timed out|killed by|command|HTTP |request ).*\(\d+ ms\)$)/;

const OUTPUT_LINES = 200;

async function outputOf(ctx: DialectContext, runId: string): Promise<string> {
  const data = await query<{ logLines: { nodes: { message: string; vertex: string | null }[] } }>(
    ctx,
    `query DkronOutput($runId: ID!, $last: Int) { logLines(runId: $runId, last: $last) { nodes { message vertex } } }`,
    { runId, last: OUTPUT_LINES },
  );
  const lines = data.logLines.nodes.filter((l) => l.vertex !== null && !FRAME.test(l.message));
  return lines.map((l) => `${l.message}\n`).join('');
}

/** A run as Dkron's execution. */
async function execution(ctx: DialectContext, run: RunData, withOutput: boolean) {
  const started = run.startedAt ?? run.createdAt;
  const node = run.vertices.flatMap((v) => v.subtasks).find((s) => s.node)?.node?.name;
  return {
    id: run.id,
    job_name: run.job.name,
    started_at: started,
    finished_at: isDkronBusy(run.status) ? ZERO_TIME : (run.endedAt ?? ZERO_TIME),
    success: isDkronSuccess(run.status),
    output: withOutput ? await outputOf(ctx, run.id) : '',
    node_name: node ?? '',
    group: Date.parse(run.createdAt) * 1_000_000,
    attempt: run.attempt + 1,
  };
}

async function runsOf(ctx: DialectContext, name: string): Promise<RunData[]> {
  const data = await query<{ runs: { nodes: RunData[] } }>(
    ctx,
    `query DkronRuns($job: String!) { runs(job: $job, first: 100) { nodes { ${RUN_FIELDS} } } }`,
    { job: name },
    { notFound: '' },
  );
  return data.runs.nodes;
}

/** The runs Dkron still shows: those after the job's executions were last cleared. */
async function visibleRuns(ctx: DialectContext, name: string): Promise<RunData[]> {
  const job = await loadDkronJob(ctx, name);
  const cleared = await clearedAt(ctx, job.name);
  const runs = await runsOf(ctx, job.name);
  return cleared ? runs.filter((r) => Date.parse(r.createdAt) > Date.parse(cleared)) : runs;
}

async function clearedAt(ctx: DialectContext, name: string): Promise<string | undefined> {
  const data = await query<{ job: { metadata: { key: string; value: string }[] } }>(
    ctx,
    `query DkronMeta($name: String!) { job(name: $name) { metadata { key value } } }`,
    { name },
  );
  return data.job.metadata.find((m) => m.key === META.executionsClearedAt)?.value;
}

/** GET /v1/jobs/:job/executions: newest first (`_order=ASC` turns it), `output_size_limit` keeps
 * the last N bytes of each output. */
export async function listExecutions({ ctx, params, url }: RouteCall): Promise<Response> {
  const runs = await visibleRuns(ctx, params.job!);
  const limitText = url.searchParams.get('output_size_limit');
  const limit = limitText !== null && /^\d+$/.test(limitText) ? Number(limitText) : undefined;
  const list = await Promise.all(
    runs.map(async (run) => {
      const e = await execution(ctx, run, true);
      const bytes = Buffer.from(e.output);
      const truncated = limit !== undefined && bytes.length > limit;
      const output = truncated ? bytes.subarray(bytes.length - limit).toString() : e.output;
      return { ...e, output, output_truncated: truncated };
    }),
  );
  const asc = (url.searchParams.get('_order') ?? 'DESC').toUpperCase() === 'ASC';
  list.sort((a, b) => (Date.parse(a.started_at) - Date.parse(b.started_at)) * (asc ? 1 : -1));
  return dkronJson(list, url, 200, { 'x-total-count': String(list.length) });
}

/** GET /v1/jobs/:job/executions/:execution. */
export async function showExecution({ ctx, params, url }: RouteCall): Promise<Response> {
  const runs = await visibleRuns(ctx, params.job!);
  const run = runs.find((r) => r.id === params.execution);
  if (!run) throw new DkronError(404, '');
  return dkronJson(await execution(ctx, run, true), url);
}

/** DELETE /v1/jobs/:job/executions: jobgate keeps runs (they are its history), so the job's
 * executions and counts restart from now; returns the job. */
export async function clearExecutions({ ctx, params, url }: RouteCall): Promise<Response> {
  const job = await loadDkronJob(ctx, params.job!);
  const data = await query<{ job: { metadata: { key: string; value: string }[] } }>(
    ctx,
    `query DkronMeta($name: String!) { job(name: $name) { metadata { key value } } }`,
    { name: job.name },
  );
  const metadata = Object.fromEntries(data.job.metadata.map((m) => [m.key, m.value]));
  metadata[META.executionsClearedAt] = new Date().toISOString();
  await query(
    ctx,
    `mutation DkronClear($name: String!, $metadata: JSON!) { updateJob(input: { name: $name, metadata: $metadata }) { job { name } } }`,
    { name: job.name, metadata },
  );
  return dkronJson(await loadDkronJob(ctx, job.name), url);
}

/** GET /v1/busy: every running execution, oldest first. */
export async function busy({ ctx, url }: RouteCall): Promise<Response> {
  // One page per live status (a page of every run would be mostly ended runs).
  const pages = await Promise.all(
    ACTIVE_RUN_STATUSES.map((status) =>
      query<{ runs: { nodes: RunData[] } }>(
        ctx,
        `query DkronBusy($status: RunStatus) { runs(status: $status, first: 200) { nodes { ${RUN_FIELDS} } } }`,
        { status },
      ),
    ),
  );
  const running = pages.flatMap((p) => p.runs.nodes).filter((r) => isDkronBusy(r.status));
  const list = await Promise.all(running.map((run) => execution(ctx, run, true)));
  list.sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
  return dkronJson(list, url, 200, { 'x-total-count': String(list.length) });
}
