// Cancelling a Flink job (ENDPOINTS.md row 17): PATCH /jobs/:jobid (mode=cancel, the default) and the
// dashboard's GET /jobs/:jobid/yarn-cancel answer 202 `{}`; mode=stop and GET yarn-stop answer 308
// with Flink's message pointing at /jobs/:jobid/stop. Cancelling a job that is already CANCELED is
// answered as a success (Flink's cancel is idempotent); one that ended otherwise is a 409.
import { RunStatus } from '../../lib/status.ts';
import type { Route, RouteCall } from '../core/index.ts';
import { parseHex32 } from './ids.ts';
import { query } from './query.ts';
import { badParameter, flinkJson, FlinkRestError } from './respond.ts';
import { queryValue } from './request-body.ts';

const CANCEL = `mutation FlinkCancel($input: CancelJobInput!) { cancelJob(input: $input) { run { id } } }`;
const STATUS = `query FlinkRunStatus($id: ID!) { run(id: $id) { status } }`;

/** JobCancellationHandler's answer to the removed stop mode. */
const STOP_REMOVED =
  'The termination mode "stop" has been removed. For an ungraceful shutdown, please use "cancel" instead. For a graceful shutdown, please use "jobs/:jobId/stop" instead.';

async function cancel(call: RouteCall, runId: string): Promise<Response> {
  try {
    await query(call.ctx, CANCEL, { input: { runId } });
  } catch (err) {
    if (!(err instanceof FlinkRestError)) throw err;
    if (err.status === 404) throw new FlinkRestError(404, 'Job could not be found.');
    if (err.status !== 409) throw err;
    const { run } = await query<{ run: { status: string } }>(call.ctx, STATUS, { id: runId });
    if (run.status !== RunStatus.CANCELED) {
      throw new FlinkRestError(
        409,
        `Job cancellation failed because the job has already reached another terminal state (${run.status}).`,
      );
    }
  }
  return flinkJson({}, call.ctx, 202);
}

/** PATCH /jobs/:jobid?mode=cancel|stop. */
async function patchJob(call: RouteCall): Promise<Response> {
  const runId = parseHex32('jobid', call.params.jobid ?? '');
  const mode = queryValue(call.url, 'mode');
  const normalized = mode?.toLowerCase();
  if (normalized === 'stop') throw new FlinkRestError(308, STOP_REMOVED);
  if (mode !== undefined && normalized !== 'cancel') throw badParameter('mode', mode, 'query');
  return cancel(call, runId);
}

/** GET /jobs/:jobid/yarn-cancel (the dashboard's cancel button). */
async function yarnCancel(call: RouteCall): Promise<Response> {
  return cancel(call, parseHex32('jobid', call.params.jobid ?? ''));
}

/** GET /jobs/:jobid/yarn-stop: the same 308 as mode=stop. */
function yarnStop(call: RouteCall): Response {
  parseHex32('jobid', call.params.jobid ?? '');
  throw new FlinkRestError(308, STOP_REMOVED);
}

export const CANCEL_ROUTES: readonly Route[] = [
  { method: 'PATCH', path: '/jobs/:jobid', handler: patchJob, doc: 'row 17: cancel (mode=stop: 308)' },
  {
    method: 'GET',
    path: '/jobs/:jobid/yarn-cancel',
    handler: yarnCancel,
    doc: 'row 17: the dashboard cancel',
  },
  { method: 'GET', path: '/jobs/:jobid/yarn-stop', handler: yarnStop, doc: 'row 17: 308, as mode=stop' },
];
