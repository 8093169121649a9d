// PostgreSQL → PostgreSQL and MariaDB → PostgreSQL replication for real: the full stage copies the
// rows (creating the tables), the incremental stage applies what changes afterwards, until the
// destination equals the source row for row. Each side is a scratch database of its own; the job's
// slot and publication are dropped by deleteJob (checked), and by the cleanup whatever happens.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStatus, SubtaskStatus } from '../../src/lib/status.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { createMysqlScratch, MYSQL, mysqlReachable, type MysqlScratch } from '../support/replication-dbs.ts';
import { runLogs, runVertices } from '../support/replication-run.ts';
import {
  createScratchDatabase,
  scratchServerReachable,
  scratchServerUrl,
  type ScratchDatabase,
} from '../support/scratch-db.ts';
import { until } from '../support/wait.ts';

const pgUp = await scratchServerReachable();
const mysqlUp = await mysqlReachable();
if (!pgUp)
  console.warn(
    `replication-postgres tests SKIPPED: no PostgreSQL at ${scratchServerUrl} (set TEST_DATABASE_URL)`,
  );
if (pgUp && !mysqlUp)
  console.warn('replication-postgres MariaDB → PostgreSQL SKIPPED: no MariaDB at 127.0.0.1:3306');

function endpointOf(db: ScratchDatabase) {
  const u = new URL(db.url);
  return {
    type: 'postgres',
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || 'postgres',
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    database: db.name,
  };
}

async function rowsOf(sql: postgres.Sql, table: string) {
  // Ordered by the column (not its text); times printed as MariaDB prints a DATETIME(3).
  const rows = await sql.unsafe(
    `select id::text, item, amount::text, to_char(placed, 'YYYY-MM-DD HH24:MI:SS.MS') as placed from ${table} order by id + 0`,
  );
  return JSON.stringify(rows.map((r) => ({ ...r })));
}

