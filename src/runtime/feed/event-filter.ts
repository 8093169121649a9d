// Which events a reader wants: one definition, used both in SQL (reading history after a cursor)
// and in memory (handing a shared live read to each reader), so the two can never disagree.
import { eq, inArray, type SQL } from 'drizzle-orm';
import { events } from '../../db/schema/index.ts';
import type { RuntimeEventType } from '../events.ts';

/** An event as the feed hands it out; `id` is its cursor (pass it back to read what came after). */
export type FeedEvent = Omit<typeof events.$inferSelect, 'type'> & { type: RuntimeEventType };

/** Every field given must match; an empty filter matches every event. */
export interface EventFilter {
  runId?: string;
  jobId?: string;
  nodeId?: string;
  checkpointId?: string;
  /** Any of these types. */
  types?: readonly RuntimeEventType[];
}

export function matchesFilter(filter: EventFilter, event: FeedEvent): boolean {
  return (
    (filter.runId === undefined || event.runId === filter.runId) &&
    (filter.jobId === undefined || event.jobId === filter.jobId) &&
    (filter.nodeId === undefined || event.nodeId === filter.nodeId) &&
    (filter.checkpointId === undefined || event.checkpointId === filter.checkpointId) &&
    (filter.types === undefined || filter.types.includes(event.type))
  );
}

export function filterConditions(filter: EventFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.runId !== undefined) conditions.push(eq(events.runId, filter.runId));
  if (filter.jobId !== undefined) conditions.push(eq(events.jobId, filter.jobId));
  if (filter.nodeId !== undefined) conditions.push(eq(events.nodeId, filter.nodeId));
  if (filter.checkpointId !== undefined) conditions.push(eq(events.checkpointId, filter.checkpointId));
  if (filter.types !== undefined) conditions.push(inArray(events.type, [...filter.types]));
  return conditions;
}
