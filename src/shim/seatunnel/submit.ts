// Zeta's submit-job and submit-jobs (ENDPOINTS.md §3): the body is a SeaTunnel config, which is what
// a jobgate pipeline definition is, so a submission creates the job `seatunnel-<id>` through GraphQL
// (createJob, checked and stored with its secrets sealed, or refused whole) and starts it (startJob).
// Resubmitting an id whose job has ended starts a new run of that job with the new config;
// isStartWithSavePoint restores the new run from the job's newest completed savepoint.
// Failures: Zeta's IllegalArgumentExceptions (empty body, bad JSON, a bad jobId, a savepoint start
// without jobId) are 400; a config the engine cannot build (unknown plugin, missing or bad options)
// fails outside them, 500; both `{"status":"fail","message":...}`, and nothing is stored.
import { CheckpointStatus, isTerminalRunStatus } from '../../lib/status.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { jobNameOf, newJobId, parseJobId } from './ids.ts';
import { findSeaTunnelJob, JOB_NAME_KEY } from './job-data.ts';
import { query, SeaTunnelQueryError } from './query.ts';
import { isObject, readJson } from './request-body.ts';
import { badRequest, SeaTunnelRestError, seatunnelJson } from './respond.ts';
import { decryptConfig } from './shade.ts';

const CREATE = `mutation SeaTunnelCreateJob($input: CreateJobInput!) { createJob(input: $input) { job { name } } }`;
const UPDATE = `mutation SeaTunnelUpdateJob($input: UpdateJobInput!) { updateJob(input: $input) { job { name } } }`;
const DELETE = `mutation SeaTunnelDeleteJob($name: String!) { deleteJob(name: $name) { job { name } } }`;
const START = `mutation SeaTunnelStartJob($input: StartJobInput!) { startJob(input: $input) { run { id } } }`;
const SAVEPOINTS = `query SeaTunnelSavepoints($name: String!) {
  job(name: $name) { runs(first: 20) { nodes { checkpoints(first: 50) { nodes { id kind status } } } } }
}`;

/** Zeta's default job name (EnvCommonOptions JOB_NAME). */
export const DEFAULT_JOB_NAME = 'SeaTunnel_Job';
const MAX_JOB_NAME = 2000;

export interface Submission {
  jobId?: string;
  jobName?: string;
  isStartWithSavePoint: boolean;
  config: Record<string, unknown>;
}

/** The job name: the query's, else env.job.name, else SeaTunnel_Job. */
function clientJobName(submission: Submission): string {
  const env = isObject(submission.config.env) ? submission.config.env : {};
  const fromEnv = typeof env['job.name'] === 'string' ? env['job.name'] : undefined;
  const name = submission.jobName ?? fromEnv ?? DEFAULT_JOB_NAME;
  if (name.length > MAX_JOB_NAME) throw badRequest(`jobName must be at most ${MAX_JOB_NAME} characters.`);
  return name;
}

/** An engine failure to build the job: Zeta answers it 500; access refusals keep their status. */
function engineError(err: unknown): unknown {
  if (!(err instanceof SeaTunnelQueryError) || err.code !== 'BAD_USER_INPUT') return err;
  const plugin = /unknown (source|transform|sink) plugin "([^"]*)"/.exec(err.message);
  if (plugin) {
    const factory = {
      source: 'TableSourceFactory',
      transform: 'TableTransformFactory',
      sink: 'TableSinkFactory',
    }[plugin[1] as 'source' | 'transform' | 'sink'];
    return new SeaTunnelRestError(
      500,
      `Could not find any factory for identifier '${plugin[2]}' that implements 'org.apache.seatunnel.api.table.factory.${factory}' in the classpath.`,
    );
  }
  return new SeaTunnelRestError(500, err.message);
}

/** The id of the job's newest completed savepoint, if any. */
async function newestSavepoint(ctx: DialectContext, name: string): Promise<string | null> {
  type Data = {
    job: { runs: { nodes: { checkpoints: { nodes: { id: string; kind: string; status: string }[] } }[] } };
  };
  const { job } = await query<Data>(ctx, SAVEPOINTS, { name });
  for (const run of job.runs.nodes) {
    const found = run.checkpoints.nodes.find(
      (c) => c.kind === 'SAVEPOINT' && c.status === CheckpointStatus.COMPLETED,
    );
    if (found) return found.id;
  }
  return null;
}

