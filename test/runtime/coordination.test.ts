// Leadership and failure edges: a failed savepoint leaves the run running; on PostgreSQL a second
// coordinator takes over when the leader's session dies.
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { silentLogger } from '../support/app.ts';
import { usingPostgres } from '../support/db.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { testSecrets } from '../support/secrets.ts';
import { until } from '../support/wait.ts';

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
});

it('a savepoint that times out fails with the reason, and the run keeps running', async () => {
  const t = await createTestRuntime({ checkpointTimeoutMs: 300 });
  opened.push(t);
  await t.createJob({
    name: 'slow-barrier',
    pipeline: {
      env: { 'job.mode': 'STREAMING' },
      source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000 }],
      // each batch takes 60 s, so the barrier cannot be reached before the 300 ms timeout is seen,
      // however late a busy machine runs the coordinator's expiry (the cancel at the end cuts it short)
      sink: [{ plugin_name: 'Console', 'log.print.data': false, 'log.print.delay.ms': 60_000 }],
    },
  });
  const runId = await t.start('slow-barrier');
  await t.waitForAllRunning(runId);
  const res = await t.graphql({ contract: 'TriggerSavepoint' }, { runId, requestId: 'too-slow' });
  expect(res.errors).toBeUndefined();
  const savepoint = res.data!.triggerSavepoint.savepoint;
  expect(savepoint.status).toBe('FAILED');
  const why = await t.graphql(
    `query($id: ID!) { run(id: $id) { status checkpoints(first: 5) { nodes { id failureReason } } } }`,
    {
      id: runId,
    },
  );
  expect(why.data!.run.status).toBe('RUNNING');
  expect(why.data!.run.checkpoints.nodes.find((c: any) => c.id === savepoint.id).failureReason).toMatch(
    /timed out after 300 ms: 0 of 1 subtasks acknowledged/,
  );
  const stop = await t.graphql({ contract: 'StopJob' }, { runId, withSavepoint: true });
  expect(stop.errors![0]!.extensions!.code).toBe('CONFLICT');
  expect(stop.errors![0]!.message).toMatch(/did not complete \(FAILED: timed out.*\); the run keeps running/);
  expect((await t.waitForRun(runId, ['RUNNING'])).status).toBe('RUNNING');
  await t.graphql({ contract: 'CancelJob' }, { runId });
  await t.waitForRun(runId, ['CANCELED'], 30_000);
});

describe.skipIf(!usingPostgres)('coordinator leadership on PostgreSQL (TEST_DATABASE_URL)', () => {
  it('one coordinator leads; when its session dies one leads with the next term and places work', async () => {
    const t: TestRuntime = await createTestRuntime({ node: false });
    opened.push(t);
    const start = (): Promise<Runtime> =>
      startRuntime({
        database: t.database,
        logger: silentLogger,
        cluster: 'default',
        coordinator: true,
        node: { slots: 1, tags: {}, name: `n-${Math.random().toString(36).slice(2, 6)}` },
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 3000,
        commandsEnabled: true,
        commandEnv: safeBaseEnv(process.env),
        secrets: testSecrets,
        pollMs: 50,
      });
    const other = await start();
    opened.push({ close: () => other.stop() });
    const coordinators = [t.runtime.coordinator!, other.coordinator!];
    expect(coordinators.map((c) => c.isLeader())).toEqual([true, false]);
    const term = t.runtime.coordinator!.term()!;
    // Kill the leader's lock session from the server side, as if its process had died.
    await t.database.execute(sql`
      select pg_terminate_backend(pid) from pg_locks
      where locktype = 'advisory' and granted and pid <> pg_backend_pid()
        and database = (select oid from pg_database where datname = current_database())`);
    // The first stops leading at once; either may then win the lock (the first tries again at its
    // next tick, as a restarted process would), so the fact is a leader with the next term.
    await until('a coordinator to lead with the next term', () =>
      coordinators.find((c) => c.isLeader() && c.term() === term + 1),
    );
    expect(coordinators.filter((c) => c.isLeader())).toHaveLength(1);
    await t.createJob({ name: 'after-failover', command: { command: 'echo placed' } });
    const runId = await t.start('after-failover');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
  });
});
