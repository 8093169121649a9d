// Flink's route table (ENDPOINTS.md, Flink 1.20): each route with the row of the table it answers.
// Every route is served at /v1<path> and at <path> (V1 is Flink's default API version); any other
// prefix, an unknown path and a wrong method answer 404 `Not found: <uri>` (Flink has no 405).
// The write side's routes (jars, savepoints, stop, cancel) come from their own files.
import { createRouteTable, type Miss, type Route } from '../core/index.ts';
import { CANCEL_ROUTES } from './cancel.ts';
import {
  getCheckpointConfig,
  getCheckpointDetails,
  getCheckpoints,
  getCheckpointSubtasks,
  getJobMetrics,
} from './checkpoints.ts';
import {
  getDashboardConfig,
  getJobManagerConfig,
  getJobManagerEnvironment,
  getJobJobManagerConfig,
  getJobManagerMetrics,
  getThreadDump,
} from './cluster.ts';
import {
  getJob,
  getJobAccumulators,
  getJobConfig,
  getJobExceptions,
  getJobPlan,
  getJobs,
  getJobsOverview,
  getJobStatus,
} from './jobs.ts';
import {
  getJobManagerLog,
  getJobManagerLogFile,
  getJobManagerLogs,
  getStdout,
  getTaskManagerLog,
  getTaskManagerLogFile,
  getTaskManagerLogs,
} from './logs.ts';
import { JAR_ROUTES } from './jars.ts';
import { getOverview } from './overview.ts';
import { flinkErrors, FlinkRestError } from './respond.ts';
import { SAVEPOINT_ROUTES } from './savepoints.ts';
import { getTaskManager, getTaskManagerMetrics, getTaskManagers } from './taskmanagers.ts';
import {
  getBackpressure,
  getFlameGraph,
  getSubtask,
  getSubtaskAttempt,
  getSubtaskMetrics,
  getSubtasksAccumulators,
  getSubtasksMetrics,
  getSubtaskTimes,
  getVertex,
  getVertexAccumulators,
  getVertexMetrics,
  getVertexTaskManagers,
  getWatermarks,
} from './vertices.ts';

const JOB = '/jobs/:jobid';
const VERTEX = `${JOB}/vertices/:vertexid`;
const SUBTASK = `${VERTEX}/subtasks/:subtaskindex`;
const TM = '/taskmanagers/:taskmanagerid';

/** The read routes. `doc` names the ENDPOINTS.md row, or "dashboard" for a route only the web
 * dashboard calls (DASHBOARD.md). */
