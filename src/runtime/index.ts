// The runtime's front: the only module outside code imports from runtime/.
import { CONFIG_DEFAULTS } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../lib/logger.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { readOwnDatabaseIdentity } from './connections/database-identity.ts';
import { resolveConnection } from './connections/save-connection.ts';
import { ensureCluster } from './clusters.ts';
import { startCoordinator, type Coordinator } from './coordinator/coordinator.ts';
import { createLogAppender, type LogAppender } from './logs/log-appender.ts';
import { startExecutor, type Executor } from './node/executor.ts';
import { registerWorkerNode, type WorkerNodeMembership } from './node/worker-node.ts';
import type { RetentionSettings } from './coordinator/retention.ts';
import { createFileGuard, type FileGuard } from './files/file-guard.ts';
import { createEventFeed, type EventFeed } from './feed/event-feed.ts';
import { createLogFeed, type LogFeed } from './feed/log-feed.ts';
import { createMetricFeed, type MetricFeed } from './feed/metric-feed.ts';

export { ensureCluster } from './clusters.ts';
export type { RetentionSettings } from './coordinator/retention.ts';
export {
  emitEvent,
  EVENTS_CHANNEL,
  NODE_EVENT_TYPES,
  RUNTIME_EVENT_TYPES,
  type RuntimeEvent,
  type RuntimeEventType,
} from './events.ts';
export {
  createJob,
  updateJob,
  deleteJob,
  checkName,
  type JobActor,
  type JobSettingsInput,
  type SaveJobOptions,
} from './jobs/save-job.ts';
export {
  createConnection,
  updateConnection,
  deleteConnection,
  listConnections,
  type ConnectionInput,
} from './connections/save-connection.ts';
export type { ConnectionRow } from '../db/schema/index.ts';
export { redactSecrets } from './definition/secret-options.ts';
export { jobRunStats, type JobRunStats } from './jobs/job-run-stats.ts';
export { nextFireTime } from './schedule/next-fire.ts';
export type { DefinitionAccess } from './definition/secure-definition.ts';
export { startRun } from './runs/start-run.ts';
export {
  MAX_START_DELAY_SECONDS,
  runIdSchema,
  startJobInputSchema,
  type StartJobInput,
} from './runs/run-inputs.ts';
export { requestStop, restartWhole, restartFailed, type StopMode } from './runs/control.ts';
export { startJob } from './runs/start-job.ts';
export { stopRun, stopWithSavepoint, type StopRunInput } from './runs/stop-run.ts';
export { restartRun } from './runs/restart-run.ts';
export { restartSteps, MAX_RERUN_STEPS } from './runs/restart-steps.ts';
export { cancelStep } from './runs/cancel-step.ts';
export { waitForRunEnd } from './runs/wait-for-run-end.ts';
export { watchRunEvents } from './runs/watch-run-events.ts';
export { watchClusterEvents } from './node/watch-cluster-events.ts';
export {
  createEventFeed,
  FeedClosedError,
  WaitTimeoutError,
  type EventFeed,
  type EventFeedOptions,
  type EventFeedStats,
  type SubscribeOptions,
  type WaitOptions,
} from './feed/event-feed.ts';
export type { EventFilter, FeedEvent } from './feed/event-filter.ts';
export {
  createLogFeed,
  type FeedLogLine,
  type LogBatch,
  type LogFeed,
  type LogFeedOptions,
  type LogFeedStats,
  type LogFilter,
} from './feed/log-feed.ts';
export { logFilterConditions, MAX_LOG_SEARCH } from './feed/log-filter.ts';
export {
  createMetricFeed,
  DEFAULT_METRIC_INTERVAL_MS,
  type MetricFeed,
  type MetricFeedOptions,
  type MetricUpdate,
} from './feed/metric-feed.ts';
export { normalizeDefinition } from './definition/job-definition.ts';
export { safeBaseEnv } from './executors/run-command.ts';
export { triggerSavepoint, waitForCheckpoint } from './checkpoints/savepoints.ts';
export { checkRestorePoint } from './checkpoints/check-restore-point.ts';
export { resolveCheckpointLocation } from './checkpoints/resolve-location.ts';
export {
  uploadArtifact,
  deleteArtifact,
  MAX_ARTIFACT_BYTES,
  type UploadArtifactInput,
} from './artifacts/save-artifact.ts';
export { runArtifact, requireArtifact, type RunArtifactInput } from './artifacts/run-artifact.ts';
export { artifactPlan, JAR_DEFINITION_NEEDED, type ArtifactDefinition } from './artifacts/artifact-job.ts';
export { JAR_DEFINITION_PATH } from './artifacts/read-jar.ts';
export { checkpointPositions } from './checkpoints/ack-checkpoint.ts';
export { setNodeDraining } from './node/drain-node.ts';
export { setSubmissionsPaused, submissionsPaused } from './jobs/submissions-paused.ts';
export { checkNodeTags, NODE_TAG_LIMITS, setNodeTags } from './node/node-tags.ts';
export {
  createFileGuard,
  FileAccessError,
  isInsideRoot,
  noFileAccess,
  type FileGuard,
} from './files/file-guard.ts';

