// One failure event is one restart attempt: kill -9 of a node that runs three subtasks of a run
// (`jobgate node` processes on PostgreSQL) costs the run one attempt of its restart strategy, not
// three, and the run says which attempt it is on.
import { asc, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { assignments, nodes, runs, runStatusHistory } from '../../src/db/schema/index.ts';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const nodeEnv = { JOBGATE_HEARTBEAT_INTERVAL_MS: '300', JOBGATE_HEARTBEAT_TIMEOUT_MS: '1500' };

describe.skipIf(!usingPostgres)('restart budget on PostgreSQL (TEST_DATABASE_URL)', () => {
  let t: TestRuntime | undefined;
  const workers = new Map<string, JobgateProcess>();
  afterAll(async () => {
    for (const worker of workers.values()) worker.child.kill('SIGTERM');
    await Promise.all([...workers.values()].map((w) => w.exited));
    await t?.close();
    await killLeftovers();
  });

  it('a lost node with three subtasks of a run costs one attempt of three', async () => {
    t = await createTestRuntime({ node: false, heartbeatTimeoutMs: 1500 });
    const url = t.testDb.url!;
    const startWorker = async (name: string) => {
      const p = startJobgate(['node', '--database-url', url, '--slots', '3', '--name', name], nodeEnv);
      workers.set(name, p);
      await p.waitFor(new RegExp(`jobgate node ${name} ready`));
    };
    await Promise.all([startWorker('budget-a'), startWorker('budget-b')]);
    await t.createJob({
      name: 'budget',
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 200 },
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 6 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 10_000_000, 'rows.per.second': 100 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('budget');
    const placement = () =>
      t!.database.db
        .select({ status: assignments.status, node: nodes.name })
        .from(assignments)
        .leftJoin(nodes, eq(nodes.id, assignments.nodeId))
        .where(eq(assignments.runId, runId));
    const allRunning = async () => {
      const rows = await placement();
      return rows.length === 6 && rows.every((a) => a.status === 'RUNNING') ? rows : undefined;
    };
    const before = await until('six subtasks running on two nodes', allRunning);
    expect(before.filter((a) => a.node === 'budget-a')).toHaveLength(3);

    const victim = workers.get('budget-a')!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.delete('budget-a');
    await until('the lost subtasks to be waiting for a slot', async () => {
      const [run] = await t!.database.db.select().from(runs).where(eq(runs.id, runId));
      return run?.status === 'RESTARTING';
    });
    await startWorker('budget-c');
    await until('six subtasks running again', allRunning, { timeoutMs: 60_000 });

    const [run] = await t.database.db.select().from(runs).where(eq(runs.id, runId));
    expect(run!.attempt).toBe(1);
    const history = await t.database.db
      .select()
      .from(runStatusHistory)
      .where(eq(runStatusHistory.runId, runId))
      .orderBy(asc(runStatusHistory.id));
    const restarts = history.filter((h) => h.toStatus === 'RESTARTING');
    expect(restarts).toHaveLength(1);
    expect(restarts[0]!.cause).toMatch(/^restart 1 of 3 .*node budget-a was lost/);
    // Budget is left: the run is running, not failed.
    expect(run!.status).toBe('RUNNING');
  });
});
