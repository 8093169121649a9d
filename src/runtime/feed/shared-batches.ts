// The batches a run's subscribers are handed, made one object per content: subscribers with the same
// filter that take the same lines at the same cursor (the usual case once they follow the shared
// live read) get the very same LogBatch, marked shared (lib/shared-payload.ts), so the server
// executes a selection of it once for all of them instead of once per subscriber. A batch's content
// is fixed by its filter, its cursor and its first and last seq (it holds every matching line
// between them: lines are immutable and seqs gap-free), so equal keys mean equal batches.
import { markSharedPayload } from '../../lib/shared-payload.ts';
import type { FeedLogLine, LogFilter } from './log-filter.ts';

/** Lines in seq order and the cursor (a seq) that resumes right after them: it may lie beyond the
 * last line when lines after it did not match the filter. */
export interface LogBatch {
  cursor: number;
  lines: FeedLogLine[];
}

export interface SharedBatches {
  /** The batch of these lines at this cursor: an earlier equal one if it is still remembered. */
  batch(filterKey: string, cursor: number, lines: FeedLogLine[]): LogBatch;
  /** How many batches are remembered. */
  readonly size: number;
}

/** A filter as a key (equal filters, equal keys). */
export function logFilterKey(filter: LogFilter): string {
  return JSON.stringify([filter.minLevel, filter.vertex, filter.subtaskIndex, filter.search]);
}

/** Remembers the `limit` most recently made batches (a slower subscriber that splits its lines
 * differently simply gets batches of its own). */
export function createSharedBatches(limit: number): SharedBatches {
  const recent = new Map<string, LogBatch>();
  return {
    batch: (filterKey, cursor, lines) => {
      const key = `${cursor}:${lines[0]!.seq}:${lines[lines.length - 1]!.seq}:${lines.length}:${filterKey}`;
      const known = recent.get(key);
      if (known) return known;
      const made = markSharedPayload<LogBatch>({ cursor, lines });
      recent.set(key, made);
      if (recent.size > limit) recent.delete(recent.keys().next().value!);
      return made;
    },
    get size() {
      return recent.size;
    },
  };
}
