// The JobManager routes (ENDPOINTS.md rows 3-5, and /jobmanager/environment and /thread-dump that
// the dashboard's Job Manager page reads). jobgate's gateway plays the JobManager: its
// configuration is what the schema can say about the installation (version, nodes, slots, jobs).
import type { RouteCall } from '../core/index.ts';
import { metricsAnswer } from './metric-answers.ts';
import { loadRun } from './run-data.ts';
import { query } from './query.ts';
import { flinkJson } from './respond.ts';
import { FLINK_REVISION, FLINK_VERSION } from './version.ts';

/** How often the dashboard re-polls, in ms (Flink's web.refresh-interval default). */
const REFRESH_INTERVAL_MS = 3000;

/** GET /config: the dashboard's own configuration. Jar submission, cancel and history are jobgate
 * features the dashboard may offer; rescaling (the adaptive scheduler) is not. */
export async function getDashboardConfig({ ctx }: RouteCall): Promise<Response> {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return flinkJson(
    {
      'refresh-interval': REFRESH_INTERVAL_MS,
      'timezone-name': zone,
      'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
      'flink-version': FLINK_VERSION,
      'flink-revision': FLINK_REVISION,
      features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
    },
    ctx,
  );
}

const CLUSTER = `query FlinkCluster {
  overview { nodes slotsTotal slotsAvailable runsRunning runsFinished runsFailed runsCanceled version }
  clusters { name }
}`;

interface ClusterData {
  overview: {
    nodes: number;
    slotsTotal: number;
    slotsAvailable: number;
    runsRunning: number;
    runsFinished: number;
    runsFailed: number;
    runsCanceled: number;
    version: string;
  };
  clusters: { name: string }[];
}

/** GET /jobmanager/config: key/value pairs, as a bare array. */
export async function getJobManagerConfig({ ctx }: RouteCall): Promise<Response> {
  const { overview, clusters } = await query<ClusterData>(ctx, CLUSTER);
  const entries: [string, string][] = [
    ['jobgate.version', overview.version],
    ['jobgate.clusters', clusters.map((c) => c.name).join(',')],
    ['rest.flink-api-version', FLINK_VERSION],
    ['web.refresh-interval', String(REFRESH_INTERVAL_MS)],
    ['web.submit.enable', 'true'],
    ['web.cancel.enable', 'true'],
    ['state.backend.type', 'jobgate'],
    ['execution.checkpointing.mode', 'EXACTLY_ONCE'],
  ];
  return flinkJson(
    entries.map(([key, value]) => ({ key, value })),
    ctx,
  );
}

/** GET /jobs/:jobid/jobmanager/config: the cluster configuration a job ran with (the dashboard's
 * "Cluster Configuration" tab of a completed job); jobgate has one, the current one. */
export async function getJobJobManagerConfig(call: RouteCall): Promise<Response> {
  await loadRun(call.ctx, call.params.jobid!);
  return getJobManagerConfig(call);
}

/** GET /jobmanager/metrics: the cluster metrics Flink's JobManager group reports, from the overview.
 * JVM metrics (Status.JVM.*) are not in the schema: they are dropped, as Flink drops unknown names. */
export async function getJobManagerMetrics(call: RouteCall): Promise<Response> {
  const { overview } = await query<ClusterData>(call.ctx, CLUSTER);
  return metricsAnswer(
    call,
    new Map([
      ['taskSlotsAvailable', overview.slotsAvailable],
      ['taskSlotsTotal', overview.slotsTotal],
      ['numRegisteredTaskManagers', overview.nodes],
      ['numRunningJobs', overview.runsRunning],
      ['numPendingTaskManagers', 0],
    ]),
  );
}

/** GET /jobmanager/environment: the gateway as Flink describes a JVM (jobgate runs on Node.js). */
export async function getJobManagerEnvironment({ ctx }: RouteCall): Promise<Response> {
  return flinkJson(
    {
      jvm: { version: `Node.js ${process.version}`, arch: process.arch, options: [] },
      classpath: [],
    },
    ctx,
  );
}

/** GET /jobmanager/thread-dump and /taskmanagers/:id/thread-dump: jobgate has no JVM threads. */
export async function getThreadDump({ ctx }: RouteCall): Promise<Response> {
  return flinkJson({ threadInfos: [] }, ctx);
}
