// The chaos test: a streaming pipeline into PostgreSQL, run by separate `jobgate node` processes,
// survives kill -9 of a node at random moments with no row lost and none repeated.
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { assignments, checkpoints, nodes, runStatusHistory } from '../../src/db/schema/index.ts';
import { usingPostgres } from '../support/db.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-db.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const TOTAL = 200_000;
const KILLS = 5;
const nodeEnv = { JOBGATE_HEARTBEAT_INTERVAL_MS: '300', JOBGATE_HEARTBEAT_TIMEOUT_MS: '1500' };

describe.skipIf(!usingPostgres)('chaos on PostgreSQL (TEST_DATABASE_URL)', () => {
  let t: TestRuntime | undefined;
  let scratch: ScratchDatabase | undefined;
  afterAll(async () => {
    await t?.close();
    await scratch?.drop();
    await killLeftovers();
  });

  it(`${TOTAL} rows, parallelism 2, checkpoints every 500 ms, ${KILLS} kill -9s: each row exactly once`, async () => {
    t = await createTestRuntime({ node: false, heartbeatTimeoutMs: 1500 });
    const url = t.testDb.url!;
    // The rows go to a database of their own: jobgate's own one is never a Jdbc target.
    scratch = await createScratchDatabase();
    const workers = new Map<string, JobgateProcess>();
    let seq = 0;
    const startWorker = async () => {
      const name = `chaos-${seq++}`;
      const p = startJobgate(['node', '--database-url', url, '--slots', '1', '--name', name], nodeEnv);
      await p.waitFor(new RegExp(`jobgate node ${name} ready`));
      workers.set(name, p);
    };
    await startWorker();
    await startWorker();
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table chaos_rows (id bigint, name text, value double precision)`;
      await t.createJob({
        name: 'chaos',
        restartStrategy: { type: 'fixed-delay', attempts: 100, delayMs: 200 },
        pipeline: {
          env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 500 },
          source: [{ plugin_name: 'FakeSource', 'row.num': TOTAL / 2, 'rows.per.second': 4000, seed: 42 }],
          sink: [{ plugin_name: 'Jdbc', url: scratch.url, table: 'chaos_rows', batch_size: 500 }],
        },
      });
      const runId = await t.start('chaos');
      // Running on live workers: an assignment of a worker just killed still reads RUNNING until its
      // node is declared lost, and a worker starts faster than that.
      const runningOn = async () =>
        t!.database.db
          .select({ name: nodes.name, status: assignments.status })
          .from(assignments)
          .innerJoin(nodes, eq(nodes.id, assignments.nodeId))
          .where(eq(assignments.runId, runId));
      const allRunning = async () => {
        const rows = await runningOn();
        return rows.length === 2 && rows.every((a) => a.status === 'RUNNING' && workers.has(a.name));
      };
      for (let kill = 0; kill < KILLS; kill++) {
        await until(`the run to recover before kill ${kill + 1}`, allRunning);
        // Not synchronisation: the kill lands at a random moment of the run's life on purpose.
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
        const busy = await until('an assignment running on a live worker', async () => {
          const live = (await runningOn()).filter((a) => a.status === 'RUNNING' && workers.has(a.name));
          return live.length > 0 ? live : undefined;
        });
        const victim = busy[Math.floor(Math.random() * busy.length)]!.name;
        workers.get(victim)!.child.kill('SIGKILL');
        await workers.get(victim)!.exited;
        workers.delete(victim);
        await startWorker();
      }
      const rowCount = async () =>
        (await sql<{ n: number }[]>`select count(*)::int as n from chaos_rows`)[0]!.n;
      await until(`all ${TOTAL} rows`, async () => (await rowCount()) >= TOTAL, {
        timeoutMs: 120_000,
        intervalMs: 200,
        explain: async () => `only ${await rowCount()} arrived`,
      });
      // Anything extra (a row written twice) would be in the table once a checkpoint triggered after
      // all rows were in has completed: it completes only when every subtask's sink has flushed what it
      // held at its barrier. That is the fact to wait for before counting.
      const lastNumber = async () =>
        (
          await t!.database.db
            .select({ number: checkpoints.number })
            .from(checkpoints)
            .where(eq(checkpoints.runId, runId))
            .orderBy(desc(checkpoints.number))
            .limit(1)
        )[0]?.number ?? 0;
      const before = await lastNumber();
      await until('a checkpoint completed after all rows were in', async () => {
        const done = await t!.database.db
          .select({ number: checkpoints.number })
          .from(checkpoints)
          .where(
            and(
              eq(checkpoints.runId, runId),
              eq(checkpoints.status, 'COMPLETED'),
              gt(checkpoints.number, before),
            ),
          );
        return done.length > 0;
      });
      const [counts] =
        await sql`select count(*)::int as n, count(distinct id)::int as d, min(id)::int as lo, max(id)::int as hi from chaos_rows`;
      expect(counts).toEqual({ n: TOTAL, d: TOTAL, lo: 0, hi: TOTAL - 1 });

      const history = await t.database.db
        .select()
        .from(runStatusHistory)
        .where(eq(runStatusHistory.runId, runId))
        .orderBy(asc(runStatusHistory.id));
      const restarts = history.filter((h) => h.toStatus === 'RESTARTING');
      expect(restarts).toHaveLength(KILLS);
      for (const r of restarts) expect(r.cause).toMatch(/node chaos-\d+ was lost/);
      const res = await t.graphql({ contract: 'Run' }, { id: runId });
      expect(res.data!.run.status).toBe('RUNNING');
      expect(res.data!.run.checkpoints.nodes.some((c: any) => c.status === 'COMPLETED')).toBe(true);
      await t.graphql({ contract: 'CancelJob' }, { runId });
      await t.waitForRun(runId, ['CANCELED'], 10_000);
      for (const p of workers.values()) expect(await p.stop('SIGTERM')).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
if (!usingPostgres)
  it.skip('the chaos test is skipped: set TEST_DATABASE_URL to run node processes on PostgreSQL', () => {});
