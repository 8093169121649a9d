// Flink's status enums (Flink 1.20, ref/flink/ENDPOINTS.md "Enums") and how jobgate's statuses map
// onto them, kept here with the other status words so that no status is retyped elsewhere. jobgate
// took its run and subtask statuses from Flink, so each maps onto the value of the same name; the
// Flink-only values (RECONCILING, an execution's INITIALIZING) are listed so maps keyed by every
// value (`status-counts`, `timestamps`, `tasks`) are complete.
import { RUN_STATUSES, type RunStatus } from './run-status.ts';
import { SUBTASK_STATUSES, type SubtaskStatus } from './subtask-status.ts';
import { CHECKPOINT_STATUSES, type CheckpointStatus } from './checkpoint-status.ts';

/** JobStatus, in Flink's declaration order. */
export const FLINK_JOB_STATUSES = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
] as const;
export type FlinkJobStatus = (typeof FLINK_JOB_STATUSES)[number];

/** ExecutionState (note the single-L CANCELING, against JobStatus CANCELLING). */
export const FLINK_EXECUTION_STATES = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'RECONCILING',
  'INITIALIZING',
] as const;
export type FlinkExecutionState = (typeof FLINK_EXECUTION_STATES)[number];

/** CheckpointStatsStatus; the same words as jobgate's checkpoint statuses. */
export const FLINK_CHECKPOINT_STATUSES = CHECKPOINT_STATUSES;

/** The Flink JobStatus of a run status (the same name for every one). */
export function flinkJobStatus(status: RunStatus): FlinkJobStatus {
  return status;
}

/** The Flink ExecutionState of a subtask status (the same name for every one). */
export function flinkExecutionState(status: SubtaskStatus): FlinkExecutionState {
  return status;
}

/** Flink's lowercase `className` of checkpoint statistics for a checkpoint status. */
export function flinkCheckpointClass(status: CheckpointStatus): string {
  return status.toLowerCase();
}

/** The JobStatus values a job leaves only to end (Flink's globally terminal ones plus SUSPENDED). */
export const FLINK_TERMINAL_JOB_STATUSES: readonly FlinkJobStatus[] = [
  'FAILED',
  'CANCELED',
  'FINISHED',
  'SUSPENDED',
];

// The compiler checks both maps are total: every jobgate status is a Flink value of the same name.
RUN_STATUSES satisfies readonly FlinkJobStatus[];
SUBTASK_STATUSES satisfies readonly FlinkExecutionState[];
