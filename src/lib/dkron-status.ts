// Dkron's job status words (dkron/job.go consts) and how a jobgate run status maps onto them, kept
// here with the other status words so no status is retyped elsewhere. A job's status is its latest
// run's: "" before any run, `running` while a run is live, `success` or `failed` once it ended.
import { NodeStatus } from './node-status.ts';
import { isTerminalRunStatus, RunStatus } from './run-status.ts';

export const DKRON_JOB_STATUSES = ['', 'success', 'running', 'failed', 'partially_failed'] as const;
export type DkronJobStatus = (typeof DKRON_JOB_STATUSES)[number];

/** The Dkron status of a job whose latest run has `status` (null: it never ran). */
export function dkronJobStatus(status: RunStatus | null | undefined): DkronJobStatus {
  if (!status) return '';
  if (!isTerminalRunStatus(status)) return 'running';
  return status === RunStatus.FINISHED ? 'success' : 'failed';
}

/** Whether a run counts as a successful Dkron execution. */
export function isDkronSuccess(status: RunStatus): boolean {
  return status === RunStatus.FINISHED;
}

/** Whether a run is one of Dkron's busy (running) executions. */
export function isDkronBusy(status: RunStatus): boolean {
  return !isTerminalRunStatus(status);
}

/** A member's serf status (hashicorp/serf MemberStatus): 1 alive, 4 failed. */
export function serfStatus(nodeStatus: NodeStatus): { code: number; text: string } {
  return nodeStatus === NodeStatus.DOWN ? { code: 4, text: 'failed' } : { code: 1, text: 'alive' };
}
