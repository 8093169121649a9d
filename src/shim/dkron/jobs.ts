// The job routes (ref/dkron/ENDPOINTS.md §1): list, show, create-or-update (upsert by name), delete,
// run now and toggle, each a GraphQL operation run as the request's viewer, so a role can do here
// exactly what GraphQL lets it (shell and http jobs are an admin's to define).
import type { RouteCall } from '../core/index.ts';
import { refuseWhilePaused } from './cluster.ts';
import type { DialectContext } from '../core/index.ts';
import { jobInputOf, META, parseBody, type JobInput } from './job-body.ts';
import { dkronJob, JOB_FIELDS, type DkronJob, type JobData } from './job-json.ts';
import { dkronErrorOf, query } from './query.ts';
import { DkronError, dkronJson } from './respond.ts';

/** Jobs per page: the page's cost (about 74 a job) stays under the server's limit. */
const PAGE = 500;
const ALL_JOBS = `query DkronJobs($after: String) {
  jobs(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} } }
}`;
const PARENTS = `query DkronParents($after: String) {
  jobs(first: ${PAGE}, after: $after) { pageInfo { hasNextPage endCursor } nodes { name parentJob { name } } }
}`;
const ONE_JOB = `query DkronJob($name: String!) { job(name: $name) { ${JOB_FIELDS} } }`;

interface JobPage<T> {
  jobs: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: T[] };
}

/** Every job, page by page. */
async function everyJob<T>(ctx: DialectContext, document: string): Promise<T[]> {
  const all: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page: JobPage<T> = await query<JobPage<T>>(ctx, document, { after });
    all.push(...page.jobs.nodes);
    if (!page.jobs.pageInfo.hasNextPage) return all;
    after = page.jobs.pageInfo.endCursor;
  }
}
const STATS_SINCE = `query DkronStats($name: String!, $since: DateTime) {
  job(name: $name) { runStats(since: $since) { finished failed lastFinishedAt lastFailedAt } }
}`;

/** Dependents by parent name. */
function dependentsOf(jobs: { name: string; parentJob: { name: string } | null }[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const job of jobs) {
    if (!job.parentJob) continue;
    map.set(job.parentJob.name, [...(map.get(job.parentJob.name) ?? []), job.name]);
  }
  return map;
}

/** The job's Dkron JSON, its counts taken after its executions were last cleared. */
async function toDkron(
  ctx: DialectContext,
  job: JobData,
  dependents: Map<string, string[]>,
): Promise<DkronJob> {
  const cleared = job.metadata.find((m) => m.key === META.executionsClearedAt)?.value;
  let stats = job.runStats;
  if (cleared) {
    const data = await query<{ job: { runStats: JobData['runStats'] } }>(ctx, STATS_SINCE, {
      name: job.name,
      since: cleared,
    });
    stats = data.job.runStats;
  }
  return dkronJob(job, dependents.get(job.name) ?? [], stats);
}

/** The job's Dkron JSON, or Dkron's 404 (`notFound` body). */
export async function loadDkronJob(ctx: DialectContext, name: string, notFound = ''): Promise<DkronJob> {
  const data = await query<{ job: JobData }>(ctx, ONE_JOB, { name }, { notFound });
  const parents = await everyJob<{ name: string; parentJob: { name: string } | null }>(ctx, PARENTS);
  return toDkron(ctx, data.job, dependentsOf(parents));
}

