import { desc, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents } from '../../db/schema/index.ts';

/** The audit actions that pause and resume job submissions through the Dkron API. The newest of
 * them is the flag, so every gateway over the database reads the same answer with no table of its
 * own (audit rows are append-only and their bigserial id follows insertion). */
export const SUBMISSIONS_PAUSE = 'submissions:pause';
export const SUBMISSIONS_UNPAUSE = 'submissions:unpause';

/** Whether job submissions are paused: the newest pause/unpause audit row says (none: not paused). */
export async function submissionsPaused(database: Database): Promise<boolean> {
  const [row] = await database.db
    .select({ action: auditEvents.action })
    .from(auditEvents)
    .where(inArray(auditEvents.action, [SUBMISSIONS_PAUSE, SUBMISSIONS_UNPAUSE]))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  return row?.action === SUBMISSIONS_PAUSE;
}

/** Pauses or resumes job submissions (recorded as an audit row by `actor`); returns the new flag. */
export async function setSubmissionsPaused(
  database: Database,
  paused: boolean,
  actor: string,
): Promise<boolean> {
  await database.db
    .insert(auditEvents)
    .values({ actor, action: paused ? SUBMISSIONS_PAUSE : SUBMISSIONS_UNPAUSE });
  return paused;
}
