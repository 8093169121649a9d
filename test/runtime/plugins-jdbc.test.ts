// Jdbc source and sink against a real PostgreSQL: TEST_DATABASE_URL, or the local server. Each run
// creates its own database and drops it at the end.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { jdbcSink } from '../../src/runtime/plugins/jdbc-sink.ts';
import { jdbcSource } from '../../src/runtime/plugins/jdbc-source.ts';
import { fakeSource } from '../../src/runtime/plugins/fake-source.ts';
import type {
  ConnectionAccess,
  Row,
  SinkWriter,
  SourceReader,
  SplitPosition,
} from '../../src/runtime/plugins/types.ts';
import {
  createScratchDatabase,
  scratchServerReachable,
  scratchServerUrl,
  type ScratchDatabase,
} from '../support/scratch-db.ts';
import { IDENTITY_QUERY } from '../../src/runtime/connections/database-identity.ts';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { until } from '../support/wait.ts';

const logger = pino({ level: 'silent' });

const reachable = await scratchServerReachable();
if (!reachable)
  console.warn(`plugins-jdbc tests SKIPPED: no PostgreSQL at ${scratchServerUrl} (set TEST_DATABASE_URL)`);

let scratch: ScratchDatabase;
let url = '';
let sql: postgres.Sql;

function base(subtaskIndex = 0, parallelism = 1, commitKey = 'job-1/sink') {
  return {
    vertex: 'jdbc',
    subtaskIndex,
    parallelism,
    commitKey,
    logger,
    signal: new AbortController().signal,
  };
}

async function openSource(
  options: Record<string, unknown>,
  at: {
    subtaskIndex?: number;
    parallelism?: number;
    restore?: Record<number, SplitPosition>;
    bounded?: boolean;
  } = {},
): Promise<SourceReader> {
  jdbcSource.validate(options);
  const parallelism = at.parallelism ?? 1;
  return jdbcSource.open(options, {
    ...base(at.subtaskIndex, parallelism),
    splitCount: await jdbcSource.splitCount(options, parallelism),
    restore: at.restore,
    bounded: at.bounded ?? true,
  });
}

async function readAll(reader: SourceReader, batch: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (;;) {
    const r = await reader.read(batch);
    if (r.kind !== 'rows') return rows;
    rows.push(...r.rows);
  }
}

async function fakeReader(rowNum: number, restore?: Record<number, SplitPosition>): Promise<SourceReader> {
  return fakeSource.open(
    { 'row.num': rowNum, seed: 11 },
    { ...base(), splitCount: 1, bounded: true, restore },
  );
}

