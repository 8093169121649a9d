/**
 * The state machines of jobgate, written down once. Every status write goes through these
 * (the runtime checks the transition; the database checks the value).
 */

export const RUN_STATUSES = [
  'CREATED',
  'INITIALIZING',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'];

/** Allowed run transitions: from → the statuses it may move to. Terminal statuses move nowhere. */
export const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  CREATED: ['INITIALIZING', 'RUNNING', 'CANCELLING', 'CANCELED', 'FAILED'],
  INITIALIZING: ['RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'RESTARTING', 'FINISHED'],
  RUNNING: ['FINISHED', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'RESTARTING', 'SUSPENDED'],
  FAILING: ['FAILED', 'RESTARTING'],
  CANCELLING: ['CANCELED', 'FINISHED', 'SUSPENDED', 'FAILED'],
  RESTARTING: ['INITIALIZING', 'RUNNING', 'CANCELLING', 'CANCELED', 'FAILED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
  SUSPENDED: [],
};
// restartJob(mode: FAILED) re-runs a FAILED or CANCELED run in place; transitionRun allows exactly
// that move out of a terminal status, and only when asked to (allowRetryOfFailed).

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export const SUBTASK_STATUSES = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
] as const;
export type SubtaskStatus = (typeof SUBTASK_STATUSES)[number];
export const TERMINAL_SUBTASK_STATUSES: readonly SubtaskStatus[] = ['FINISHED', 'CANCELED', 'FAILED'];

export const NODE_STATUSES = ['READY', 'DRAINING', 'DOWN'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const JOB_MODES = ['BATCH', 'STREAMING'] as const;
export type JobMode = (typeof JOB_MODES)[number];

export const JOB_KINDS = ['PIPELINE', 'COMMAND', 'STEPS'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const VERTEX_KINDS = ['SOURCE', 'TRANSFORM', 'SINK', 'COMMAND'] as const;
export type VertexKind = (typeof VERTEX_KINDS)[number];

export const CONCURRENCY_POLICIES = ['ALLOW', 'FORBID'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const CHECKPOINT_KINDS = ['CHECKPOINT', 'SAVEPOINT'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

export const CHECKPOINT_STATUSES = ['IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export type CheckpointStatus = (typeof CHECKPOINT_STATUSES)[number];

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Levels are stored as numbers so "at or above a level" is one comparison. */
export const LOG_LEVEL_RANK: Record<LogLevel, number> = {
  TRACE: 10,
  DEBUG: 20,
  INFO: 30,
  WARN: 40,
  ERROR: 50,
};

export const METRIC_SCOPES = ['CLUSTER', 'NODE', 'RUN', 'VERTEX', 'SUBTASK'] as const;
export type MetricScope = (typeof METRIC_SCOPES)[number];

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const RUN_TRIGGERS = ['API', 'SCHEDULE', 'RESTART', 'DEPENDENT', 'RETRY'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
