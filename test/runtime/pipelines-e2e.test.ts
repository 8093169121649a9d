// Pipelines through the GraphQL API, run by a real in-process node: records really flow.
import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoints, events, jobs, runs } from '../../src/db/schema/index.ts';
import { checkpointPositions } from '../../src/runtime/checkpoints/ack-checkpoint.ts';
import { usingPostgres } from '../support/db.ts';
import { createScratchDatabase } from '../support/scratch-db.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

let t: TestRuntime;
const dir = mkdtempSync(join(tmpdir(), 'jobgate-pipe-'));
beforeAll(async () => {
  t = await createTestRuntime({ slots: 8, fileRoots: [dir] });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const runMetrics = async (runId: string) => {
  const res = await t.graphql(
    `query($id: ID!) { run(id: $id) { vertices { name metrics { name value } } } }`,
    { id: runId },
  );
  return Object.fromEntries(
    res.data!.run.vertices.map((v: any) => [
      v.name,
      Object.fromEntries(v.metrics.map((m: any) => [m.name, m.value])),
    ]),
  ) as Record<string, Record<string, number>>;
};

describe.skipIf(!usingPostgres)('FakeSource → Jdbc sink (needs TEST_DATABASE_URL)', () => {
  it('100,000 rows at parallelism 4 land exactly once and numRecordsOut says 100,000', async () => {
    // A database of its own: jobgate's own one is never a Jdbc target.
    const scratch = await createScratchDatabase();
    const url = scratch.url;
    await t.createJob({
      name: 'fake-to-pg',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 4 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 25_000, seed: 7, plugin_output: 'fake' }],
        sink: [{ plugin_name: 'Jdbc', url, table: 'fake_rows', plugin_input: 'fake', batch_size: 2000 }],
      },
    });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table fake_rows (id bigint, name text, value double precision)`;
      const runId = await t.start('fake-to-pg');
      const run = await t.waitForRun(runId, ['FINISHED', 'FAILED'], 60_000);
      expect(run.status).toBe('FINISHED');
      const [counts] =
        await sql`select count(*)::int as n, count(distinct id)::int as d, min(id)::int as lo, max(id)::int as hi from fake_rows`;
      expect(counts).toEqual({ n: 100_000, d: 100_000, lo: 0, hi: 99_999 });
      const res = await t.graphql(
        `query($id: ID!) { run(id: $id) { vertices { subtasks { node { name } } } } }`,
        { id: runId },
      );
      expect(res.data!.run.vertices[0].subtasks).toHaveLength(4);
      // A subtask's last metrics may land just after the run ends: wait for the sink's count to settle.
      const metrics = await until('the sink to count every row', async () => {
        const m = await runMetrics(runId);
        return m['sink-0']?.numRecordsOut === 100_000 && m;
      });
      expect(metrics.fake!.numRecordsOut).toBe(100_000);
      expect(metrics['sink-0']!.numRecordsOut).toBe(100_000);
      const runLevel = await t.database.execute<{ value: number }>(
        (await import('drizzle-orm'))
          .sql`select value from metrics_current where key = ${`run:${runId}`} and name = 'numRecordsOut'`,
      );
      expect(Number(runLevel[0]!.value)).toBe(100_000);
    } finally {
      await sql.end();
      await scratch.drop();
    }
  });

  it('every Jdbc commit holds exactly batch_size rows, though the executor reads 1,024 at a time', async () => {
    const scratch = await createScratchDatabase();
    await t.createJob({
      name: 'fake-to-pg-exact',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 2 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 10_500, seed: 3 }],
        sink: [{ plugin_name: 'Jdbc', url: scratch.url, table: 'exact_rows', batch_size: 1500 }],
      },
    });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      // Each commit is one statement, so the rows it wrote share one transaction id.
      await sql`create table exact_rows (id bigint, name text, value double precision,
        tx bigint default txid_current())`;
      const runId = await t.start('fake-to-pg-exact');
      expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'], 60_000)).status).toBe('FINISHED');
      const [counts] = await sql`select count(*)::int as n, count(distinct id)::int as d from exact_rows`;
      expect(counts).toEqual({ n: 21_000, d: 21_000 });
      const commits = await sql<{ n: number }[]>`select count(*)::int as n from exact_rows group by tx`;
      // 10,500 rows per subtask = 7 × 1,500: fourteen commits, each exactly batch_size.
      expect(commits.map((c) => c.n)).toEqual(Array.from({ length: 14 }, () => 1500));
      const marks = await sql`select position from jobgate_sink_offsets order by split`;
      expect(marks.map((m) => m.position)).toEqual([{ offset: 10_500 }, { offset: 10_500 }]);
    } finally {
      await sql.end();
      await scratch.drop();
    }
  });

  it('checkpoints of a Jdbc run record commit boundaries: no partial commit, each row once', async () => {
    const scratch = await createScratchDatabase();
    await t.createJob({
      name: 'fake-to-pg-checkpointed',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 2, 'checkpoint.interval': 300 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 3000, 'rows.per.second': 2000, seed: 5 }],
        sink: [{ plugin_name: 'Jdbc', url: scratch.url, table: 'ck_rows', batch_size: 250 }],
      },
    });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table ck_rows (id bigint, name text, value double precision,
        tx bigint default txid_current())`;
      const runId = await t.start('fake-to-pg-checkpointed');
      expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'], 60_000)).status).toBe('FINISHED');
      const [counts] = await sql`select count(*)::int as n, count(distinct id)::int as d from ck_rows`;
      expect(counts).toEqual({ n: 6000, d: 6000 });
      // Checkpoints came during the run, yet every commit holds exactly batch_size rows: a
      // checkpoint takes the newest commit's positions instead of flushing a partial batch (full
      // batches, every 125 ms, went out between any two checkpoints).
      const completed = await t.database.db
        .select({ id: events.checkpointId })
        .from(events)
        .where(and(eq(events.runId, runId), eq(events.type, 'checkpoint:completed')));
      expect(completed.length).toBeGreaterThanOrEqual(2);
      const commits = await sql<{ n: number }[]>`select count(*)::int as n from ck_rows group by tx`;
      expect(commits.map((c) => c.n)).toEqual(Array.from({ length: 24 }, () => 250));
      // The checkpoints still held (retention keeps the newest) each name a commit's positions.
      const held = await t.database.db
        .select({ id: checkpoints.id })
        .from(checkpoints)
        .where(and(eq(checkpoints.runId, runId), eq(checkpoints.status, 'COMPLETED')));
      expect(held.length).toBeGreaterThan(0);
      for (const { id } of held) {
        const splits = Object.values(await checkpointPositions(t.database, id));
        for (const position of splits.flatMap((s) => Object.values(s))) {
          expect(Number(position.offset) % 250).toBe(0);
        }
      }
    } finally {
      await sql.end();
      await scratch.drop();
    }
  });

  it("a slow checkpointed stream's rows land before a batch fills, each once", async () => {
    const scratch = await createScratchDatabase();
    await t.createJob({
      name: 'fake-to-pg-slow',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 1, 'checkpoint.interval': 200 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 100_000, 'rows.per.second': 50, seed: 7 }],
        sink: [{ plugin_name: 'Jdbc', url: scratch.url, table: 'slow_rows', batch_size: 10_000 }],
      },
    });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table slow_rows (id bigint, name text, value double precision)`;
      const runId = await t.start('fake-to-pg-slow');
      await t.waitForRun(runId, ['RUNNING']);
      // A full batch would take 200 s; checkpoints send what is buffered when nothing else went out.
      await until('rows in the table while the run goes on', async () => {
        const [r] = await sql<{ n: number }[]>`select count(*)::int as n from slow_rows`;
        return r!.n >= 20;
      });
      expect((await t.waitForRun(runId, ['RUNNING'])).status).toBe('RUNNING');
      await t.graphql({ contract: 'CancelJob' }, { runId });
      await t.waitForRun(runId, ['CANCELED']);
      const [counts] = await sql`select count(*)::int as n, count(distinct id)::int as d from slow_rows`;
      const [stored] = await sql`select coalesce(sum((position->>'offset')::int), 0)::int as n
        from jobgate_sink_offsets`;
      expect(counts).toEqual({ n: stored!.n, d: stored!.n });
    } finally {
      await sql.end();
      await scratch.drop();
    }
  });

  it('a Jdbc commit the target refuses fails the run, and no stored position passes the written rows', async () => {
    const scratch = await createScratchDatabase();
    await t.createJob({
      name: 'fake-to-pg-refused',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 1 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 10_000, seed: 3 }],
        sink: [{ plugin_name: 'Jdbc', url: scratch.url, table: 'refused_rows', batch_size: 1000 }],
      },
    });
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table refused_rows (id bigint check (id < 4500), name text, value double precision)`;
      const runId = await t.start('fake-to-pg-refused');
      expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'], 60_000)).status).toBe('FAILED');
      const res = await t.graphql({ contract: 'Run' }, { id: runId });
      expect(res.data!.run.exceptions[0].message).toMatch(
        /Jdbc sink could not write 1000 rows to "refused_rows": .*violates check constraint/,
      );
      expect(res.data!.run.exceptions[0].vertex).toBe('sink-0');
      // The commit of rows 4,000–4,999 was refused whole; the one before it stands with its position.
      const [counts] = await sql`select count(*)::int as n, max(id)::int as hi from refused_rows`;
      expect(counts).toEqual({ n: 4000, hi: 3999 });
      const marks = await sql`select position from jobgate_sink_offsets`;
      expect(marks.map((m) => m.position)).toEqual([{ offset: 4000 }]);
    } finally {
      await sql.end();
      await scratch.drop();
    }
  });
});
if (!usingPostgres) {
  it.skip('FakeSource → Jdbc sink is skipped: set TEST_DATABASE_URL to run it against PostgreSQL', () => {});
}

