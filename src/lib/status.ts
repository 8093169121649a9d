/**
 * The state machines of jobgate, written down once, and the other fixed sets of values. Each
 * entity's machine (its union, named constants, allowed transitions and named sets) is in its own
 * file beside this one; import them from here. Every status write goes through them (the runtime
 * checks the transition in the write's WHERE; the database checks the value).
 */
export * from './run-status.ts';
export * from './subtask-status.ts';
export * from './node-status.ts';
export * from './checkpoint-status.ts';
export * from './step-state.ts';
export { fromSet, isIn, named, sourcesOf, type Named, type Transitions } from './state-machine.ts';
export { sqlLiteral } from './sql-literal.ts';

export const JOB_MODES = ['BATCH', 'STREAMING'] as const;
export type JobMode = (typeof JOB_MODES)[number];

export const JOB_KINDS = ['PIPELINE', 'COMMAND', 'STEPS', 'HTTP', 'REPLICATION'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const VERTEX_KINDS = ['SOURCE', 'TRANSFORM', 'SINK', 'COMMAND', 'HTTP'] as const;
export type VertexKind = (typeof VERTEX_KINDS)[number];

export const CONCURRENCY_POLICIES = ['ALLOW', 'FORBID'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const CHECKPOINT_KINDS = ['CHECKPOINT', 'SAVEPOINT'] as const;
export type CheckpointKind = (typeof CHECKPOINT_KINDS)[number];

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

/** How a run restarts: WHOLE (a new run of the same version), FAILED (the same run, only what
 * failed or never ran) or STEPS (the same run, only the named steps of a steps DAG). */
export const RESTART_MODES = ['WHOLE', 'FAILED', 'STEPS'] as const;
export type RestartMode = (typeof RESTART_MODES)[number];
