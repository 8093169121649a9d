// One read of the events table after a cursor: the only query the feed makes besides its head.
import { and, asc, gt, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { events } from '../../db/schema/index.ts';
import { filterConditions, type EventFilter, type FeedEvent } from './event-filter.ts';

/** Events with `after < id (<= through)` matching `filter`, oldest first, at most `limit`. */
export async function readEvents(
  database: Database,
  after: number,
  filter: EventFilter,
  options: { limit: number; through?: number },
): Promise<FeedEvent[]> {
  const rows = await database.db
    .select()
    .from(events)
    .where(
      and(
        gt(events.id, after),
        options.through === undefined ? undefined : lte(events.id, options.through),
        ...filterConditions(filter),
      ),
    )
    .orderBy(asc(events.id))
    .limit(options.limit);
  return rows as FeedEvent[];
}

/** The newest event's id (0 for none): where a reader that wants only what comes next starts. */
export async function readEventsHead(database: Database): Promise<number> {
  const [row] = await database.db.select({ head: sql<string>`coalesce(max(${events.id}), 0)` }).from(events);
  return Number(row!.head);
}