describe('pipelines on any database', () => {
  it('FakeSource → FieldMapper → LocalFile writes every row once per split', async () => {
    const out = join(dir, 'out');
    await t.createJob({
      name: 'fake-to-file',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 2 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 500, seed: 1 }],
        transform: [{ plugin_name: 'FieldMapper', field_mapper: { id: 'key', name: 'label' } }],
        sink: [{ plugin_name: 'LocalFile', path: out, file_format_type: 'json' }],
      },
    });
    const runId = await t.start('fake-to-file');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
    const rows = readdirSync(out).flatMap((f) =>
      readFileSync(join(out, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.key)).size).toBe(1000);
    expect(Object.keys(rows[0]).sort()).toEqual(['key', 'label']);
  });

  it('an Assert violation fails the run with the rule in the message', async () => {
    await t.createJob({
      name: 'assert-fails',
      pipeline: {
        env: { 'job.mode': 'BATCH' },
        source: [{ plugin_name: 'FakeSource', 'row.num': 10 }],
        sink: [{ plugin_name: 'Assert', rules: { row_rules: [{ rule_type: 'MIN_ROW', rule_value: 11 }] } }],
      },
    });
    const runId = await t.start('assert-fails');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FAILED');
    const res = await t.graphql({ contract: 'Run' }, { id: runId });
    expect(res.data!.run.exceptions[0].message).toMatch(/MIN_ROW/);
    expect(res.data!.run.exceptions[0].vertex).toBe('sink-0');
  });

  it('a STREAMING run keeps RUNNING until stopJob, then ends CANCELED; cancelJob ends another CANCELED', async () => {
    await t.createJob({
      name: 'stream-console',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'Console', 'log.print.data': false }],
      },
    });
    const runId = await t.start('stream-console');
    await t.waitForRun(runId, ['RUNNING']);
    // Records flowing for a while (two seconds' worth at its rate) and the run is still RUNNING.
    await until('4,000 records out of the source', async () => {
      const metrics = await runMetrics(runId);
      return (metrics['source-0']?.numRecordsOut ?? 0) >= 4_000;
    });
    const [still] = await t.database.db.select().from(runs).where(eq(runs.id, runId));
    expect(still!.status).toBe('RUNNING');
    const stop = await t.graphql({ contract: 'StopJob' }, { runId, withSavepoint: false });
    expect(stop.errors).toBeUndefined();
    expect((await t.waitForRun(runId, ['CANCELED', 'FINISHED', 'FAILED'], 10_000)).status).toBe('CANCELED');

    const second = await t.start('stream-console');
    await t.waitForRun(second, ['RUNNING']);
    await t.graphql({ contract: 'CancelJob' }, { runId: second });
    expect((await t.waitForRun(second, ['CANCELED'])).status).toBe('CANCELED');
    const read = await t.graphql({ contract: 'Run' }, { id: second });
    const statuses = read.data!.run.vertices.flatMap((v: any) => v.subtasks.map((s: any) => s.status));
    // Two vertices (source, sink) at parallelism 2: four subtasks, every one CANCELED.
    expect(statuses).toEqual(['CANCELED', 'CANCELED', 'CANCELED', 'CANCELED']);
  });

  it('stopJob with drain ends a streaming run FINISHED', async () => {
    const runId = await t.start('stream-console');
    await t.waitForRun(runId, ['RUNNING']);
    const res = await t.graphql(
      `mutation($id: ID!) { stopJob(input: { runId: $id, drain: true }) { run { status } } }`,
      { id: runId },
    );
    expect(res.errors).toBeUndefined();
    expect((await t.waitForRun(runId, ['CANCELED', 'FINISHED', 'FAILED'], 10_000)).status).toBe('FINISHED');
  });
});

