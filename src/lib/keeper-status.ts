// Qross Keeper's status words (ref/keeper/ENDPOINTS.md §2, Dictionary.scala) and how jobgate's run
// and subtask statuses map onto them, kept with the other status words so none is retyped elsewhere.
import { TERMINAL_RUN_STATUSES } from './run-status.ts';
import { SubtaskStatus } from './subtask-status.ts';

/** What a restart answers: WHOLE makes a new task record (`initialized`), the others reuse it. */
export const KeeperRestartStatus = { whole: 'initialized', inPlace: 'ready' } as const;

/** Whether a run is still going (Keeper: an active task, one kill can end). */
export function isActiveRun(status: string): boolean {
  return !(TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/** Whether a step (a vertex's status, as Run.vertices reports it) is running: an action kill can end it. */
export function isRunningStep(status: string): boolean {
  return status === SubtaskStatus.RUNNING;
}

/** The restart options Keeper takes besides a list of action ids, and jobgate's restart modes. */
export const KEEPER_RESTART_MODES = { WHOLE: 'WHOLE', EXCEPTIONAL: 'FAILED' } as const;
