// The state machine of assignments and subtasks (and each subtask's attempt rows, which follow their
// subtask): one union, because an assignment is the placed unit its subtasks run in. Written to only
// by runtime/runs/transition-assignments.ts, and by the claim statement (runtime/sql/claim-assignments.ts).
import { isIn, named, type Transitions } from './state-machine.ts';

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
export const SubtaskStatus = named(SUBTASK_STATUSES);

/** Ended. Only a new attempt (runs/reopen-attempt.ts) moves a FAILED or CANCELED one back to CREATED. */
export const TERMINAL_SUBTASK_STATUSES = ['FINISHED', 'CANCELED', 'FAILED'] as const;
export type TerminalSubtaskStatus = (typeof TERMINAL_SUBTASK_STATUSES)[number];

/** Not ended yet. */
export const LIVE_SUBTASK_STATUSES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING'] as const;

/** Placed on a node and not ended: each one holds one of that node's slots. */
export const SLOT_HOLDING_STATUSES = ['SCHEDULED', 'DEPLOYING', 'RUNNING', 'CANCELING'] as const;

/** What a new attempt reopens: the parts that failed or never ran. FINISHED parts are kept. */
export const REOPENABLE_SUBTASK_STATUSES = ['FAILED', 'CANCELED'] as const;

/** What a re-run of named steps reopens (restartJob mode STEPS): any ended part, FINISHED too. */
export const RERUNNABLE_SUBTASK_STATUSES = ['FINISHED', 'FAILED', 'CANCELED'] as const;

const ENDS = ['FINISHED', 'FAILED', 'CANCELED'] as const;

/**
 * CREATED → SCHEDULED (placed) → DEPLOYING (claimed by its node; subtasks skip it) → RUNNING, and
 * from anything not ended → CANCELING (asked to stop) or an end. SCHEDULED → CREATED gives an
 * unclaimed assignment back when its node stops. RUNNING → RUNNING stamps the start of a step of a
 * steps DAG inside its running assignment. FINISHED → CREATED only for a re-run of named steps of
 * an ended run (restartJob mode STEPS, runs/reopen-attempt.ts).
 */
export const SUBTASK_TRANSITIONS: Transitions<SubtaskStatus> = {
  CREATED: ['SCHEDULED', ...ENDS],
  SCHEDULED: ['CREATED', 'DEPLOYING', 'RUNNING', 'CANCELING', ...ENDS],
  DEPLOYING: ['RUNNING', 'CANCELING', ...ENDS],
  RUNNING: ['RUNNING', 'CANCELING', ...ENDS],
  CANCELING: [...ENDS],
  FINISHED: ['CREATED'],
  FAILED: ['CREATED'],
  CANCELED: ['CREATED'],
};

export function isTerminalSubtaskStatus(status: SubtaskStatus): boolean {
  return isIn(TERMINAL_SUBTASK_STATUSES, status);
}