describe.skipIf(!reachable)('Jdbc plugins on PostgreSQL', () => {
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    url = scratch.url;
    sql = postgres(url, { max: 2, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await scratch?.drop();
  });

  describe('sink', () => {
    it('inserts in batches and stores positions only with the rows they cover', async () => {
      await sql`create table fake_rows (id bigint primary key, name text, value double precision)`;
      const options = {
        url: `jdbc:${url.replace(/^postgres:/, 'postgresql:')}`,
        table: 'fake_rows',
        batch_size: 100,
      };
      jdbcSink.validate(options);
      const writer = await jdbcSink.open(options, base());
      const source = await fakeReader(1000);
      const count = async () => Number((await sql`select count(*)::int as n from fake_rows`)[0]?.n);
      const stored = async () => writer.committedPositions!();

      const write = async (n: number) => {
        const r = await source.read(n);
        if (r.kind !== 'rows') throw new Error('source ended');
        await writer.write(r.rows, source.positions());
      };
      await write(30); // buffered
      expect(await count()).toBe(0);
      expect(await stored()).toEqual({});
      // The executor would read only 70 more; a caller that overshoots gets the whole buffer committed,
      // since the position inside a write is not known.
      expect(writer.rowsUntilCommit!()).toBe(70);
      await write(80); // 110 >= batch_size: the whole buffer goes out with offset 110, in flight
      await until('the 110 rows', async () => (await count()) === 110);
      expect(await stored()).toEqual({ 0: { offset: 110 } });
      expect(writer.rowsUntilCommit!()).toBe(100);
      await write(5); // buffered again: the stored position must not move
      expect(await count()).toBe(110);
      expect(await stored()).toEqual({ 0: { offset: 110 } });
      await writer.flush(source.positions());
      expect(await count()).toBe(115);
      expect(await stored()).toEqual({ 0: { offset: 115 } });

      const marks = await sql`select commit_key, split, position, committed_at from jobgate_sink_offsets`;
      expect(marks).toHaveLength(1);
      expect(marks[0]).toMatchObject({ commit_key: 'job-1/sink', split: 0, position: { offset: 115 } });
      await writer.close();

      // Another sink vertex has its own marks.
      const other = await jdbcSink.open(options, base(0, 1, 'job-2/sink'));
      expect(await other.committedPositions!()).toEqual({});
      await other.close();
    });

    it('gives exactly-once results across a crash and a restore from the commit marks', async () => {
      await sql`create table once (id bigint, name text, value double precision)`;
      const options = { url, table: 'public.once', batch_size: 64 };
      const key = 'job-once/sink';
      const run = async (crashAfter: number | undefined) => {
        const writer: SinkWriter = await jdbcSink.open(options, base(0, 1, key));
        const restore = await writer.committedPositions!();
        const source = await fakeReader(1000, restore);
        let batches = 0;
        for (;;) {
          const r = await source.read(50);
          if (r.kind !== 'rows') break;
          await writer.write(r.rows, source.positions());
          if (++batches === crashAfter) {
            await writer.close(); // dies with up to 63 rows buffered, never flushed
            return;
          }
        }
        await writer.flush(source.positions());
        await writer.close();
      };
      // Batches of 50 against batch_size 64: the buffer goes out after every second batch, so after 7
      // batches 300 rows are in the table with position 300 and 50 rows die in the buffer.
      await run(7);
      expect(Number((await sql`select count(*)::int as n from once`)[0]?.n)).toBe(300);
      expect(await sql`select position from jobgate_sink_offsets where commit_key = 'job-once/sink'`).toEqual(
        [{ position: { offset: 300 } }],
      );
      await run(undefined);
      const ids = await sql`select id from once order by id`;
      expect(ids.map((r) => Number(r.id))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });

    it('commits exactly batch_size rows per statement when the caller reads what rowsUntilCommit says', async () => {
      // Each commit is one autocommitted statement, so its rows share one transaction id.
      await sql`create table exact (id bigint, name text, value double precision, tx bigint default txid_current())`;
      const writer = await jdbcSink.open({ url, table: 'exact', batch_size: 64 }, base(0, 1, 'exact/sink'));
      const source = await fakeReader(1000);
      for (;;) {
        const r = await source.read(Math.min(50, writer.rowsUntilCommit!()));
        if (r.kind !== 'rows') break;
        await writer.write(r.rows, source.positions());
      }
      await writer.flush(source.positions());
      await writer.close();
      const commits = await sql<{ n: number; last: number }[]>`
        select count(*)::int as n, max(id)::int as last from exact group by tx order by last`;
      // 1000 = 15 × 64 + 40: fifteen full commits, the flush takes the rest.
      expect(commits.map((c) => c.n)).toEqual([...Array.from({ length: 15 }, () => 64), 40]);
      expect(commits.map((c) => c.last)).toEqual([
        ...Array.from({ length: 15 }, (_, i) => 64 * (i + 1) - 1),
        999,
      ]);
      expect(await sql`select position from jobgate_sink_offsets where commit_key = 'exact/sink'`).toEqual([
        { position: { offset: 1000 } },
      ]);
    });

    it('a commit the target refuses fails the next write or flush and stores no position past the rows', async () => {
      await sql`create table strict (id bigint check (id < 500), name text, value double precision)`;
      const writer = await jdbcSink.open(
        { url, table: 'strict', batch_size: 100 },
        base(0, 1, 'strict/sink'),
      );
      const source = await fakeReader(1000);
      let failure: unknown;
      try {
        for (;;) {
          const r = await source.read(writer.rowsUntilCommit!());
          if (r.kind !== 'rows') break;
          await writer.write(r.rows, source.positions());
        }
        await writer.flush(source.positions());
      } catch (err) {
        failure = err;
      }
      await writer.close();
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(
        /Jdbc sink could not write 100 rows to "strict": .*violates check constraint/,
      );
      // Rows 500–599 were refused with their position; everything before is there, with offset 500.
      expect((await sql`select count(*)::int as n, max(id)::int as hi from strict`)[0]).toEqual({
        n: 500,
        hi: 499,
      });
      expect(await sql`select position from jobgate_sink_offsets where commit_key = 'strict/sink'`).toEqual([
        { position: { offset: 500 } },
      ]);
      // Positive control: the same loop with every row allowed gets through, so the failure was the check.
      await sql`alter table strict drop constraint strict_id_check`;
      const again = await jdbcSink.open({ url, table: 'strict', batch_size: 100 }, base(0, 1, 'strict/sink'));
      const resumed = await fakeReader(1000, await again.committedPositions!());
      for (;;) {
        const r = await resumed.read(again.rowsUntilCommit!());
        if (r.kind !== 'rows') break;
        await again.write(r.rows, resumed.positions());
      }
      await again.flush(resumed.positions());
      await again.close();
      expect((await sql`select count(*)::int as n, count(distinct id)::int as d from strict`)[0]).toEqual({
        n: 1000,
        d: 1000,
      });
    });

    it('a batch past the parameter limit commits in one transaction with its offsets', async () => {
      // 30,000 rows × 3 columns = 90,000 parameters: more than one statement may carry.
      await sql`create table wide (id bigint, name text, value double precision, tx bigint default txid_current())`;
      const writer = await jdbcSink.open({ url, table: 'wide', batch_size: 30_000 }, base(0, 1, 'wide/sink'));
      const source = await fakeReader(30_000);
      const r = await source.read(30_000);
      if (r.kind !== 'rows') throw new Error('source ended');
      await writer.write(r.rows, source.positions());
      await writer.flush(source.positions());
      await writer.close();
      expect(
        (
          await sql`select count(*)::int as n, count(distinct id)::int as d, count(distinct tx)::int as t from wide`
        )[0],
      ).toEqual({ n: 30_000, d: 30_000, t: 1 });
      expect(await sql`select position from jobgate_sink_offsets where commit_key = 'wide/sink'`).toEqual([
        { position: { offset: 30_000 } },
      ]);
    });

    it('upserts by primary_keys, keeping the last row of a key within a batch', async () => {
      await sql`create table people (id int primary key, name text, age int)`;
      const options = { url, user: 'postgres', table: 'people', primary_keys: ['id'], batch_size: 1000 };
      const writer = await jdbcSink.open(options, base(0, 1, 'people/sink'));
      await writer.write(
        Array.from({ length: 10 }, (_, i) => ({ id: i, name: `p${i}`, age: 20 })),
        { 0: { offset: 10 } },
      );
      await writer.flush({ 0: { offset: 10 } });
      await writer.write(
        [
          ...Array.from({ length: 10 }, (_, i) => ({ id: i + 5, name: `q${i + 5}`, age: 30 })),
          { id: 14, name: 'last', age: 99 },
        ],
        { 0: { offset: 21 } },
      );
      await writer.flush({ 0: { offset: 21 } });
      await writer.close();
      const rows = await sql`select id, name, age from people order by id`;
      expect(rows).toHaveLength(15);
      expect(rows[0]).toEqual({ id: 0, name: 'p0', age: 20 });
      expect(rows[5]).toEqual({ id: 5, name: 'q5', age: 30 });
      expect(rows[14]).toEqual({ id: 14, name: 'last', age: 99 });
    });

    it('fails a write with the table named in the error', async () => {
      const writer = await jdbcSink.open({ url, table: 'no_such_table' }, base(0, 1, 'x'));
      await expect(
        writer
          .flush({})
          .then(() => writer.write([{ a: 1 }], {}))
          .then(() => writer.flush({ 0: { offset: 1 } })),
      ).rejects.toThrow(
        /Jdbc sink could not write 1 rows to "no_such_table": relation "no_such_table" does not exist/,
      );
      await writer.close();
    });

    it('validates options with paths', () => {
      const error = (options: Record<string, unknown>) => {
        try {
          jdbcSink.validate(options);
        } catch (err) {
          return (err as Error).message;
        }
        return 'no error';
      };
      expect(error({ table: 't' })).toBe('url: is required (set url or connection)');
      expect(error({ url: 'jdbc:mysql://h/db', table: 't' })).toBe(
        'url: must be a postgresql:// URL (got mysql://)',
      );
      expect(error({ url })).toBe('table: is required');
      expect(error({ url, table: 't', batch_size: 0 })).toBe(
        'batch_size: must be an integer between 1 and 1000000',
      );
      expect(error({ url, table: 't', primary_keys: 'id, tenant' })).toBe('no error');
    });
  });

  describe('source', () => {
    beforeAll(async () => {
      await sql`create table items (id int primary key, grp int, label text, seq int, at timestamptz)`;
      // 1000 rows; seq repeats (ties across page boundaries); at differs by microseconds only.
      await sql`insert into items
        select i, i % 7, 'item ' || i, i / 3, timestamptz '2024-01-01 00:00:00+00' + (i / 2) * interval '1 microsecond'
        from generate_series(0, 999) as i`;
    });

    it('reads a whole table, and resumes from an offset position', async () => {
      const options = { url, table: 'items', fetch_size: 100, query: undefined };
      const all = await readAll(await openSource(options), 64);
      expect(all).toHaveLength(1000);
      expect(all.map((r) => r.id).sort((a, b) => (a as number) - (b as number))).toEqual(
        Array.from({ length: 1000 }, (_, i) => i),
      );
      expect(typeof all[0]?.at).toBe('string');

      const ordered = { url, query: 'select id, label from items order by id;', fetch_size: 100 };
      const reader = await openSource(ordered);
      const head = await reader.read(250);
      expect(head.kind === 'rows' && head.rows.length).toBe(250);
      expect(reader.positions()).toEqual({ 0: { offset: 250 } });
      await reader.close();
      const rest = await readAll(await openSource(ordered, { restore: { 0: { offset: 250 } } }), 100);
      expect(rest.map((r) => r.id)).toEqual(Array.from({ length: 750 }, (_, i) => i + 250));
      expect(rest[0]).toEqual({ id: 250, label: 'item 250' });
    });

    it('splits by partition_column so that two readers read every row once', async () => {
      const options = { url, table: 'items', partition_column: 'label', 'split.num': 3 };
      expect(jdbcSource.splitCount(options, 2)).toBe(3);
      const r0 = await openSource(options, { subtaskIndex: 0, parallelism: 2 });
      const r1 = await openSource(options, { subtaskIndex: 1, parallelism: 2 });
      expect(r0.splits).toEqual([0, 2]);
      const ids = [...(await readAll(r0, 97)), ...(await readAll(r1, 97))].map((r) => r.id as number);
      await r0.close();
      await r1.close();
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });

    it('reads incrementally by a column with ties, and resumes from { last }', async () => {
      const options = { url, table: 'items', incremental_column: 'seq', fetch_size: 10 };
      const reader = await openSource(options);
      const first: Row[] = [];
      while (first.length < 400) {
        const r = await reader.read(10);
        if (r.kind !== 'rows') throw new Error('ended early');
        first.push(...r.rows);
      }
      const position = reader.positions();
      const last = position[0]?.last as number;
      expect(first.every((r) => (r.seq as number) <= last)).toBe(true);
      // A tie group is never split between batches.
      expect(first.filter((r) => r.seq === last)).toHaveLength(3);
      const rest = await readAll(reader, 10);
      await reader.close();
      const ids = [...first, ...rest].map((r) => r.id as number).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i));

      const resumed = await readAll(await openSource(options, { restore: position }), 10);
      expect(resumed.map((r) => r.id)).toEqual(rest.map((r) => r.id));
    });

    it('keeps microseconds of a timestamp incremental column exact', async () => {
      const options = { url, table: 'items', incremental_column: 'at', fetch_size: 7 };
      const reader = await openSource(options);
      const rows = await readAll(reader, 7);
      expect(rows).toHaveLength(1000);
      expect(reader.positions()).toEqual({ 0: { last: '2024-01-01 00:00:00.000499+00' } });
      await reader.close();
    });

    it('streams: full snapshot, then polls for new rows (job_stage_incr)', async () => {
      await sql`create table events (id serial primary key, body text)`;
      await sql`insert into events (body) select 'e' || i from generate_series(1, 25) i`;
      const options = {
        url,
        query: 'select id, body from events',
        incremental_column: 'id',
        poll_interval_ms: 0,
      };
      const reader = await openSource(options, { bounded: false });
      expect(await readAll(reader, 10)).toHaveLength(25);
      expect(await reader.read(10)).toEqual({ kind: 'idle' });
      await sql`insert into events (body) values ('late 1'), ('late 2')`;
      const next = await reader.read(10);
      expect(next).toEqual({
        kind: 'rows',
        rows: [
          { id: 26, body: 'late 1' },
          { id: 27, body: 'late 2' },
        ],
      });
      expect(reader.positions()).toEqual({ 0: { last: 27 } });
      expect(await reader.read(10)).toEqual({ kind: 'idle' });
      await reader.close();
    });

    it('validates options with paths', () => {
      const error = (options: Record<string, unknown>) => {
        try {
          jdbcSource.validate(options);
        } catch (err) {
          return (err as Error).message;
        }
        return 'no error';
      };
      expect(error({ url, table: 't', query: 'select 1' })).toBe(
        'query: cannot be combined with table (set only one of table or query)',
      );
      expect(error({ url })).toBe('table: is required (set table or query)');
      expect(error({ url, table: 't', 'split.num': 4 })).toBe(
        'split.num: needs partition_column (the column rows are split by)',
      );
      expect(error({ url: 'postgresql://h/db', table_path: 'public.t' })).toBe('no error');
    });
  });

  describe('connections, identity and timeouts', () => {
    const identityOf = async (target: string) => {
      const probe = postgres(target, { max: 1, onnotice: () => {} });
      try {
        const [row] = await probe.unsafe(IDENTITY_QUERY);
        return { systemIdentifier: row!.system_identifier as string, database: row!.database as string };
      } finally {
        await probe.end();
      }
    };
    const access = (
      ownDatabase: { systemIdentifier: string; database: string } | null,
      options: Record<string, string> = {},
    ): ConnectionAccess => ({
      ownDatabase,
      resolve: async (name) => {
        if (name !== 'scratch') throw new Error(`no connection named ${name}`);
        const u = new URL(url);
        return { name, kind: 'postgres', url: u.toString(), options };
      },
    });

    it('a named connection is resolved when the subtask opens', async () => {
      await sql`create table named_rows (id int)`;
      const options = { connection: 'scratch', table: 'named_rows' };
      jdbcSink.validate(options);
      const writer = await jdbcSink.open(options, { ...base(), connections: access(null) });
      await writer.write([{ id: 1 }], {});
      await writer.flush({ 0: { offset: 1 } });
      await writer.close();
      expect((await sql`select count(*)::int as n from named_rows`)[0]?.n).toBe(1);
      expect(() => jdbcSink.validate({ connection: 'scratch', password: 'x', table: 't' })).toThrow(
        /password: cannot be combined with connection/,
      );
    });

    it("refuses jobgate's own database by identity, whatever the URL says", async () => {
      const own = await identityOf(url);
      // The same database by another spelling of its host.
      const other = new URL(url);
      other.hostname = other.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
      const options = { url: other.toString(), table: 'refused_rows' };
      await expect(jdbcSink.open(options, { ...base(), connections: access(own) })).rejects.toThrow(
        /jobgate's own database/,
      );
      await expect(
        jdbcSource.open(
          { connection: 'scratch', query: 'select 1 as x' },
          {
            ...base(),
            connections: access(own),
            splitCount: 1,
            bounded: true,
          },
        ),
      ).rejects.toThrow(/jobgate's own database/);
      // Positive control: with another own database the same sink opens and creates its offsets table.
      await sql`drop table if exists jobgate_sink_offsets`;
      const writer = await jdbcSink.open(options, {
        ...base(),
        connections: access({ ...own, database: 'somewhere_else' }),
      });
      await writer.close();
      const [after] = await sql`select to_regclass('jobgate_sink_offsets') is not null as present`;
      expect(after?.present).toBe(true);
    });

    it('a statement that runs past statement_timeout_ms fails', async () => {
      const reader = await jdbcSource.open(
        { connection: 'scratch', query: 'select pg_sleep(30) as slept' },
        {
          ...base(),
          connections: access(null, { statement_timeout_ms: '200' }),
          splitCount: 1,
          bounded: true,
        },
      );
      await expect(reader.read(10)).rejects.toThrow(/statement timeout/);
      await reader.close();
    });

    it('a connect that hangs ends when the subtask is cancelled', async () => {
      let accepted = 0;
      const silent = createServer(() => void accepted++); // accepts and never answers
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as AddressInfo).port;
      const cancel = new AbortController();
      try {
        const opening = jdbcSink.open(
          { url: `postgresql://postgres@127.0.0.1:${port}/x`, table: 't', connect_timeout_ms: 600_000 },
          { ...base(), signal: cancel.signal, connections: access({ systemIdentifier: '1', database: 'x' }) },
        );
        const settled = opening.then(
          () => 'opened',
          (err: Error) => err.message,
        );
        // The cancel must find the connect hanging: the server has the connection and says nothing.
        await until('the sink to connect', () => accepted > 0);
        cancel.abort();
        expect(await settled).toMatch(/Jdbc cannot connect/);
      } finally {
        silent.close();
      }
    });
  });
});