/** Drops the slots left in a scratch database (a leaked slot keeps WAL forever), then the database. */
async function dropWithSlots(db: ScratchDatabase | undefined) {
  if (!db) return;
  const admin = postgres(scratchServerUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = ${db.name} and not active`;
  } finally {
    await admin.end();
  }
  await db.drop();
}

describe.skipIf(!pgUp)('into PostgreSQL', () => {
  let t: TestRuntime;
  let srcDb: ScratchDatabase;
  let dstDb: ScratchDatabase;
  let src: postgres.Sql;
  let dst: postgres.Sql;
  beforeAll(async () => {
    t = await createTestRuntime();
    srcDb = await createScratchDatabase();
    dstDb = await createScratchDatabase();
    src = postgres(srcDb.url, { max: 1, onnotice: () => {} });
    dst = postgres(dstDb.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await t?.close();
    await src?.end();
    await dst?.end();
    await dropWithSlots(srcDb);
    await dropWithSlots(dstDb);
  });

  it('PostgreSQL → PostgreSQL: copies, applies inserts, updates and deletes, resumes, and deleteJob drops the slot', async () => {
    await src.unsafe('create schema shop');
    await src.unsafe(
      'create table shop.orders (id int primary key, item text not null, amount numeric(10,2), placed timestamp(3))',
    );
    await src.unsafe(
      `insert into shop.orders select g, 'item-' || g, g + 0.25, '2026-01-02 03:04:05.678' from generate_series(1, 300) g`,
    );
    await t.createJob({
      name: 'repl-pg',
      replication: {
        source: endpointOf(srcDb),
        destination: endpointOf(dstDb),
        tables: [{ schema: 'shop' }],
      },
    });
    const run1 = await t.start('repl-pg');
    await until(
      'the incremental stage',
      async () => (await runLogs(t, run1)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 60_000 },
    );
    expect(JSON.parse(await rowsOf(dst, 'shop.orders')).length).toBe(300);
    const v = await runVertices(t, run1);
    expect(v.snapshot!.status).toBe(SubtaskStatus.FINISHED);
    expect(v.apply!.status).toBe(SubtaskStatus.RUNNING);

    await src.unsafe(`insert into shop.orders values (1001, 'new', 9.99, null)`);
    await src.unsafe(`update shop.orders set item = 'changed', amount = amount + 1 where id <= 10`);
    await src.unsafe('update shop.orders set id = 2000 where id = 11');
    await src.unsafe('delete from shop.orders where id between 20 and 29');
    await src.begin(async (tx) => {
      await tx.unsafe(`insert into shop.orders values (1003, 'in-tx', 1, null)`);
      await tx.unsafe('delete from shop.orders where id = 1003');
    });
    const same = async () => (await rowsOf(src, 'shop.orders')) === (await rowsOf(dst, 'shop.orders'));
    await until('the destination to equal the source', same, { timeoutMs: 60_000 });
    await until('the lag and applied metrics', async () => {
      const m = (await runVertices(t, run1)).apply!.metrics;
      return (m.changesApplied ?? 0) >= 1 + 10 + 1 + 10 + 2 && m.lagMs !== undefined;
    });

    await t.graphql({ contract: 'StopJob' }, { runId: run1, withSavepoint: false });
    await t.waitForRun(run1, [RunStatus.FINISHED, RunStatus.CANCELED]);
    await src.unsafe(`insert into shop.orders values (3000, 'while stopped', 3, null)`);
    const run2 = await t.start('repl-pg');
    await until('the second run to catch up', same, { timeoutMs: 60_000 });
    expect((await runLogs(t, run2)).some((l) => l.startsWith('job_stage_full'))).toBe(false);
    await t.graphql({ contract: 'CancelJob' }, { runId: run2 });
    await t.waitForRun(run2, [RunStatus.CANCELED, RunStatus.FINISHED]);

    const slots = async () =>
      Number(
        (await src`select count(*)::int as n from pg_replication_slots where database = ${srcDb.name}`)[0]!.n,
      );
    expect(await slots()).toBe(1);
    expect(
      (await t.graphql(`mutation { deleteJob(name: "repl-pg") { job { name } } }`)).errors,
    ).toBeUndefined();
    await until('the slot to be dropped', async () => (await slots()) === 0);
    expect((await src`select count(*)::int as n from pg_publication`)[0]!.n).toBe(0);
  }, 240_000);

  it('an UPDATE that leaves a big (TOASTed) value alone keeps it at the destination', async () => {
    await src.unsafe('create schema toast');
    await src.unsafe('create table toast.docs (id int primary key, note text, body text)');
    // Stored out of line, uncompressed: pgoutput then sends it as "unchanged" when not updated.
    await src.unsafe('alter table toast.docs alter column body set storage external');
    const big = `(select string_agg(md5(random()::text), '') from generate_series(1, 1000))`; // 32 KB
    await src.unsafe(`insert into toast.docs values (1, 'first', ${big}), (2, 'second', ${big})`);
    await t.createJob({
      name: 'repl-toast',
      replication: {
        source: endpointOf(srcDb),
        destination: endpointOf(dstDb),
        tables: [{ schema: 'toast' }],
      },
    });
    const run = await t.start('repl-toast');
    await until(
      'the incremental stage',
      async () => (await runLogs(t, run)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 60_000 },
    );
    const docs = async (sql: postgres.Sql) =>
      JSON.stringify(
        (
          await sql.unsafe(
            'select id, note, md5(body) as body, length(body) as size from toast.docs order by id',
          )
        ).map((r) => ({ ...r })),
      );
    await src.unsafe(`update toast.docs set note = 'changed' where id = 1`);
    // Two images of one key in one transaction: the body set by the first, the note by the second.
    await src.begin(async (tx) => {
      await tx.unsafe(`update toast.docs set body = ${big} where id = 2`);
      await tx.unsafe(`update toast.docs set note = 'changed too' where id = 2`);
    });
    const explain = async () => `source ${await docs(src)}, destination ${await docs(dst)}`;
    await until('both notes at the destination', async () => (await docs(dst)).includes('changed too'), {
      timeoutMs: 60_000,
      explain,
    });
    expect(await docs(dst)).toBe(await docs(src));
    expect(JSON.parse(await docs(dst))[0].size).toBe(32_000);
    await t.graphql({ contract: 'CancelJob' }, { runId: run });
    await t.waitForRun(run, [RunStatus.CANCELED, RunStatus.FINISHED]);
    expect(
      (await t.graphql(`mutation { deleteJob(name: "repl-toast") { job { name } } }`)).errors,
    ).toBeUndefined();
  }, 240_000);

  it("traffic on the source's other tables moves the slot's confirmed position while ours stay quiet", async () => {
    await src.unsafe('create schema quiet');
    await src.unsafe('create table quiet.ours (id int primary key)');
    await src.unsafe('create table public.busy (id serial primary key, v text)');
    await t.createJob({
      name: 'repl-quiet',
      replication: {
        source: endpointOf(srcDb),
        destination: endpointOf(dstDb),
        tables: [{ schema: 'quiet' }],
      },
    });
    const run = await t.start('repl-quiet');
    await until(
      'the incremental stage',
      async () => (await runLogs(t, run)).some((l) => l.startsWith('job_stage_incr')),
      { timeoutMs: 60_000 },
    );
    const confirmed = async () =>
      (
        await src`select confirmed_flush_lsn::text as lsn from pg_replication_slots
                   where database = ${srcDb.name} and slot_name in
                     (select pubname from pg_publication_tables where schemaname = 'quiet')`
      )[0]!.lsn as string;
    await src.unsafe(`insert into public.busy (v) select repeat('x', 100) from generate_series(1, 1000)`);
    const { written } = (await src`select pg_current_wal_lsn()::text as written`)[0]!;
    await until(
      "the confirmed position to pass the other table's writes",
      async () => (await src`select ${await confirmed()}::pg_lsn >= ${written}::pg_lsn as ok`)[0]!.ok,
      { timeoutMs: 90_000, explain: async () => `confirmed ${await confirmed()}, written up to ${written}` },
    );
    // Ours still arrive after that.
    await src.unsafe('insert into quiet.ours values (1)');
    await until(
      'our row at the destination',
      async () => (await dst`select 1 from quiet.ours where id = 1`).length === 1,
      {
        timeoutMs: 60_000,
      },
    );
    await t.graphql({ contract: 'CancelJob' }, { runId: run });
    await t.waitForRun(run, [RunStatus.CANCELED, RunStatus.FINISHED]);
    expect(
      (await t.graphql(`mutation { deleteJob(name: "repl-quiet") { job { name } } }`)).errors,
    ).toBeUndefined();
  }, 240_000);

  describe.skipIf(!mysqlUp)('from MariaDB', () => {
    let my: MysqlScratch;
    beforeAll(async () => {
      my = await createMysqlScratch();
    });
    afterAll(async () => {
      await my?.drop();
    });

    it('MariaDB → PostgreSQL: the table is created with mapped types and kept equal', async () => {
      await my.conn.query(
        'CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(40) NOT NULL, amount DECIMAL(10,2), placed DATETIME(3))',
      );
      const values = Array.from({ length: 120 }, (_, i) => [
        i + 1,
        `item-${i + 1}`,
        `${i}.25`,
        '2026-01-02 03:04:05.678',
      ]);
      await my.conn.query('INSERT INTO orders VALUES ?', [values]);
      await t.createJob({
        name: 'repl-mixed',
        replication: {
          source: { type: 'mysql', ...MYSQL },
          destination: endpointOf(dstDb),
          tables: [{ schema: my.name, table: 'orders' }],
          rename: [{ schema: my.name, toSchema: 'mixed' }],
        },
      });
      const run = await t.start('repl-mixed');
      const mysqlSide = async () => {
        const [rows] = await my.conn.query('SELECT id, item, amount, placed FROM orders ORDER BY id');
        return JSON.stringify(
          (rows as Record<string, unknown>[]).map((r) => ({
            id: String(r.id),
            item: r.item,
            amount: r.amount === null ? null : String(r.amount),
            placed: r.placed === null ? null : String(r.placed),
          })),
        );
      };
      const same = async () => (await mysqlSide()) === (await rowsOf(dst, 'mixed.orders'));
      await until('the full stage', same, { timeoutMs: 60_000 });
      await until(
        'the incremental stage',
        async () => (await runLogs(t, run)).some((l) => l.startsWith('job_stage_incr')),
        { timeoutMs: 60_000 },
      );
      await my.conn.query("INSERT INTO orders VALUES (500, 'new', '5.50', '2026-05-05 05:05:05.500')");
      await my.conn.query("UPDATE orders SET item = 'changed' WHERE id < 5");
      await my.conn.query('DELETE FROM orders WHERE id > 100 AND id < 110');
      const explain = async () =>
        `${(await mysqlSide()).slice(-400)} vs ${(await rowsOf(dst, 'mixed.orders')).slice(-400)}; ${JSON.stringify((await runLogs(t, run)).slice(-3))}`;
      await until('the destination to equal the source', same, { timeoutMs: 60_000, explain });
      await t.graphql({ contract: 'CancelJob' }, { runId: run });
      await t.waitForRun(run, [RunStatus.CANCELED, RunStatus.FINISHED]);
      expect(
        (await t.graphql(`mutation { deleteJob(name: "repl-mixed") { job { name } } }`)).errors,
      ).toBeUndefined();
    }, 240_000);
  });
});