export const FLINK_READ_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/overview', handler: getOverview, doc: 'row 2: cluster counts' },
  { method: 'GET', path: '/config', handler: getDashboardConfig, doc: 'row 3: dashboard configuration' },
  {
    method: 'GET',
    path: '/jobmanager/config',
    handler: getJobManagerConfig,
    doc: 'row 4: cluster configuration',
  },
  {
    method: 'GET',
    path: '/jobmanager/metrics',
    handler: getJobManagerMetrics,
    doc: 'row 5: JobManager metrics',
  },
  { method: 'GET', path: '/jobmanager/environment', handler: getJobManagerEnvironment, doc: 'dashboard' },
  { method: 'GET', path: '/jobmanager/thread-dump', handler: getThreadDump, doc: 'dashboard' },
  { method: 'GET', path: '/jobmanager/logs', handler: getJobManagerLogs, doc: 'row 36: log files' },
  { method: 'GET', path: '/jobmanager/log', handler: getJobManagerLog, doc: 'row 37: the log, text/plain' },
  { method: 'GET', path: '/jobmanager/stdout', handler: getStdout, doc: 'row 37: stdout, text/plain' },
  {
    method: 'GET',
    path: '/jobmanager/logs/:filename',
    handler: getJobManagerLogFile,
    doc: 'row 37: a log file',
  },
  { method: 'GET', path: '/taskmanagers', handler: getTaskManagers, doc: 'row 6: TaskManagers' },
  { method: 'GET', path: TM, handler: getTaskManager, doc: 'row 7: one TaskManager' },
  { method: 'GET', path: `${TM}/metrics`, handler: getTaskManagerMetrics, doc: 'row 8: TaskManager metrics' },
  { method: 'GET', path: `${TM}/logs`, handler: getTaskManagerLogs, doc: 'row 38: log files' },
  { method: 'GET', path: `${TM}/log`, handler: getTaskManagerLog, doc: 'row 38: the log, text/plain' },
  { method: 'GET', path: `${TM}/stdout`, handler: getStdout, doc: 'row 38: stdout, text/plain' },
  { method: 'GET', path: `${TM}/logs/:filename`, handler: getTaskManagerLogFile, doc: 'row 38: a log file' },
  { method: 'GET', path: `${TM}/thread-dump`, handler: getThreadDump, doc: 'dashboard' },
  { method: 'GET', path: '/jobs', handler: getJobs, doc: 'row 14: jobs with status' },
  { method: 'GET', path: '/jobs/overview', handler: getJobsOverview, doc: 'row 15: jobs overview' },
  { method: 'GET', path: JOB, handler: getJob, doc: 'row 16: job details' },
  { method: 'GET', path: `${JOB}/plan`, handler: getJobPlan, doc: 'row 18: job plan' },
  { method: 'GET', path: `${JOB}/metrics`, handler: getJobMetrics, doc: 'row 19: job metrics' },
  { method: 'GET', path: `${JOB}/exceptions`, handler: getJobExceptions, doc: 'row 20: exceptions' },
  {
    method: 'GET',
    path: `${JOB}/checkpoints`,
    handler: getCheckpoints,
    doc: 'row 21: checkpoint statistics',
  },
  {
    method: 'GET',
    path: `${JOB}/checkpoints/config`,
    handler: getCheckpointConfig,
    doc: 'row 22: checkpoint config',
  },
  {
    method: 'GET',
    path: `${JOB}/checkpoints/details/:checkpointid`,
    handler: getCheckpointDetails,
    doc: 'row 23: one checkpoint',
  },
  {
    method: 'GET',
    path: `${JOB}/checkpoints/details/:checkpointid/subtasks/:vertexid`,
    handler: getCheckpointSubtasks,
    doc: 'row 23: one checkpoint, per subtask of a vertex',
  },
  { method: 'GET', path: `${JOB}/accumulators`, handler: getJobAccumulators, doc: 'row 28: accumulators' },
  { method: 'GET', path: `${JOB}/config`, handler: getJobConfig, doc: 'dashboard' },
  { method: 'GET', path: `${JOB}/jobmanager/config`, handler: getJobJobManagerConfig, doc: 'dashboard' },
  { method: 'GET', path: `${JOB}/status`, handler: getJobStatus, doc: 'other: in the spec (1.16+)' },
  { method: 'GET', path: VERTEX, handler: getVertex, doc: 'row 29: one vertex' },
  { method: 'GET', path: `${VERTEX}/metrics`, handler: getVertexMetrics, doc: 'row 30: vertex metrics' },
  {
    method: 'GET',
    path: `${VERTEX}/subtasks/metrics`,
    handler: getSubtasksMetrics,
    doc: 'row 30: aggregated subtask metrics',
  },
  { method: 'GET', path: SUBTASK, handler: getSubtask, doc: 'row 32: one subtask' },
  {
    method: 'GET',
    path: `${SUBTASK}/attempts/:attempt`,
    handler: getSubtaskAttempt,
    doc: 'row 32: one attempt',
  },
  { method: 'GET', path: `${SUBTASK}/metrics`, handler: getSubtaskMetrics, doc: 'row 31: subtask metrics' },
  { method: 'GET', path: `${VERTEX}/subtasktimes`, handler: getSubtaskTimes, doc: 'row 33: subtask times' },
  { method: 'GET', path: `${VERTEX}/backpressure`, handler: getBackpressure, doc: 'row 34: back pressure' },
  { method: 'GET', path: `${VERTEX}/watermarks`, handler: getWatermarks, doc: 'row 35: watermarks' },
  { method: 'GET', path: `${VERTEX}/taskmanagers`, handler: getVertexTaskManagers, doc: 'dashboard' },
  { method: 'GET', path: `${VERTEX}/accumulators`, handler: getVertexAccumulators, doc: 'dashboard' },
  {
    method: 'GET',
    path: `${VERTEX}/subtasks/accumulators`,
    handler: getSubtasksAccumulators,
    doc: 'dashboard',
  },
  { method: 'GET', path: `${VERTEX}/flamegraph`, handler: getFlameGraph, doc: 'dashboard' },
];

/** Rescaling over REST has answered 503 since Flink 1.9 (RescalingHandlers); so does jobgate. */
async function rescalingDisabled(): Promise<Response> {
  throw new FlinkRestError(503, 'Rescaling is temporarily disabled. See FLINK-12312.');
}

/** Routes Flink serves only to refuse. */
export const FLINK_REFUSING_ROUTES: readonly Route[] = [
  { method: 'PATCH', path: `${JOB}/rescaling`, handler: rescalingDisabled, doc: 'row 27: always 503' },
  {
    method: 'GET',
    path: `${JOB}/rescaling/:triggerid`,
    handler: rescalingDisabled,
    doc: 'row 27: always 503',
  },
];

/** Every Flink route jobgate serves. */
export const FLINK_ROUTES: readonly Route[] = [
  ...FLINK_READ_ROUTES,
  ...FLINK_REFUSING_ROUTES,
  ...JAR_ROUTES,
  ...SAVEPOINT_ROUTES,
  ...CANCEL_ROUTES,
];

/** RouterHandler#respondNotFound: the URI as the client sent it, after the dialect's mount. */
function notFound({ ctx, url }: Miss): Response {
  return flinkErrors(404, [`Not found: ${ctx.path}${url.search}`], ctx);
}

export const flinkRouteTable = createRouteTable(FLINK_ROUTES, { prefixes: ['', '/v1'], notFound });
