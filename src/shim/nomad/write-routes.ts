// Registering and stopping jobs (ENDPOINTS.md §2, §4), as dtle users pause and resume replication
// (replication-interface.md §4): register = createJob (or updateJob) + startJob; DELETE = stopJob
// (the job stays, Nomad status dead, its saved position kept); DELETE ?purge=true = stop + deleteJob
// (the saved position forgotten). A register that fails anywhere leaves nothing it created behind.
import { sha256Hex } from '../../lib/ids.ts';
import { isEndedRun, isStoppedRun, isStoppingRun } from '../../lib/nomad-status.ts';
import type { RunStatus } from '../../lib/run-status.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { replicationOf, type DtlePlacement, type ReplicationDocument } from './dtle-replication.ts';
import { DEFAULT_RESTART, META } from './groups.ts';
import { deregisterEvalId, registerEvalId } from './ids.ts';
import { findJob, metadataOf } from './job-data.ts';
import { parseRegisterBody, type NomadJob } from './nomad-job.ts';
import { query } from './query.ts';
import { parseGoBool, readNomadBody } from './request-body.ts';
import { NomadError, nomadJson } from './respond.ts';

const CREATE = `mutation NomadCreateJob($input: CreateJobInput!) { createJob(input: $input) { job { name } } }`;
const UPDATE = `mutation NomadUpdateJob($input: UpdateJobInput!) { updateJob(input: $input) { job { name } } }`;
const START = `mutation NomadStartJob($input: StartJobInput!) { startJob(input: $input) { run { id } } }`;
const STOP = `mutation NomadStopJob($input: StopJobInput!) { stopJob(input: $input) { run { id status } } }`;
const DELETE = `mutation NomadDeleteJob($name: String!) { deleteJob(name: $name) { job { name } } }`;
const RUN_STATUS = `query NomadRunStatus($id: ID!) { run(id: $id) { status } }`;

/** How long a stop waits for the run to end before the job is replaced or purged. */
const STOP_WAIT_MS = 60_000;
const STOP_POLL_MS = 200;

/** The `nomad.*` metadata a dtle job keeps (what GET /v1/job/:id shows back). */
function metadataFor(job: NomadJob, placement: DtlePlacement, document: ReplicationDocument) {
  const restart = job.groups.find((g) => g.restartAttempts !== undefined || g.restartDelayNs !== undefined);
  const metadata: Record<string, string> = {
    [META.groups]: JSON.stringify([
      { ...placement.src, role: 'src' },
      { ...placement.dest, role: 'dest' },
    ]),
    [META.datacenters]: JSON.stringify(job.datacenters),
    [META.type]: job.type,
    [META.priority]: String(job.priority),
    [META.region]: job.region,
    [META.namespace]: job.namespace,
    [META.restart]: JSON.stringify({
      attempts: restart?.restartAttempts ?? DEFAULT_RESTART.attempts,
      delayNs: restart?.restartDelayNs ?? DEFAULT_RESTART.delayNs,
    }),
  };
  if (Object.keys(job.meta).length) metadata[META.meta] = JSON.stringify(job.meta);
  // What decides whether a re-register changes a running job; passwords are left out (a hash of
  // one would be readable by every viewer), so a password-only change waits for the next start.
  const withoutSecrets = {
    ...document,
    source: { ...document.source, password: undefined },
    destination: { ...document.destination, password: undefined },
  };
  metadata[META.fingerprint] = sha256Hex(JSON.stringify([withoutSecrets, metadata]));
  return metadata;
}

function restartStrategyOf(metadata: Record<string, string>) {
  const { attempts, delayNs } = JSON.parse(metadata[META.restart]!) as { attempts: number; delayNs: number };
  if (attempts <= 0) return { type: 'none' };
  return {
    type: 'fixed-delay',
    attempts: Math.min(attempts, 1000),
    delayMs: Math.min(Math.round(delayNs / 1e6), 3_600_000),
  };
}

async function waitForEnd(ctx: DialectContext, runId: string): Promise<void> {
  const deadline = Date.now() + STOP_WAIT_MS;
  for (;;) {
    const { run } = await query<{ run: { status: RunStatus } }>(ctx, RUN_STATUS, { id: runId });
    if (isEndedRun(run.status)) return;
    if (Date.now() > deadline) throw new NomadError(500, `timed out waiting for run ${runId} to stop`);
    await new Promise((resolve) => setTimeout(resolve, STOP_POLL_MS));
  }
}

