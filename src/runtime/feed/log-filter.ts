// Which log lines a reader wants: one definition, used both in SQL (the `logLines` query and a
// subscriber's history pages) and in memory (handing a shared live read to each subscriber), so the
// two agree.
import { eq, gte, ilike, type SQL } from 'drizzle-orm';
import { logLines } from '../../db/schema/index.ts';

/** A log line as the feed hands it out; `seq` is its cursor. */
export type FeedLogLine = typeof logLines.$inferSelect;

/** Every field given must match; an empty filter matches every line. */
export interface LogFilter {
  /** Only lines at or above this rank (LOG_LEVEL_RANK). */
  minLevel?: number;
  vertex?: string;
  subtaskIndex?: number;
  /** Only lines containing this text, case-insensitive. */
  search?: string;
}

/** The longest `search` a reader may give (a longer one is refused by the API). */
export const MAX_LOG_SEARCH = 200;

/** Conditions on `log_lines` for `filter` (the run and the cursor are the caller's). */
export function logFilterConditions(filter: LogFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.minLevel !== undefined) conditions.push(gte(logLines.level, filter.minLevel));
  if (filter.vertex !== undefined) conditions.push(eq(logLines.vertex, filter.vertex));
  if (filter.subtaskIndex !== undefined) conditions.push(eq(logLines.subtaskIndex, filter.subtaskIndex));
  if (filter.search !== undefined) {
    conditions.push(ilike(logLines.message, `%${filter.search.replace(/[\\%_]/g, '\\$&')}%`));
  }
  return conditions;
}

/** The same test in memory. `search` compares lower-cased text, as ILIKE does for the text logs
 * hold (they may differ only for a few locale-specific letters). */
export function matchesLogFilter(filter: LogFilter, line: FeedLogLine): boolean {
  return (
    (filter.minLevel === undefined || line.level >= filter.minLevel) &&
    (filter.vertex === undefined || line.vertex === filter.vertex) &&
    (filter.subtaskIndex === undefined || line.subtaskIndex === filter.subtaskIndex) &&
    (filter.search === undefined || line.message.toLowerCase().includes(filter.search.toLowerCase()))
  );
}