export interface RuntimeOptions {
  database: Database;
  logger: Logger;
  cluster: string;
  /** Run a worker node in this process (embedded mode, or `jobgate node`). */
  node?: { name?: string; slots: number; tags: Record<string, string> };
  /** Host a coordinator for the cluster (it acts only while it holds the leader lock). */
  coordinator?: boolean;
  /** Start the coordinator paused: it ticks from `runtime.coordinator.resume()` on (see
   * CoordinatorOptions.paused). */
  coordinatorPaused?: boolean;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** On PostgreSQL the node's liveness stamp comes from a worker thread (default true); false keeps
   * it on the main event loop (tests and measurements only). */
  heartbeatThread?: boolean;
  /** How long the main event loop may stand still while the heartbeat thread still vouches for the
   * node (default 30 s; see worker-node.ts). */
  heartbeatMaxStallMs?: number;
  commandsEnabled: boolean;
  /** Environment for shell commands; the process's own is never passed on. */
  commandEnv: Record<string, string>;
  /** Poll intervals (tests shorten them). */
  pollMs?: number;
  /** A checkpoint not completed within this long fails (default: config.ts). */
  checkpointTimeoutMs?: number;
  /** Completed periodic checkpoints each run keeps (savepoints are always kept; default: config.ts). */
  checkpointRetention?: number;
  /** How long events, metric history, log lines and audit rows are kept (default: config.ts). */
  retention?: RetentionSettings;
  /** Opens connection secrets and secrets sealed in job definitions (the same key everywhere). */
  secrets: SecretBox;
  /** Directories jobs may read and write files in (each must exist); relative paths in a job resolve
   * against the first. None: every path is refused. */
  fileRoots?: readonly string[];
  /** How long a canceled assignment may take to end before the node abandons it (default: config.ts). */
  cancelGraceMs?: number;
}

export interface Runtime {
  readonly clusterId: string;
  readonly node?: WorkerNodeMembership;
  readonly coordinator?: Coordinator;
  readonly executor?: Executor;
  readonly logs: LogAppender;
  /** The guard over this process's file roots (for definition-time checks and the node's plugins). */
  readonly files: FileGuard;
  /** The realtime feed over the events table (waits and subscriptions of this process share it). */
  readonly events: EventFeed;
  /** The realtime feed over log lines (log subscriptions of this process share it). */
  readonly logFeed: LogFeed;
  /** The realtime feed over current metric values (metric subscriptions share it). */
  readonly metricFeed: MetricFeed;
  stop(): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { database, logger } = options;
  const clusterId = await ensureCluster(database, options.cluster);
  const files = await createFileGuard(options.fileRoots ?? []);
  const logs = createLogAppender({ database, logger, node: { id: null, name: null } });
  const events = createEventFeed(database, { pollMs: options.pollMs, logger });
  const logFeed = createLogFeed(database, { pollMs: options.pollMs, logger });
  const metricFeed = createMetricFeed(database, { logger });
  let node: WorkerNodeMembership | undefined;
  let executor: Executor | undefined;
  let nodeLogs: LogAppender | undefined;
  const coordinator = options.coordinator
    ? await startCoordinator({
        database,
        logger,
        logs,
        clusterId,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs,
        tickMs: options.pollMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        ownNodes: () => (node ? [node] : []),
        checkpointTimeoutMs: options.checkpointTimeoutMs ?? CONFIG_DEFAULTS.checkpointTimeoutMs,
        checkpointRetention: options.checkpointRetention ?? CONFIG_DEFAULTS.checkpointRetention,
        commandsEnabled: options.commandsEnabled,
        paused: options.coordinatorPaused,
        retention: options.retention ?? {
          eventsDays: CONFIG_DEFAULTS.eventRetentionDays,
          metricHistoryDays: CONFIG_DEFAULTS.metricHistoryRetentionDays,
          logLinesDays: CONFIG_DEFAULTS.logRetentionDays,
          auditDays: CONFIG_DEFAULTS.auditRetentionDays,
        },
      })
    : undefined;
  if (options.node) {
    node = await registerWorkerNode({
      database,
      logger,
      clusterId,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatThread: options.heartbeatThread,
      maxMainStallMs: options.heartbeatMaxStallMs ?? CONFIG_DEFAULTS.heartbeatMaxStallMs,
      slotsUsed: () => executor?.running ?? 0,
      ...options.node,
    });
    nodeLogs = createLogAppender({ database, logger, node: { id: node.id, name: node.name } });
    const ownDatabase = await readOwnDatabaseIdentity(database);
    executor = await startExecutor({
      database,
      logger,
      logs: nodeLogs,
      node: { id: node.id, name: node.name, slots: options.node.slots },
      commandEnv: options.commandEnv,
      commandsEnabled: options.commandsEnabled,
      pollMs: options.pollMs,
      secrets: options.secrets,
      connections: {
        resolve: (name) => resolveConnection(database, options.secrets, name),
        ownDatabase,
      },
      files,
      cancelGraceMs: options.cancelGraceMs ?? CONFIG_DEFAULTS.cancelGraceMs,
      events,
    });
  }
  return {
    clusterId,
    node,
    coordinator,
    executor,
    logs,
    files,
    events,
    logFeed,
    metricFeed,
    stop: async () => {
      await executor?.stop();
      await nodeLogs?.close();
      await node?.stop();
      await coordinator?.stop();
      await logs.close();
      await events.close();
      await logFeed.close();
      await metricFeed.close();
    },
  };
}
