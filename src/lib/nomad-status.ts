// Nomad's status words (structs.go: JobStatus*, AllocClientStatus*, AllocDesiredStatus*, TaskState*,
// EvalStatus*, NodeStatus*; ref/nomad/ENDPOINTS.md) and how jobgate's run, subtask and node statuses
// map onto them, kept here with the other status words so no status is retyped in the shim.
import { isIn } from './state-machine.ts';
import { TERMINAL_RUN_STATUSES, type RunStatus } from './run-status.ts';
import type { NodeStatus } from './node-status.ts';

export const NOMAD_JOB_STATUSES = ['pending', 'running', 'dead'] as const;
export type NomadJobStatus = (typeof NOMAD_JOB_STATUSES)[number];

export const NOMAD_CLIENT_STATUSES = ['pending', 'running', 'complete', 'failed', 'lost'] as const;
export type NomadClientStatus = (typeof NOMAD_CLIENT_STATUSES)[number];

export const NOMAD_TASK_STATES = ['pending', 'running', 'dead'] as const;
export type NomadTaskState = (typeof NOMAD_TASK_STATES)[number];

export const NOMAD_EVAL_STATUSES = ['blocked', 'pending', 'complete', 'failed', 'canceled'] as const;
export type NomadEvalStatus = (typeof NOMAD_EVAL_STATUSES)[number];

/** A run that has not begun work yet: Nomad's pending (the allocation is not running). */
const NOT_STARTED: readonly RunStatus[] = ['CREATED', 'INITIALIZING'];
/** Runs that ended by a stop request (DELETE /v1/job): the job is stopped, its allocations complete. */
const STOPPED: readonly RunStatus[] = ['CANCELED', 'SUSPENDED'];

/** The job's status from its newest run (none: pending, as a job whose evaluation waits). */
export function nomadJobStatus(latestRun: RunStatus | null): NomadJobStatus {
  if (latestRun === null || NOT_STARTED.includes(latestRun)) return 'pending';
  return isIn(TERMINAL_RUN_STATUSES, latestRun) ? 'dead' : 'running';
}

/** Whether a stop of the run was asked for and it has not ended yet. */
export function isStoppingRun(status: RunStatus): boolean {
  return status === 'CANCELLING';
}

/** Whether a run ended because someone stopped it (Nomad's Job.Stop). */
export function isStoppedRun(status: RunStatus): boolean {
  return STOPPED.includes(status);
}

/** Whether the run has ended (its allocations are terminal). */
export function isEndedRun(status: RunStatus): boolean {
  return isIn(TERMINAL_RUN_STATUSES, status);
}

/** Whether the run failed for good. */
export function isFailedRun(status: RunStatus): boolean {
  return status === 'FAILED';
}

/** Whether the run finished by itself. */
export function isFinishedRun(status: RunStatus): boolean {
  return status === 'FINISHED';
}

/** The run status that ends one attempt and begins the next. */
export const RESTART_BOUNDARY: RunStatus = 'RESTARTING';
/** The run status at which an attempt's tasks are started. */
export const STARTED_STATUS: RunStatus = 'RUNNING';
/** The run statuses that mean a stop was asked for (the deregister evaluation's moment). */
export const STOP_REQUESTED: readonly RunStatus[] = ['CANCELLING', 'CANCELED', 'SUSPENDED'];

/** A run whose current attempt has not begun yet (a restart waits for its new attempt too). */
const ATTEMPT_NOT_STARTED: readonly RunStatus[] = [...NOT_STARTED, 'RESTARTING'];

/** The current allocation's ClientStatus for a run status. */
export function nomadClientStatus(status: RunStatus): NomadClientStatus {
  if (ATTEMPT_NOT_STARTED.includes(status)) return 'pending';
  if (status === 'FAILED' || status === 'FAILING') return 'failed';
  if (status === 'FINISHED' || STOPPED.includes(status)) return 'complete';
  return 'running';
}

/** A task's State inside an allocation of the given client status. */
export function nomadTaskState(client: NomadClientStatus): NomadTaskState {
  if (client === 'pending') return 'pending';
  return client === 'running' ? 'running' : 'dead';
}

/** DesiredStatus: run while the run is meant to go on, stop once it was stopped. */
export function nomadDesiredStatus(status: RunStatus): 'run' | 'stop' {
  return STOPPED.includes(status) || status === 'CANCELLING' ? 'stop' : 'run';
}

/** A node's Status and scheduling eligibility. */
export function nomadNodeStatus(status: NodeStatus): {
  status: 'ready' | 'down';
  eligibility: 'eligible' | 'ineligible';
  drain: boolean;
} {
  if (status === 'DOWN') return { status: 'down', eligibility: 'ineligible', drain: false };
  if (status === 'DRAINING') return { status: 'ready', eligibility: 'ineligible', drain: true };
  return { status: 'ready', eligibility: 'eligible', drain: false };
}

/** An evaluation's status for its run: pending until the run was placed, then complete. */
export function nomadEvalStatus(status: RunStatus): NomadEvalStatus {
  return status === 'CREATED' ? 'pending' : 'complete';
}