async function stopRun(ctx: DialectContext, runId: string): Promise<void> {
  try {
    await query(ctx, STOP, { input: { runId } });
  } catch (err) {
    // A run that ended meanwhile is stopped already.
    if (!(err instanceof NomadError && err.status === 409)) throw err;
  }
}

/** The JobRegisterResponse. */
function registerAnswer(call: RouteCall, runId: string | null): Response {
  const index = Date.now();
  return nomadJson(
    {
      EvalID: runId ? registerEvalId(runId) : '',
      EvalCreateIndex: index,
      JobModifyIndex: index,
      Warnings: '',
      Index: index,
      LastContact: 0,
      KnownLeader: true,
    },
    call.url,
    { index },
  );
}

async function register(call: RouteCall, pathId?: string): Promise<Response> {
  const { ctx } = call;
  const job = parseRegisterBody(await readNomadBody(call.request), pathId);
  const { document, placement } = replicationOf(job);
  const metadata = metadataFor(job, placement, document);
  const restartStrategy = restartStrategyOf(metadata);
  const existing = await findJob(ctx, job.id);
  if (!existing) {
    await query(ctx, CREATE, {
      input: { name: job.id, replication: document, metadata, restartStrategy, concurrency: 'FORBID' },
    });
    try {
      const { startJob } = await query<{ startJob: { run: { id: string } } }>(ctx, START, {
        input: { job: job.id },
      });
      return registerAnswer(call, startJob.run.id);
    } catch (err) {
      // Nothing half-made: the job this register created goes again.
      await ctx.execute({ document: DELETE, variables: { name: job.id } });
      throw err;
    }
  }
  const latest = existing.runs.nodes[0] ?? null;
  const live = latest !== null && !isEndedRun(latest.status);
  const unchanged = metadataOf(existing)[META.fingerprint] === metadata[META.fingerprint];
  // A run still stopping (a DELETE just before) is not kept: it ends, and a new one starts.
  if (live && unchanged && !isStoppingRun(latest.status)) return registerAnswer(call, latest.id);
  await query(ctx, UPDATE, { input: { name: job.id, replication: document, metadata, restartStrategy } });
  if (live) {
    await stopRun(ctx, latest.id);
    await waitForEnd(ctx, latest.id);
  }
  const { startJob } = await query<{ startJob: { run: { id: string } } }>(ctx, START, {
    input: { job: job.id },
  });
  return registerAnswer(call, startJob.run.id);
}

/** POST|PUT /v1/jobs. */
export function registerJobs(call: RouteCall): Promise<Response> {
  return register(call);
}

/** POST|PUT /v1/job/:job_id (the body's Job.ID must be :job_id). */
export function registerJob(call: RouteCall): Promise<Response> {
  return register(call, call.params.id!);
}

/** DELETE /v1/job/:job_id[?purge=true]. */
export async function deregisterJob(call: RouteCall): Promise<Response> {
  const { ctx } = call;
  const purgeText = call.url.searchParams.get('purge') ?? '';
  const purge = purgeText === '' ? false : parseGoBool(purgeText);
  if (purge === undefined) {
    throw new NomadError(
      500,
      `Failed to parse value of "purge" (${purgeText}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(purgeText)}: invalid syntax`,
    );
  }
  const job = await findJob(ctx, call.params.id!);
  if (!job) {
    return nomadJson(
      { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 0, Index: 0, LastContact: 0, KnownLeader: true },
      call.url,
      {
        index: 0,
      },
    );
  }
  const latest = job.runs.nodes[0] ?? null;
  let evalId = '';
  if (latest && !isEndedRun(latest.status)) {
    await stopRun(ctx, latest.id);
    evalId = deregisterEvalId(latest.id);
  } else if (latest && isStoppedRun(latest.status)) {
    evalId = deregisterEvalId(latest.id);
  }
  if (purge) {
    if (latest) await waitForEnd(ctx, latest.id);
    await query(ctx, DELETE, { name: job.name });
  }
  const index = Date.now();
  return nomadJson(
    {
      EvalID: evalId,
      EvalCreateIndex: index,
      JobModifyIndex: index,
      Index: index,
      LastContact: 0,
      KnownLeader: true,
    },
    call.url,
    { index },
  );
}
