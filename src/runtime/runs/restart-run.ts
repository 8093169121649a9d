// Restarting a run on request: WHOLE (a new run), FAILED (the same run, only what did not finish)
// or STEPS (the same run, only the named steps).
import type { Database } from '../../db/client.ts';
import { BadInputError } from '../../lib/errors.ts';
import type { RestartMode } from '../../lib/status.ts';
import { restartFailed, restartWhole } from './control.ts';
import { restartSteps } from './restart-steps.ts';
import type { RunRow } from '../../db/schema/index.ts';

export function restartRun(
  database: Database,
  runId: string,
  mode: RestartMode,
  actor: string,
  policy: { commandsEnabled: boolean },
  steps?: readonly string[] | null,
): Promise<RunRow> {
  if (mode === 'STEPS') return restartSteps(database, runId, steps ?? [], actor, policy);
  if (steps) throw new BadInputError('input.steps: only with mode STEPS', { path: 'input.steps' });
  return mode === 'WHOLE'
    ? restartWhole(database, runId, actor, policy)
    : restartFailed(database, runId, actor, policy);
}
