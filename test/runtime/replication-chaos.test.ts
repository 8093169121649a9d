// kill -9 of the `jobgate node` process applying a MariaDB → MariaDB replication, during the
// incremental stage, while the source keeps inserting: after recovery the destination equals the
// source and no change was applied twice. A trigger at the destination counts every time a row is
// written over (an insert applied a second time becomes an update there); the source only inserts.
import { eq } from 'drizzle-orm';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { assignments, nodes } from '../../src/db/schema/index.ts';
import { SubtaskStatus } from '../../src/lib/status.ts';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import {
  createMysqlScratch,
  MYSQL,
  mysqlReachable,
  mysqlRows,
  type MysqlScratch,
} from '../support/replication-dbs.ts';
import { runLogs } from '../support/replication-run.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const mysqlUp = await mysqlReachable();
if (!usingPostgres)
  console.warn('replication-chaos SKIPPED: needs TEST_DATABASE_URL (nodes are separate processes)');
else if (!mysqlUp) console.warn('replication-chaos SKIPPED: no MariaDB at 127.0.0.1:3306');

const KILLS = 2;
const nodeEnv = { JOBGATE_HEARTBEAT_INTERVAL_MS: '300', JOBGATE_HEARTBEAT_TIMEOUT_MS: '1500' };

describe.skipIf(!usingPostgres || !mysqlUp)('replication under kill -9', () => {
  let t: TestRuntime | undefined;
  let src: MysqlScratch | undefined;
  let dst: MysqlScratch | undefined;
  afterAll(async () => {
    if (t)
      await t.graphql(`mutation { deleteJob(name: "repl-chaos") { job { name } } }`).catch(() => undefined);
    await t?.close();
    await killLeftovers();
    await src?.drop();
    await dst?.drop();
  });

  it(`${KILLS} kill -9s of the applying node: the destination equals the source, nothing applied twice`, async () => {
    t = await createTestRuntime({ node: false, heartbeatTimeoutMs: 1500 });
    src = await createMysqlScratch();
    dst = await createMysqlScratch();
    const workers = new Map<string, JobgateProcess>();
    let seq = 0;
    const startWorker = async () => {
      const name = `repl-chaos-${seq++}`;
      const p = startJobgate(
        ['node', '--database-url', t!.testDb.url!, '--slots', '1', '--name', name],
        nodeEnv,
      );
      await p.waitFor(new RegExp(`jobgate node ${name} ready`));
      workers.set(name, p);
    };
    await startWorker();
    await startWorker();

    const ddl = 'CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(40) NOT NULL, amount DECIMAL(10,2))';
    await src.conn.query(ddl);
    await dst.conn.query(ddl);
    await dst.conn.query('CREATE TABLE rewrites (n INT NOT NULL)');
    await dst.conn.query('INSERT INTO rewrites VALUES (0)');
    await dst.conn.query(
      'CREATE TRIGGER count_rewrites BEFORE UPDATE ON orders FOR EACH ROW UPDATE rewrites SET n = n + 1',
    );
    const rewrites = async () => {
      const [r] = await dst!.conn.query<RowDataPacket[]>('SELECT n FROM rewrites');
      return Number(r[0]!.n);
    };
    await src.conn.query('INSERT INTO orders VALUES ?', [
      Array.from({ length: 100 }, (_, i) => [i + 1, `seed-${i}`, '1.00']),
    ]);

    await t.createJob({
      name: 'repl-chaos',
      restartStrategy: { type: 'fixed-delay', attempts: 50, delayMs: 200 },
      replication: {
        source: { type: 'mysql', ...MYSQL },
        destination: { type: 'mysql', ...MYSQL },
        tables: [{ schema: src.name, table: 'orders' }],
        rename: [{ schema: src.name, toSchema: dst.name }],
      },
    });
    const runId = await t.start('repl-chaos');
    await until(
      'the incremental stage',
      async () => (await runLogs(t!, runId)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 120_000 },
    );
    // The full stage wrote over nothing: the destination's table was empty.
    expect(await rewrites()).toBe(0);

    // The source inserts in small transactions for as long as the kills go on.
    let writing = true;
    let next = 1000;
    const writer = (async () => {
      while (writing) {
        const rows = Array.from({ length: 5 }, () => [next, `item-${next++}`, '2.50']);
        await src!.conn.query('INSERT INTO orders VALUES ?', [rows]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        await until(
          `the replication to run before kill ${kill + 1}`,
          async () => {
            const [a] = await t!.database.db.select().from(assignments).where(eq(assignments.runId, runId));
            return a?.status === SubtaskStatus.RUNNING && a.nodeId ? a : undefined;
          },
          { timeoutMs: 120_000 },
        );
        const before = next;
        // Changes flowing (not a time: a fact) before the kill lands.
        await until(
          'changes to arrive',
          async () => (await mysqlRows(dst!.conn, 'orders')).some((r) => Number(r.id) >= before - 5),
          { timeoutMs: 60_000 },
        );
        const [busy] = await t.database.db
          .select({ name: nodes.name })
          .from(assignments)
          .innerJoin(nodes, eq(nodes.id, assignments.nodeId))
          .where(eq(assignments.runId, runId));
        const victim = workers.get(busy!.name)!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        workers.delete(busy!.name);
        await startWorker();
      }
    } finally {
      writing = false;
      await writer;
    }
    const same = async () =>
      JSON.stringify(await mysqlRows(src!.conn, 'orders')) ===
      JSON.stringify(await mysqlRows(dst!.conn, 'orders'));
    await until('the destination to equal the source after recovery', same, {
      timeoutMs: 120_000,
      explain: async () =>
        `source ${(await mysqlRows(src!.conn, 'orders')).length} rows, destination ${(await mysqlRows(dst!.conn, 'orders')).length}`,
    });
    expect(await rewrites()).toBe(0);
    // Positive control: writing a row over does count.
    await dst.conn.query("UPDATE orders SET item = 'touched' WHERE id = 1");
    expect(await rewrites()).toBe(1);
  }, 600_000);
});
