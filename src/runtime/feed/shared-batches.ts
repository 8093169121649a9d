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

/** Remembers the most recently made batches, `maxLines` lines in all: a few seconds of live
 * batches at ordinary rates, so memory per stream stays bounded however large batches are (a
 * subscriber catching up reads pages of its own, which are rarely shared). A slower subscriber
 * that splits its lines differently, or comes after a batch was forgotten, gets a batch of its own. */
export function createSharedBatches(maxLines: number): SharedBatches {
  const recent = new Map<string, LogBatch>();
  let lines = 0;
  return {
    batch: (filterKey, cursor, taken) => {
      const key = `${cursor}:${taken[0]!.seq}:${taken[taken.length - 1]!.seq}:${taken.length}:${filterKey}`;
      const known = recent.get(key);
      if (known) return known;
      const made = markSharedPayload<LogBatch>({ cursor, lines: taken });
      recent.set(key, made);
      lines += taken.length;
      for (const [oldest, batch] of recent) {
        if (lines <= maxLines) break;
        recent.delete(oldest);
        lines -= batch.lines.length;
      }
      return made;
    },
    get size() {
      return recent.size;
    },
  };
}