/** GET /v1/jobs: filters, sort and `_start`/`_end` as Dkron's store applies them. */
export async function listJobs({ ctx, url }: RouteCall): Promise<Response> {
  const all = await everyJob<JobData>(ctx, ALL_JOBS);
  const dependents = dependentsOf(all);
  let jobs = await Promise.all(all.map((job) => toDkron(ctx, job, dependents)));
  const params = url.searchParams;
  const wanted = [...params.entries()]
    .map(([key, value]) => [/^metadata\[(.+)\]$/.exec(key)?.[1], value] as const)
    .filter((pair): pair is readonly [string, string] => pair[0] !== undefined);
  jobs = jobs.filter((job) => wanted.every(([k, v]) => job.metadata[k] === v));
  const q = params.get('q');
  if (q) jobs = jobs.filter((job) => job.name.includes(q) || job.displayname.includes(q));
  const status = params.get('status');
  if (status) jobs = jobs.filter((job) => job.status === (status === 'untriggered' ? '' : status));
  const disabled = params.get('disabled');
  if (disabled) jobs = jobs.filter((job) => String(job.disabled) === disabled);
  const sortKey = (params.get('_sort') || 'id') === 'id' ? 'name' : params.get('_sort')!;
  const desc = (params.get('_order') ?? 'ASC').toUpperCase() === 'DESC';
  jobs.sort((a, b) => {
    const x = String((a as Record<string, unknown>)[sortKey] ?? '');
    const y = String((b as Record<string, unknown>)[sortKey] ?? '');
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const total = jobs.length;
  const start = Number(params.get('_start') ?? 0) || 0;
  const end = params.has('_end') ? Math.min(Number(params.get('_end')) || 0, total) : total;
  if (params.has('_start') || params.has('_end')) jobs = jobs.slice(start, end);
  return dkronJson(jobs, url, 200, { 'x-total-count': String(total) });
}

/** GET /v1/jobs/:job (unknown: 404, empty body). */
export async function showJob({ ctx, params, url }: RouteCall): Promise<Response> {
  return dkronJson(await loadDkronJob(ctx, params.job!), url);
}

const SAVE = (mutation: 'createJob' | 'updateJob') =>
  `mutation DkronSave($input: ${
    mutation === 'createJob' ? 'CreateJobInput' : 'UpdateJobInput'
  }!) { ${mutation}(input: $input) { job { name } } }`;
const EXISTS = `query DkronExists($name: String!) { jobs(name: $name, first: 1000) { nodes { name kind } } }`;
const START = `mutation DkronRun($job: String!) { startJob(input: { job: $job }) { run { id } } }`;

export async function save(ctx: DialectContext, input: JobInput): Promise<void> {
  const found = await query<{ jobs: { nodes: { name: string; kind: string }[] } }>(ctx, EXISTS, {
    name: input.name,
  });
  const existing = found.jobs.nodes.find((j) => j.name === input.name);
  // Dkron replaces the whole job: what the body leaves out is reset, not kept.
  const variables = { input };
  const mutation = existing ? 'updateJob' : 'createJob';
  const result = await ctx.execute({ document: SAVE(mutation), variables });
  const error = result.errors?.[0];
  if (!error) return;
  if (error.extensions?.code === 'BAD_USER_INPUT' && /parentJob: no job named/.test(error.message)) {
    throw new DkronError(404, 'specified parent job not found');
  }
  if (!existing && error.extensions?.code === 'CONFLICT') {
    const retried = await ctx.execute({ document: SAVE('updateJob'), variables });
    if (!retried.errors?.length) return;
    throw dkronErrorOf(retried.errors[0]);
  }
  throw dkronErrorOf(error);
}

/** POST/PATCH /v1/jobs and PUT /v1/jobs/:job (the path name is ignored, as Dkron ignores it): 201
 * with the job, `Location: <request URI>/<name>`; `?runoncreate` runs it at once. */
export async function upsertJob({ ctx, request, url }: RouteCall): Promise<Response> {
  await refuseWhilePaused(ctx);
  const input = jobInputOf(parseBody(await request.text()));
  await save(ctx, input);
  if (url.searchParams.has('runoncreate')) await query(ctx, START, { job: input.name });
  const job = await loadDkronJob(ctx, input.name);
  const location = `${url.pathname.replace(/\/$/, '')}/${encodeURIComponent(input.name)}${url.search}`;
  return dkronJson(job, url, 201, { location });
}

/** DELETE /v1/jobs/:job: the deleted job. */
export async function deleteJob({ ctx, params, url }: RouteCall): Promise<Response> {
  const job = await loadDkronJob(ctx, params.job!);
  await query(ctx, `mutation DkronDelete($name: String!) { deleteJob(name: $name) { job { name } } }`, {
    name: params.job!,
  });
  return dkronJson(job, url);
}

/** POST /v1/jobs/:job and /v1/jobs/:job/run: starts a run; 200 on the wire (see ENDPOINTS.md). */
export async function runJob({ ctx, params, url }: RouteCall): Promise<Response> {
  await loadDkronJob(ctx, params.job!);
  await query(ctx, START, { job: params.job! });
  const job = await loadDkronJob(ctx, params.job!);
  return dkronJson(job, url, 200, { location: `${url.pathname}${url.search}` });
}

/** POST /v1/jobs/:job/toggle: flips `disabled`. */
export async function toggleJob({ ctx, params, url }: RouteCall): Promise<Response> {
  const job = await loadDkronJob(ctx, params.job!);
  await query(
    ctx,
    `mutation DkronToggle($name: String!, $disabled: Boolean!) { updateJob(input: { name: $name, disabled: $disabled }) { job { name } } }`,
    { name: job.name, disabled: !job.disabled },
  );
  return dkronJson(await loadDkronJob(ctx, job.name), url);
}
