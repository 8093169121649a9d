import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditEvents, settings } from '../../db/schema/index.ts';

/** The audit actions recorded when job submissions are paused and resumed (Dkron's API). */
export const SUBMISSIONS_PAUSE = 'submissions:pause';
export const SUBMISSIONS_UNPAUSE = 'submissions:unpause';

/** The settings row that holds the flag (absent: not paused). */
const PAUSED_KEY = 'submissions.paused';

/** Whether job submissions are paused: every gateway over the database reads the same row. */
export async function submissionsPaused(database: Database): Promise<boolean> {
  const [row] = await database.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, PAUSED_KEY));
  return row?.value === true;
}

/** Pauses or resumes job submissions, recording who did it; returns the new flag. */
export async function setSubmissionsPaused(
  database: Database,
  paused: boolean,
  actor: string,
): Promise<boolean> {
  await database.db.transaction(async (tx) => {
    await tx
      .insert(settings)
      .values({ key: PAUSED_KEY, value: paused, updatedBy: actor })
      .onConflictDoUpdate({
        target: settings.key,
        set: { value: paused, updatedBy: actor, updatedAt: sql`now()` },
      });
    await tx.insert(auditEvents).values({ actor, action: paused ? SUBMISSIONS_PAUSE : SUBMISSIONS_UNPAUSE });
  });
  return paused;
}
