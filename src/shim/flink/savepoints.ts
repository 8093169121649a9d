// Flink's savepoint protocol (ENDPOINTS.md rows 24-26, "Async operations"): POST /jobs/:jobid/savepoints
// and POST /jobs/:jobid/stop answer 202 with a trigger id at once, and the savepoint is polled at
// GET /jobs/:jobid/savepoints/:triggerid. The trigger id is the savepoint's request id in jobgate, so
// a client that re-sends its own triggerId gets the same savepoint, never a second one. A stop is a
// savepoint that stops the run at its barrier: the run ends SUSPENDED, or FINISHED with drain (Flink's
// SUSPEND_WITH_SAVEPOINT and TERMINATE_WITH_SAVEPOINT). jobgate keeps savepoints in its database: `target-directory` and
// `formatType` are accepted and not used; the location answered is `jobgate://savepoints/<id>`, which
// /jars/:jarid/run takes back as savepointPath.
import { randomBytes } from 'node:crypto';
import { CheckpointStatus } from '../../lib/status.ts';
import type { Route, RouteCall } from '../core/index.ts';
import { parseHex32 } from './ids.ts';
import { query } from './query.ts';
import { bodyBoolean, bodyString, formatError, readJsonBody, type JsonBody } from './request-body.ts';
import { flinkJson, FlinkRestError } from './respond.ts';

const TRIGGER = `mutation FlinkTriggerSavepoint($input: TriggerSavepointInput!) {
  triggerSavepoint(input: $input) { savepoint { id } }
}`;
const STOP = `mutation FlinkStopWithSavepoint($input: StopJobInput!) {
  stopJob(input: $input) { savepoint { id } }
}`;
const STATUS = `query FlinkSavepointStatus($runId: ID!, $requestId: String!) {
  run(id: $runId) { savepoint(requestId: $requestId) { status location failureReason } }
}`;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const JOB_NOT_FOUND = 'org.apache.flink.runtime.messages.FlinkJobNotFoundException';

/** The body's triggerId (a 32-hex TriggerId, else the body does not map), or a fresh one. */
function triggerIdOf(body: JsonBody, requestClass: string): string {
  const given = bodyString(body, 'triggerId', requestClass);
  if (given === undefined) return randomBytes(16).toString('hex');
  if (!HEX32.test(given)) throw formatError(requestClass);
  return given.toLowerCase();
}

/** formatType is an enum: a value outside it does not map onto the request class. */
function checkFormatType(body: JsonBody, requestClass: string): void {
  const format = bodyString(body, 'formatType', requestClass);
  if (format !== undefined && format !== 'CANONICAL' && format !== 'NATIVE') throw formatError(requestClass);
}

/** Runs `document`; a 404 (an unknown job) is answered as `message` of `exceptionClass`. */
async function runOr404<T>(
  call: RouteCall,
  document: string,
  variables: Record<string, unknown>,
  message: string,
  exceptionClass?: string,
): Promise<T> {
  try {
    return await query<T>(call.ctx, document, variables);
  } catch (err) {
    if (err instanceof FlinkRestError && err.status === 404)
      throw new FlinkRestError(404, message, exceptionClass);
    throw err;
  }
}

/** Runs the trigger; an unknown job is Flink's FlinkJobNotFoundException, as a 404. */
async function trigger(call: RouteCall, runId: string, document: string, input: Record<string, unknown>) {
  const notFound = `Could not find Flink job (${runId})`;
  await runOr404(call, document, { input }, notFound, JOB_NOT_FOUND);
}

/** POST /jobs/:jobid/savepoints (row 24): `cancel-job` stops the run at the savepoint. */
async function triggerSavepoint(call: RouteCall): Promise<Response> {
  const runId = parseHex32('jobid', call.params.jobid ?? '');
  const requestClass = 'SavepointTriggerRequestBody';
  const body = await readJsonBody(call.request, requestClass);
  bodyString(body, 'target-directory', requestClass);
  checkFormatType(body, requestClass);
  const stopAfter = bodyBoolean(body, 'cancel-job', requestClass) ?? false;
  const requestId = triggerIdOf(body, requestClass);
  await trigger(call, runId, TRIGGER, { runId, requestId, waitMs: 0, stopAfter });
  return flinkJson({ 'request-id': requestId }, call.ctx, 202);
}

/** POST /jobs/:jobid/stop (row 26): camelCase `targetDirectory`; polled like a savepoint. */
async function stopWithSavepoint(call: RouteCall): Promise<Response> {
  const runId = parseHex32('jobid', call.params.jobid ?? '');
  const requestClass = 'StopWithSavepointRequestBody';
  const body = await readJsonBody(call.request, requestClass);
  bodyString(body, 'targetDirectory', requestClass);
  checkFormatType(body, requestClass);
  const drain = bodyBoolean(body, 'drain', requestClass) ?? false;
  const requestId = triggerIdOf(body, requestClass);
  const input = { runId, withSavepoint: true, drain, requestId, wait: false };
  await trigger(call, runId, STOP, input);
  return flinkJson({ 'request-id': requestId }, call.ctx, 202);
}

interface SavepointState {
  status: string;
  location: string | null;
  failureReason: string | null;
}

/** A failed savepoint as Flink reports it: COMPLETED, with a failure cause. */
function failureCause(reason: string) {
  const className = 'org.apache.flink.runtime.checkpoint.CheckpointException';
  const text = `${className}: ${reason}`;
  return {
    class: className,
    'stack-trace': text,
    'serialized-throwable': Buffer.from(text).toString('base64'),
  };
}

/** GET /jobs/:jobid/savepoints/:triggerid (row 25). */
async function savepointStatus(call: RouteCall): Promise<Response> {
  const runId = parseHex32('jobid', call.params.jobid ?? '');
  const triggerId = parseHex32('triggerid', call.params.triggerid ?? '');
  const notFound = `There is no savepoint operation with triggerId=${triggerId} for job ${runId}.`;
  const { run } = await runOr404<{ run: { savepoint: SavepointState | null } }>(
    call,
    STATUS,
    { runId, requestId: triggerId },
    notFound,
  );
  const savepoint = run.savepoint;
  if (!savepoint) throw new FlinkRestError(404, notFound);
  // Flink's QueueStatus ids are IN_PROGRESS and COMPLETED; a failed savepoint is COMPLETED too.
  const { IN_PROGRESS, COMPLETED } = CheckpointStatus;
  switch (savepoint.status) {
    case IN_PROGRESS:
      return flinkJson({ status: { id: IN_PROGRESS }, operation: null }, call.ctx);
    case COMPLETED:
      return flinkJson({ status: { id: COMPLETED }, operation: { location: savepoint.location } }, call.ctx);
    default: {
      const reason = savepoint.failureReason ?? 'the savepoint failed';
      const operation = { 'failure-cause': failureCause(reason) };
      return flinkJson({ status: { id: COMPLETED }, operation }, call.ctx);
    }
  }
}

export const SAVEPOINT_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/jobs/:jobid/savepoints', handler: triggerSavepoint, doc: 'row 24: trigger' },
  {
    method: 'GET',
    path: '/jobs/:jobid/savepoints/:triggerid',
    handler: savepointStatus,
    doc: 'row 25: poll a savepoint or stop',
  },
  {
    method: 'POST',
    path: '/jobs/:jobid/stop',
    handler: stopWithSavepoint,
    doc: 'row 26: stop with savepoint',
  },
];
