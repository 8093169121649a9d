// The state of one step of a `steps` DAG while its assignment runs (in memory; the step's subtask
// row carries SubtaskStatus). Decided by runtime/executors/steps-plan.ts and run-steps.ts.
import { named, type Transitions } from './state-machine.ts';

export const STEP_STATES = ['PENDING', 'RUNNING', 'FINISHED', 'FAILED', 'SKIPPED'] as const;
export type StepState = (typeof STEP_STATES)[number];
export const StepState = named(STEP_STATES);

/** PENDING → RUNNING → FINISHED | FAILED; PENDING → SKIPPED when a dependency FAILED or was SKIPPED. */
export const STEP_TRANSITIONS: Transitions<StepState> = {
  PENDING: ['RUNNING', 'SKIPPED'],
  RUNNING: ['FINISHED', 'FAILED'],
  FINISHED: [],
  FAILED: [],
  SKIPPED: [],
};

/** How a step that ran ended. */
export type StepOutcome = typeof StepState.FINISHED | typeof StepState.FAILED;
