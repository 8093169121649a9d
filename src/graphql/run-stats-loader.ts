// Jobs' run outcomes (their runStats field) for a whole list of jobs at once: Dkron's job list asks
// every job for them.
import DataLoader from 'dataloader';
import type { Database } from '../db/client.ts';
import { jobRunStats, type JobRunStats } from '../runtime/index.ts';

export interface RunStatsKey {
  jobId: string;
  /** Count only runs created after this (null: every run). */
  since: Date | null;
}

/** One aggregate per distinct `since` among the keys of a batch. */
export function createRunStatsLoader(database: Database) {
  return new DataLoader<RunStatsKey, JobRunStats, string>(
    async (keys) => {
      const bySince = new Map<number | null, string[]>();
      for (const key of keys) {
        const since = key.since?.getTime() ?? null;
        const ids = bySince.get(since);
        if (ids) ids.push(key.jobId);
        else bySince.set(since, [key.jobId]);
      }
      const results = new Map<number | null, Map<string, JobRunStats>>();
      await Promise.all(
        [...bySince].map(async ([since, ids]) =>
          results.set(since, await jobRunStats(database, ids, since === null ? null : new Date(since))),
        ),
      );
      return keys.map((key) => results.get(key.since?.getTime() ?? null)!.get(key.jobId)!);
    },
    { cacheKeyFn: (k) => `${k.since?.getTime() ?? ''}:${k.jobId}` },
  );
}
