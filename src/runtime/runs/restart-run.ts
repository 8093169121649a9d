// Restarting a run on request: WHOLE (a new run) or FAILED (the same run, only what did not finish).
import type { Database } from '../../db/client.ts';
import type { RestartMode } from '../../lib/status.ts';
import { restartFailed, restartWhole } from './control.ts';
import type { RunRow } from '../../db/schema/index.ts';

export function restartRun(
  database: Database,
  runId: string,
  mode: RestartMode,
  actor: string,
  policy: { commandsEnabled: boolean },
): Promise<RunRow> {
  return mode === 'WHOLE'
    ? restartWhole(database, runId, actor, policy)
    : restartFailed(database, runId, actor, policy);
}
