// The checkpoint's state machine. Written to only by runtime/checkpoints/transition-checkpoints.ts.
import { named, type Transitions } from './state-machine.ts';

export const CHECKPOINT_STATUSES = ['IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export type CheckpointStatus = (typeof CHECKPOINT_STATUSES)[number];
export const CheckpointStatus = named(CHECKPOINT_STATUSES);

/** IN_PROGRESS → COMPLETED (every subtask acknowledged) or FAILED (timed out, or the run stopped). */
export const CHECKPOINT_TRANSITIONS: Transitions<CheckpointStatus> = {
  IN_PROGRESS: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
};

export const TERMINAL_CHECKPOINT_STATUSES = ['COMPLETED', 'FAILED'] as const;
