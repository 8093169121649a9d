// A child job fires once for each success of its parent that ends after the child depends on it
// (fire-schedules.ts fireFollowUps, which looks back an hour for successes it has no tick of). When a
// job gains a parent, on create or on update, the parent's successes of that hour are recorded as
// ticks already seen, so the new child does not start at once for runs that ended before it existed.
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { RunStatus, sqlLiteral } from '../../lib/status.ts';

/** How far back fireFollowUps looks for parent successes; what ended earlier is never fired. */
export const FOLLOW_UP_WINDOW = sql.raw(`interval '1 hour'`);

export const BEFORE_LINK_REASON = "the parent's run ended before this job depended on it";

/** Marks the successes of `parentJobId` in the follow-up window as seen by `childJobId`. Call it in
 * the transaction that sets the link. */
export async function skipEarlierParentRuns(tx: Tx, childJobId: string, parentJobId: string): Promise<void> {
  await tx.execute(sql`
    insert into schedule_ticks (job_id, tick_at, outcome, reason, run_id)
    select ${childJobId}::uuid, date_trunc('milliseconds', r.ended_at), 'SKIPPED', ${BEFORE_LINK_REASON}, r.id
    from runs r
    where r.job_id = ${parentJobId}::uuid and r.status = ${sql.raw(sqlLiteral(RunStatus.FINISHED))}
      and r.ended_at > now() - ${FOLLOW_UP_WINDOW}
    on conflict (job_id, tick_at) do nothing`);
}
