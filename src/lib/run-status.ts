// The run's state machine (DESIGN.md "Run status"). Written to only by runtime/runs/transition-run.ts.
import { isIn, named, sourcesOf, type Transitions } from './state-machine.ts';

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
export const RunStatus = named(RUN_STATUSES);

/** Allowed run transitions: from → the statuses it may move to. Terminal statuses move nowhere. */
export const RUN_TRANSITIONS: Transitions<RunStatus> = {
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

/** A terminal status never changes again (except by a retry of the failed parts, below). */
export const TERMINAL_RUN_STATUSES = ['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'] as const;
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];

/** Not terminal: the run still counts against concurrency FORBID and as running on the overview. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter(
  (s) => !isIn(TERMINAL_RUN_STATUSES, s),
);

/** Runs whose waiting assignments placement considers. */
export const PLACEABLE_RUN_STATUSES = ['CREATED', 'RESTARTING', 'INITIALIZING', 'RUNNING'] as const;

/** Runs that have begun and not yet ended or started to stop: a stop request moves them CANCELLING
 * (a CREATED run has nothing placed; its stop settles it at once). */
export const IN_FLIGHT_RUN_STATUSES = ['INITIALIZING', 'RUNNING', 'RESTARTING'] as const;

/** Runs that ended and can be retried in place (restartJob mode FAILED): the one move out of a
 * terminal status jobgate allows, to RESTARTING, and only when transitionRun is asked to. */
export const RETRYABLE_RUN_STATUSES = ['FAILED', 'CANCELED'] as const;

/** Runs counted as canceled on the overview (a stop-with-savepoint ends SUSPENDED). */
export const CANCELED_RUN_STATUSES = ['CANCELED', 'SUSPENDED'] as const;

export function isTerminalRunStatus(status: RunStatus): boolean {
  return isIn(TERMINAL_RUN_STATUSES, status);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** The statuses from which a run may move to `to` (a retry adds RETRYABLE_RUN_STATUSES). */
export function runSourcesOf(to: RunStatus): RunStatus[] {
  return sourcesOf(RUN_TRANSITIONS, to);
}