/** Creates (or gives a new config to) the job and starts it; answers `{jobId, jobName}`. */
export async function submit(
  ctx: DialectContext,
  submission: Submission,
): Promise<{ jobId: string; jobName: string }> {
  if (submission.isStartWithSavePoint && submission.jobId === undefined) {
    throw badRequest('Please provide jobId when start with save point.');
  }
  const jobId = submission.jobId ?? newJobId();
  const jobName = clientJobName(submission);
  const name = jobNameOf(jobId);
  const pipeline = decryptConfig(submission.config);
  const metadata = { 'seatunnel.jobId': jobId, [JOB_NAME_KEY]: jobName };
  const existing = await findSeaTunnelJob(ctx, jobId);
  let fromSavepoint: string | null = null;
  try {
    if (existing) {
      const live = existing.latestRun && !isTerminalRunStatus(existing.latestRun.status);
      if (live) {
        // Zeta keeps one live job per id; a savepoint start needs the job stopped first.
        const why = submission.isStartWithSavePoint
          ? 'is still running; stop it with a savepoint first'
          : 'has already been submitted and is not starting with a savepoint';
        throw new SeaTunnelRestError(500, `The job id ${jobId} ${why}.`);
      }
      if (submission.isStartWithSavePoint) fromSavepoint = await newestSavepoint(ctx, name);
      await query(ctx, UPDATE, { input: { name, pipeline, metadata } });
    } else {
      await query(ctx, CREATE, { input: { name, pipeline, metadata } });
    }
  } catch (err) {
    throw engineError(err);
  }
  try {
    await query(ctx, START, { input: { job: name, fromSavepoint, allowNonRestoredState: true } });
  } catch (err) {
    // A job this request created and could not start is not left behind.
    if (!existing) await query(ctx, DELETE, { name }).catch(() => undefined);
    throw engineError(err);
  }
  return { jobId, jobName };
}

/** Boolean.parseBoolean: "true" in any case is true, anything else false. */
const parseBoolean = (value: unknown) => String(value ?? '').toLowerCase() === 'true';

/** POST /submit-job[?jobId=&jobName=&isStartWithSavePoint=&format=json]. */
export async function submitJob({ request, ctx, url }: RouteCall): Promise<Response> {
  const format = url.searchParams.get('format');
  if (format !== null && format.toLowerCase() !== 'json') {
    throw badRequest(`Unsupported format: ${format}; jobgate takes the json format.`);
  }
  const rawId = url.searchParams.get('jobId');
  const submission: Submission = {
    jobId: rawId === null ? undefined : parseJobId(rawId),
    jobName: url.searchParams.get('jobName') ?? undefined,
    isStartWithSavePoint: parseBoolean(url.searchParams.get('isStartWithSavePoint')),
    config: (await readJson(request, 'object')) as Record<string, unknown>,
  };
  return seatunnelJson(await submit(ctx, submission));
}

/** POST /submit-jobs: an array of configs, each with its query parameters in `params`. */
export async function submitJobs({ request, ctx }: RouteCall): Promise<Response> {
  const body = (await readJson(request, 'array')) as unknown[];
  if (body.length > 100) throw badRequest('At most 100 jobs may be submitted at once.');
  const submissions = body.map((item): Submission => {
    if (!isObject(item)) throw badRequest('Invalid JSON format in request body.');
    const { params, ...config } = item;
    if (params !== undefined && !isObject(params)) throw badRequest('Invalid Params format in Params.');
    const p = params ?? {};
    return {
      jobId: p.jobId === undefined || p.jobId === null ? undefined : parseJobId(String(p.jobId)),
      jobName: p.jobName === undefined || p.jobName === null ? undefined : String(p.jobName),
      isStartWithSavePoint: parseBoolean(p.isStartWithSavePoint),
      config,
    };
  });
  const answers = [];
  for (const submission of submissions) answers.push(await submit(ctx, submission));
  return seatunnelJson(answers);
}