describe('bad definitions get a precise error and store nothing', () => {
  const cases: [string, Record<string, unknown>, RegExp, string][] = [
    [
      'unknown plugin',
      { pipeline: { source: [{ plugin_name: 'NoSuchSource' }], sink: [{ plugin_name: 'Console' }] } },
      /unknown source plugin "NoSuchSource"/,
      'input.pipeline.source[0].plugin_name',
    ],
    [
      'bad option',
      {
        pipeline: {
          source: [{ plugin_name: 'FakeSource', 'row.num': -5 }],
          sink: [{ plugin_name: 'Console' }],
        },
      },
      /must be a positive integer/,
      'input.pipeline.source[0].row.num',
    ],
    [
      'missing option',
      {
        pipeline: {
          source: [{ plugin_name: 'FakeSource' }],
          sink: [{ plugin_name: 'Jdbc', url: 'postgresql://x/y' }],
        },
      },
      /is required/,
      'input.pipeline.sink[0].table',
    ],
    [
      'dangling input',
      {
        pipeline: {
          source: [{ plugin_name: 'FakeSource', plugin_output: 'a' }],
          sink: [{ plugin_name: 'Console', plugin_input: 'b' }],
        },
      },
      /no source or transform outputs the table "b"/,
      'input.pipeline.sink[0].plugin_input',
    ],
    [
      'cycle',
      {
        steps: [
          { name: 'x', command: 'true', dependsOn: ['y'] },
          { name: 'y', command: 'true', dependsOn: ['x'] },
        ],
      },
      /cycle: /,
      'input.steps',
    ],
    [
      'two definitions',
      { command: { command: 'true' }, steps: [{ name: 'a', command: 'true' }] },
      /exactly one of pipeline, command, steps, http or replication/,
      'input',
    ],
    [
      'bad schedule',
      { command: { command: 'true' }, schedule: '* * *' },
      /is not a schedule/,
      'input.schedule',
    ],
  ];
  for (const [what, input, message, path] of cases) {
    it(what, async () => {
      const before = (await t.database.db.select().from(jobs)).length;
      const res = await t.graphql(
        { contract: 'CreateJob' },
        { input: { name: `bad-${what.replace(/ /g, '-')}`, ...input } },
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toMatch(message);
      expect(String(res.errors![0]!.extensions!.inputPath)).toContain(path);
      expect((await t.database.db.select().from(jobs)).length).toBe(before);
    });
  }

  it('a duplicate name is a CONFLICT', async () => {
    await t.createJob({ name: 'twice', command: { command: 'true' } });
    const res = await t.graphql(
      { contract: 'CreateJob' },
      { input: { name: 'twice', command: { command: 'true' } } },
    );
    expect(res.errors![0]!.extensions!.code).toBe('CONFLICT');
  });
});
