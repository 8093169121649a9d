// Runs a claimed assignment's attempt and settles it.
//
// A cancel is bounded: the attempt gets `cancelGraceMs` to end after its cancel signal fires; past
// that it is abandoned (settled CANCELED, its slot freed, its plugins' resources closed behind it),
// because a plugin waiting on a silent server may never notice the signal. A graceful stop (STOP,
// DRAIN, a savepoint) is not bounded this way: draining may rightly take long, and a cancel hurries it.
import type { Logger } from '../../lib/logger.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { settleAssignment, type AssignmentOutcome } from '../runs/settle.ts';
import { cancelGraceOver } from './cancel-grace-over.ts';
import { DEFAULT_CANCEL_GRACE_MS, type ExecutorOptions } from './executor-options.ts';
import { runAttempt } from './run-attempt.ts';
import type { RunningAssignment } from './running-assignment.ts';

/**
 * @param shutdown aborted when this node shuts down: a cancel nobody asked for is then a failure
 */
export async function executeAssignment(
  options: ExecutorOptions,
  log: Logger,
  entry: RunningAssignment,
  shutdown: AbortSignal,
): Promise<void> {
  const { database, logs, node } = options;
  const graceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  const grace = cancelGraceOver(entry.cancel.signal, graceMs);
  const attempt = runAttempt(options, log, entry);
  let result = await Promise.race([attempt, grace.over]);
  grace.clear();
  if (result === undefined) return;
  if (result === 'abandoned') {
    // It outlived its grace: the slot and the run must not wait for it any longer. Its own
    // outcome, whenever it comes, is dropped (this attempt is settled below).
    entry.kill.abort();
    void attempt.catch(() => {});
    log.warn(
      { assignmentId: entry.assignmentId, graceMs },
      'canceled assignment did not end in time; abandoned',
    );
    logs.append(
      entry.runId,
      'WARN',
      `an assignment did not end within ${graceMs} ms of its cancel; abandoned on ${node.name} (its connections and files are being closed)`,
    );
    result = { status: SubtaskStatus.CANCELED };
  }
  let outcome: AssignmentOutcome = result;
  if (shutdown.aborted && outcome.status === SubtaskStatus.CANCELED && !entry.cancelRequested) {
    // Killed because this node is shutting down, not because anyone asked: a failure, so the
    // run's restart strategy can run it elsewhere.
    outcome = {
      status: SubtaskStatus.FAILED,
      failure: { message: `node ${node.name} shut down while running` },
    };
  }
  await logs.flush();
  await settleAssignment(database, entry.assignmentId, {
    ...outcome,
    nodeId: node.id,
    attempt: entry.attempt,
  });
}
