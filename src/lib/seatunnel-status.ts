// SeaTunnel Zeta's JobStatus (engine-core JobStatus.java, ref/seatunnel/ENDPOINTS.md §2) and how
// jobgate's run statuses map onto it, kept here with the other status words so that no status is
// retyped elsewhere. The spelling is Zeta's: CANCELING and CANCELED with one L.
import { RUN_STATUSES, type RunStatus } from './run-status.ts';

/** JobStatus, in Zeta's declaration order. */
export const SEATUNNEL_JOB_STATUSES = [
  'INITIALIZING',
  'CREATED',
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'DOING_SAVEPOINT',
  'SAVEPOINT_DONE',
  'CANCELING',
  'CANCELED',
  'FINISHED',
  'UNKNOWABLE',
] as const;
export type SeaTunnelJobStatus = (typeof SEATUNNEL_JOB_STATUSES)[number];

/** The states `finished-jobs/:state` accepts (JobStatus#isEndState). */
export const SEATUNNEL_END_STATUSES: readonly SeaTunnelJobStatus[] = [
  'FINISHED',
  'CANCELED',
  'FAILED',
  'SAVEPOINT_DONE',
  'UNKNOWABLE',
];

/** Zeta's status of a run in each jobgate status. A restart between attempts is still RUNNING to
 * Zeta (it restarts pipelines inside a running job); a stop-with-savepoint ends SAVEPOINT_DONE. */
const BY_RUN_STATUS: Record<RunStatus, SeaTunnelJobStatus> = {
  CREATED: 'CREATED',
  INITIALIZING: 'INITIALIZING',
  RUNNING: 'RUNNING',
  RESTARTING: 'RUNNING',
  FAILING: 'FAILING',
  FAILED: 'FAILED',
  CANCELLING: 'CANCELING',
  CANCELED: 'CANCELED',
  FINISHED: 'FINISHED',
  SUSPENDED: 'SAVEPOINT_DONE',
};

export function seatunnelJobStatus(status: RunStatus): SeaTunnelJobStatus {
  return BY_RUN_STATUS[status];
}

export function isSeaTunnelEndStatus(status: SeaTunnelJobStatus): boolean {
  return SEATUNNEL_END_STATUSES.includes(status);
}

/** The run statuses Zeta shows as `status` (empty for the ones jobgate never has, e.g. UNKNOWABLE). */
export function runStatusesShownAs(status: SeaTunnelJobStatus): RunStatus[] {
  return RUN_STATUSES.filter((s) => BY_RUN_STATUS[s] === status);
}

/** The overview's counters (OverviewInfo): each counts the jobs in these statuses. */
export const SEATUNNEL_OVERVIEW_COUNTS = {
  finishedJobs: 'FINISHED',
  failedJobs: 'FAILED',
  cancelledJobs: 'CANCELED',
} as const satisfies Record<string, SeaTunnelJobStatus>;
