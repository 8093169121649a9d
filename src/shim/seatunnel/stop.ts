// Zeta's stop-job and stop-jobs (ENDPOINTS.md §3). isStopWithSavePoint false cancels the job's run
// (it ends CANCELED); true takes a savepoint and stops (it ends SAVEPOINT_DONE), through GraphQL's
// cancelJob and stopJob. Zeta's cancel of a job it does not run completes quietly, so an unknown or
// ended job answers 200 as well. stop-job echoes the id as a string; stop-jobs casts each id to a
// Long and writes JSON numbers, so an id Jackson read as a string or an Integer fails there (500).
import { randomBytes } from 'node:crypto';
import { isTerminalRunStatus } from '../../lib/status.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { parseJobId } from './ids.ts';
import { findSeaTunnelJob } from './job-data.ts';
import { query, SeaTunnelQueryError } from './query.ts';
import { isObject, readJson } from './request-body.ts';
import { badRequest, SeaTunnelRestError, seatunnelJson, seatunnelRaw } from './respond.ts';

const CANCEL = `mutation SeaTunnelCancel($input: CancelJobInput!) { cancelJob(input: $input) { run { id } } }`;
const STOP = `mutation SeaTunnelStop($input: StopJobInput!) { stopJob(input: $input) { run { id } } }`;

const JOB_ID_EMPTY = 'jobId cannot be empty.';
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

interface StopRequest {
  jobId: string;
  withSavepoint: boolean;
}

function stopRequestOf(item: Record<string, unknown>): StopRequest {
  const raw = item.jobId;
  if (raw === undefined || raw === null || raw === '') throw badRequest(JOB_ID_EMPTY);
  if (typeof raw !== 'string' && typeof raw !== 'number')
    throw badRequest(`For input string: "${String(raw)}"`);
  const flag = item.isStopWithSavePoint;
  return { jobId: parseJobId(String(raw)), withSavepoint: flag === true || flag === 'true' };
}

async function stop(ctx: DialectContext, { jobId, withSavepoint }: StopRequest): Promise<void> {
  const job = await findSeaTunnelJob(ctx, jobId);
  const run = job?.latestRun;
  if (!run || isTerminalRunStatus(run.status)) return;
  try {
    if (withSavepoint) {
      const requestId = `seatunnel-${randomBytes(8).toString('hex')}`;
      await query(ctx, STOP, { input: { runId: run.id, withSavepoint: true, requestId, wait: true } });
    } else {
      await query(ctx, CANCEL, { input: { runId: run.id } });
    }
  } catch (err) {
    // The run ended between the read and the stop: Zeta's cancel of an ended job is quiet.
    if (err instanceof SeaTunnelQueryError && (err.code === 'CONFLICT' || err.code === 'NOT_FOUND')) return;
    throw err;
  }
}

/** POST /stop-job `{"jobId", "isStopWithSavePoint"}` → `{"jobId": "<id>"}`. */
export async function stopJob({ request, ctx }: RouteCall): Promise<Response> {
  const body = (await readJson(request, 'object')) as Record<string, unknown>;
  const stopRequest = stopRequestOf(body);
  await stop(ctx, stopRequest);
  return seatunnelJson({ jobId: stopRequest.jobId });
}

/** `(Long) job.get("jobId")`: only a JSON integer beyond int range is a Long to Jackson. */
function castToLong(raw: unknown): void {
  const className =
    typeof raw === 'string' && !/^-?\d+$/.test(raw)
      ? 'java.lang.String'
      : typeof raw === 'number' && Number.isInteger(raw) && raw >= INT_MIN && raw <= INT_MAX
        ? 'java.lang.Integer'
        : undefined;
  if (className) {
    throw new SeaTunnelRestError(
      500,
      `class ${className} cannot be cast to class java.lang.Long (${className} and java.lang.Long are in module java.base of loader 'bootstrap')`,
    );
  }
}

/** POST /stop-jobs `[{"jobId", "isStopWithSavePoint"}]` → `[{"jobId": <number>}]`. */
export async function stopJobs({ request, ctx }: RouteCall): Promise<Response> {
  const body = (await readJson(request, 'array')) as unknown[];
  if (body.length > 100) throw badRequest('At most 100 jobs may be stopped at once.');
  const requests = body.map((item) => {
    if (!isObject(item)) throw badRequest('Invalid JSON format in request body.');
    const stopRequest = stopRequestOf(item);
    castToLong(item.jobId);
    return stopRequest;
  });
  for (const stopRequest of requests) await stop(ctx, stopRequest);
  // The ids as JSON numbers, digits exact (past 2^53 a JavaScript number would round them).
  return seatunnelRaw(`[${requests.map((r) => `{"jobId":${r.jobId}}`).join(',')}]`);
}
