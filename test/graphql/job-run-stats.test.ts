// A job's runStats (what Dkron's job list shows as success_count, error_count, last_success and
// last_error) is one aggregate for the whole list of jobs, however many it holds, and each job gets
// its own counts.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runs } from '../../src/db/schema/index.ts';
import { newRunId } from '../../src/lib/ids.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { seedRun } from '../support/fixtures.ts';

const JOBS = 12;
const LIST = `query($first: Int!, $since: DateTime) {
  jobs(first: $first) {
    nodes { id name runStats { finished failed lastFinishedAt lastFailedAt } recent: runStats(since: $since) { finished failed } }
  }
}`;

let t: TestApp;
/** By job id: how many runs ended each way, and when the newest of each ended. */
const expected = new Map<
  string,
  { finished: number; failed: number; lastFinishedAt: string | null; lastFailedAt: string | null }
>();
const cutoff = new Date(Date.now() - 30 * 60_000);

beforeAll(async () => {
  t = await createTestApp();
  for (let i = 0; i < JOBS; i++) {
    const seeded = await seedRun(t.database, {
      name: `stats-${i}`,
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
      nodes: 1,
    });
    const [template] = await t.database.db.select().from(runs).where(eq(runs.id, seeded.runId));
    const finished = i % 4;
    const failed = i % 3;
    const ended = (k: number) => new Date(Date.UTC(2026, 0, 1 + i, k));
    const rows = [
      ...Array.from({ length: finished }, (_, k) => ({ status: 'FINISHED' as const, endedAt: ended(k) })),
      ...Array.from({ length: failed }, (_, k) => ({ status: 'FAILED' as const, endedAt: ended(10 + k) })),
    ];
    for (const row of rows) {
      await t.database.db.insert(runs).values({
        id: newRunId(),
        jobId: seeded.jobId,
        jobVersionId: template!.jobVersionId,
        parallelism: 1,
        status: row.status,
        // Runs created long ago: `since` must leave them out.
        createdAt: new Date(cutoff.getTime() - 60_000),
        startedAt: row.endedAt,
        endedAt: row.endedAt,
      });
    }
    expected.set(seeded.jobId, {
      finished,
      failed,
      lastFinishedAt: finished ? ended(finished - 1).toISOString() : null,
      lastFailedAt: failed ? ended(10 + failed - 1).toISOString() : null,
    });
  }
});
afterAll(() => t.close());

async function listJobs(first: number) {
  const before = t.database.stats.statements;
  const res = await t.graphql(LIST, { first, since: cutoff.toISOString() });
  expect(res.errors).toBeUndefined();
  return { jobs: res.data!.jobs.nodes as any[], statements: t.database.stats.statements - before };
}

it('every job in the list gets its own run counts, and `since` counts only newer runs', async () => {
  const { jobs } = await listJobs(JOBS);
  expect(jobs).toHaveLength(JOBS);
  for (const job of jobs) {
    expect(job.runStats).toEqual(expected.get(job.id));
    // Only the seeded RUNNING run is newer than the cutoff, and it has not ended.
    expect(job.recent).toEqual({ finished: 0, failed: 0 });
  }
  // The positive control: the counts really differ between jobs.
  expect(new Set(jobs.map((j) => `${j.runStats.finished}/${j.runStats.failed}`)).size).toBeGreaterThan(5);
});

it('the run counts of 1, 4 or 12 jobs cost the same statements', async () => {
  const one = await listJobs(1);
  const four = await listJobs(4);
  const all = await listJobs(JOBS);
  expect([one.jobs.length, four.jobs.length, all.jobs.length]).toEqual([1, 4, JOBS]);
  expect(four.statements).toBe(one.statements);
  expect(all.statements).toBe(one.statements);
});
