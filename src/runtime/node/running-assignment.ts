// One assignment this node runs: its identity (the attempt it was claimed for, which the fence is
// checked against), the signals that end it, and what the checkpoint barrier and the metric rates
// keep for it while it runs. The executor's pieces share it; each changes only its own part.
import type { ClaimedAssignment } from '../sql/claim-assignments.ts';
import type { CheckpointBarrier } from './checkpoint-barrier.ts';
import type { MetricRates } from './metric-rates.ts';

export class RunningAssignment {
  readonly assignmentId: string;
  readonly runId: string;
  readonly attempt: number;
  /** Cancel: stop at once. */
  readonly cancel = new AbortController();
  /** Graceful stop: what was read reaches the sinks. */
  readonly stop = new AbortController();
  /** Fired when the attempt is abandoned: whatever it still holds is closed. */
  readonly kill = new AbortController();
  /** Settles when the attempt has been settled and the slot is free. */
  done: Promise<void> = Promise.resolve();
  /** The run or assignment asked for the cancel (as opposed to this node shutting down). */
  cancelRequested = false;
  /** Set once a pipeline runner exists; commands and steps have neither. */
  barrier?: CheckpointBarrier;
  metrics?: MetricRates;

  constructor(claimed: ClaimedAssignment) {
    this.assignmentId = claimed.id;
    this.runId = claimed.run_id;
    this.attempt = Number(claimed.attempt);
  }

  /** A cancel someone asked for (the run, the assignment, or a lost fence). */
  requestCancel(): void {
    this.cancelRequested = true;
    this.cancel.abort();
  }

  /** A graceful stop someone asked for (STOP, DRAIN, a savepoint that stops the run). */
  requestStop(): void {
    this.cancelRequested = true;
    this.stop.abort();
  }
}
