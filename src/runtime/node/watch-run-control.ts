// The run-control watcher: turns what the database says about the running assignments into their
// signals. A cancel request (of the run or the assignment) fires the cancel, a stop request the
// graceful stop, and a lost fence the cancel too: this node was declared lost and the assignment
// now belongs to another node or a newer attempt, so this one must not write for it any more.
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../lib/logger.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { readRunControl, type RunControlRow } from '../sql/read-run-control.ts';
import type { RunningAssignment } from './running-assignment.ts';

export type RunControlSignal = 'fenced' | 'cancel' | 'stop' | undefined;

/** What a running attempt must do, given its row: nothing (undefined), stop, or cancel. */
export function runControlSignal(row: RunControlRow, nodeId: string, attempt: number): RunControlSignal {
  if (row.node_id !== nodeId || Number(row.attempt) !== attempt) return 'fenced';
  if (row.status === SubtaskStatus.CANCELING || row.stop_requested === 'CANCEL') return 'cancel';
  if (row.stop_requested) return 'stop';
  return undefined;
}

/** One look at the running assignments; signals each one the database asks to end. */
export async function watchRunControl(
  database: Database,
  log: Logger,
  nodeId: string,
  running: ReadonlyMap<string, RunningAssignment>,
): Promise<void> {
  if (running.size === 0) return;
  const rows = await readRunControl(database, [...running.keys()]);
  for (const row of rows) {
    const entry = running.get(row.id);
    if (!entry) continue;
    const signal = runControlSignal(row, nodeId, entry.attempt);
    if (signal === 'fenced')
      log.warn({ assignmentId: row.id }, 'assignment taken over by another attempt; stopping it here');
    if (signal === 'fenced' || signal === 'cancel') entry.requestCancel();
    else if (signal === 'stop') entry.requestStop();
  }
}
