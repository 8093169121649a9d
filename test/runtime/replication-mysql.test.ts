// MariaDB → MariaDB replication runs for real: the full stage copies the rows, the incremental
// stage applies what changes afterwards; stop and start resumes from the saved position without a
// new copy; deleteJob forgets it. Each test has its own databases (repl_<random>), dropped after.
import { and, eq, isNull } from 'drizzle-orm';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/db/schema/index.ts';
import { RunStatus, SubtaskStatus } from '../../src/lib/status.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import {
  createMysqlScratch,
  MYSQL,
  mysqlReachable,
  mysqlRows,
  type MysqlScratch,
} from '../support/replication-dbs.ts';
import { runLogs, runVertices } from '../support/replication-run.ts';
import { until } from '../support/wait.ts';

const mysqlUp = await mysqlReachable();
if (!mysqlUp) console.warn('replication-mysql tests SKIPPED: no MariaDB at 127.0.0.1:3306');

describe.skipIf(!mysqlUp)('MariaDB → MariaDB', () => {
  let t: TestRuntime;
  let src: MysqlScratch;
  let dst: MysqlScratch;
  beforeAll(async () => {
    t = await createTestRuntime();
    src = await createMysqlScratch();
    dst = await createMysqlScratch();
  });
  afterAll(async () => {
    await t?.close();
    await src?.drop();
    await dst?.drop();
  });

  const same = async () => {
    const [a, b] = [await mysqlRows(src.conn, 'orders'), await mysqlRows(dst.conn, 'orders')];
    return JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
  };
  const definition = () => ({
    source: { type: 'mysql', ...MYSQL },
    destination: { type: 'mysql', ...MYSQL },
    tables: [{ schema: src.name, table: 'orders' }],
    rename: [{ schema: src.name, toSchema: dst.name }],
  });

  it('copies, then applies inserts, updates and deletes; resumes without copying again; starts over after deleteJob', async () => {
    await src.conn.query(
      'CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(40) NOT NULL, amount DECIMAL(10,2), placed DATETIME(3))',
    );
    const values = Array.from({ length: 250 }, (_, i) => [
      i + 1,
      `item-${i + 1}`,
      `${i}.25`,
      '2026-01-02 03:04:05.678',
    ]);
    await src.conn.query('INSERT INTO orders VALUES ?', [values]);

    await t.createJob({ name: 'repl-my', replication: definition() });
    const run1 = await t.start('repl-my');
    await until(
      'the incremental stage',
      async () => (await runLogs(t, run1)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 60_000 },
    );
    const logs1 = await runLogs(t, run1);
    expect(logs1.some((l) => l.startsWith('job_stage_full'))).toBe(true);
    expect((await mysqlRows(dst.conn, 'orders')).length).toBe(250);
    const vertices = await runVertices(t, run1);
    expect(vertices.snapshot!.status).toBe(SubtaskStatus.FINISHED);
    expect(vertices.changes!.status).toBe(SubtaskStatus.RUNNING);
    expect(vertices.apply!.status).toBe(SubtaskStatus.RUNNING);

    await src.conn.query(
      "INSERT INTO orders VALUES (1001, 'new', '9.99', NULL), (1002, 'newer', NULL, '2026-03-04 05:06:07.000')",
    );
    await src.conn.query("UPDATE orders SET item = 'changed', amount = amount + 1 WHERE id <= 10");
    await src.conn.query('UPDATE orders SET id = 2000 WHERE id = 11'); // a key change
    await src.conn.query('DELETE FROM orders WHERE id BETWEEN 20 AND 29');
    await src.conn.beginTransaction();
    await src.conn.query("INSERT INTO orders VALUES (1003, 'in-tx', '1.00', NULL)");
    await src.conn.query('DELETE FROM orders WHERE id = 1003');
    await src.conn.commit();
    const rows = await until('the destination to equal the source', same, { timeoutMs: 60_000 });
    expect(rows.length).toBe(250 + 2 - 10);
    await until('the metrics', async () => {
      const v = await runVertices(t, run1);
      return (
        v.snapshot!.metrics.rowsCopied === 250 &&
        (v.apply!.metrics.changesApplied ?? 0) >= 2 + 10 + 1 + 10 + 2
      );
    });

    // Stop; changes made meanwhile arrive with the next run, which does not copy again.
    const stopped = await t.graphql({ contract: 'StopJob' }, { runId: run1, withSavepoint: false });
    expect(stopped.errors).toBeUndefined();
    await t.waitForRun(run1, [RunStatus.FINISHED, RunStatus.CANCELED]);
    await src.conn.query("INSERT INTO orders VALUES (3000, 'while stopped', '3.00', NULL)");
    await src.conn.query('DELETE FROM orders WHERE id = 1');
    const run2 = await t.start('repl-my');
    await until('the second run to catch up', same, { timeoutMs: 60_000 });
    // Log lines are written in batches, after the changes they describe: wait for the line.
    let logs2: string[] = [];
    await until("the resume line in the second run's log", async () => {
      logs2 = await runLogs(t, run2);
      return logs2.some((l) => l.startsWith('resuming from the saved position'));
    });
    expect(logs2.some((l) => l.startsWith('job_stage_full'))).toBe(false);
    await t.graphql({ contract: 'CancelJob' }, { runId: run2 });
    await t.waitForRun(run2, [RunStatus.CANCELED, RunStatus.FINISHED]);

    // deleteJob forgets: a new job of the same name copies again.
    const deleted = await t.graphql(`mutation { deleteJob(name: "repl-my") { job { name } } }`);
    expect(deleted.errors).toBeUndefined();
    await t.createJob({ name: 'repl-my', replication: definition() });
    const run3 = await t.start('repl-my');
    await until(
      'a new full stage',
      async () => (await runLogs(t, run3)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 60_000 },
    );
    expect((await runLogs(t, run3)).some((l) => l.startsWith('job_stage_full'))).toBe(true);
    await until(
      'rows copied again',
      async () => (await runVertices(t, run3)).snapshot!.metrics.rowsCopied === rows.length,
    );
    await t.graphql({ contract: 'CancelJob' }, { runId: run3 });
    await t.waitForRun(run3, [RunStatus.CANCELED, RunStatus.FINISHED]);

    // Deleting the job forgets its position at the destination (positive control: it is there now).
    const [job] = await t.database.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.name, 'repl-my'), isNull(jobs.deletedAt)));
    const saved = async () => {
      const [r] = await dst.conn.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM jobgate_replication.positions WHERE job_id = ?',
        [job!.id],
      );
      return Number(r[0]!.n);
    };
    expect(await saved()).toBe(1);
    expect(
      (await t.graphql(`mutation { deleteJob(name: "repl-my") { job { name } } }`)).errors,
    ).toBeUndefined();
    expect(await saved()).toBe(0);
  }, 240_000);
});
