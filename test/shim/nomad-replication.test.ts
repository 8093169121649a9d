// dtle replication through the Nomad API, MariaDB to MariaDB, over a real socket: a seed-like job
// (src and dest tasks on the dtle driver) registers as a REPLICATION job, its allocations show
// job_stage_full and then job_stage_incr, rows arrive; DELETE then POST again resumes from the saved
// position without a second full copy; purge then POST copies again. Bad jobs (no tasks, an unknown
// driver, an unreachable database, a table that does not exist) answer as Nomad does and store
// nothing; passwords never come back. Needs the replication branch (the REPLICATION job kind and its
// engine) merged.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { loadOpenApi } from '../support/openapi.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const REF = new URL('../../../shared/ref/nomad/', import.meta.url);
const spec = loadOpenApi(new URL('openapi.yaml', REF).pathname, { allowNull: true });

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

interface MysqlScratch {
  conn: mysql.Connection;
  name: string;
  drop(): Promise<void>;
}

/** A database of this test's own on the local MariaDB (the connection's default database). */
async function createMysqlScratch(prefix: string): Promise<MysqlScratch> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(MYSQL);
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.query(`USE \`${name}\``);
  return {
    conn,
    name,
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

async function mysqlRows(conn: mysql.Connection, table: string): Promise<unknown[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT * FROM ${table} ORDER BY id`);
  return rows;
}

let t: TestRuntime;
let app: App;
let base: string;
let source: MysqlScratch;
let target: MysqlScratch;
const user = `nomad_${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
const tokens = {} as Record<'viewer' | 'operator' | 'admin', string>;

beforeAll(async () => {
  t = await createTestRuntime({ slots: 8 });
  source = await createMysqlScratch('nsrc');
  target = await createMysqlScratch('ndst');
  await source.conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await source.conn.query(`GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%'`);
  await source.conn.query('CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(50))');
  await source.conn.query("INSERT INTO t1 VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  tokens.viewer = await t.token('viewer');
  tokens.operator = await t.token('operator');
  tokens.admin = await t.token('admin');
  app = buildServedApp(t.database);
  base = `${await app.start()}/compat/nomad`;
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await t?.close();
  await source?.conn.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await source?.drop();
  await target?.drop();
});

const call = (path: string, init: RequestInit = {}, token = tokens.admin) =>
  fetch(`${base}${path}`, { ...init, headers: { 'x-nomad-token': token, ...init.headers } });

async function json(path: string): Promise<any> {
  const response = await call(path, {}, tokens.viewer);
  const text = await response.text();
  expect(response.status, `${path}: ${text}`).toBe(200);
  expect(text).not.toContain(password);
  return JSON.parse(text);
}

/** The job as dtle's docs write it, with the source database renamed at the destination. */
function dtleJob(id: string, src: Record<string, unknown> = {}) {
  const connection = { Host: MYSQL.host, Port: MYSQL.port, User: user, Password: password };
  return {
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'src',
          Tasks: [
            {
              Name: 'src',
              Driver: 'dtle',
              Config: {
                Gtid: '',
                ReplicateDoDb: [
                  { TableSchema: source.name, TableSchemaRename: target.name, Tables: [{ TableName: 't1' }] },
                ],
                ConnectionConfig: connection,
                ...src,
              },
            },
          ],
        },
        { Name: 'dest', Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { ConnectionConfig: connection } }] },
      ],
    },
  };
}

const post = (body: unknown, token = tokens.admin) =>
  call('/v1/jobs', { method: 'POST', body: JSON.stringify(body) }, token);

async function expectNothingStored(id: string): Promise<void> {
  const read = await call(`/v1/job/${id}`, {}, tokens.viewer);
  expect([read.status, await read.text()]).toEqual([404, 'job not found']);
  expect((await json('/v1/jobs')).map((j: any) => j.ID)).not.toContain(id);
}

describe('bad jobs', () => {
  it('answers as Nomad does and stores nothing', async () => {
    const cases: [unknown, number, RegExp][] = [
      [
        { Job: { ID: 'bad-1', Datacenters: ['dc1'], TaskGroups: [{ Name: 'src' }] } },
        500,
        /Missing tasks for task group/,
      ],
      [
        (() => {
          const job = dtleJob('bad-2');
          job.Job.TaskGroups[1]!.Tasks[0]!.Driver = 'docker';
          return job;
        })(),
        500,
        /missing drivers/,
      ],
      [dtleJob('bad-3', { ConnectionConfig: { Host: '127.0.0.1', Port: 1, User: 'root' } }), 400, /source/],
      [
        dtleJob('bad-4', {
          ReplicateDoDb: [{ TableSchema: 'no_such_db_x', Tables: [{ TableName: 'nope' }] }],
        }),
        400,
        /no table/,
      ],
    ];
    for (const [body, status, message] of cases) {
      const response = await post(body);
      const text = await response.text();
      expect(response.status, text).toBe(status);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(text).toMatch(message);
      expect(text).not.toContain(password);
      await expectNothingStored((body as { Job: { ID: string } }).Job.ID);
    }
  });

  it('an operator may not send raw credentials (admins only, as in GraphQL)', async () => {
    const response = await post(dtleJob('op-job'), tokens.operator);
    expect([response.status, await response.text()]).toEqual([403, 'Permission denied']);
    await expectNothingStored('op-job');
  });
});

describe('a dtle job end to end', () => {
  const stageEvents = async (id: string) => {
    const allocs = await json(`/v1/job/${id}/allocations`);
    return allocs.map((a: any) => ({
      run: a.EvalID,
      group: a.TaskGroup,
      stages: (a.TaskStates?.dest?.Events ?? [])
        .filter((e: any) => e.Type === 'Driver')
        .map((e: any) => e.DriverMessage),
    }));
  };

  it('registers and reads back as the dtle job, password left out', async () => {
    const response = await post(dtleJob('job1'));
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(spec.validate('POST', '/jobs', body)).toEqual([]);
    expect(body.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    const job = await json('/v1/job/job1');
    expect(job.TaskGroups.map((g: any) => g.Tasks[0].Driver)).toEqual(['dtle', 'dtle']);
    expect(job.TaskGroups[0].Tasks[0].Config.ReplicateDoDb[0]).toMatchObject({
      TableSchema: source.name,
      TableSchemaRename: target.name,
    });
    expect(job.TaskGroups[0].Tasks[0].Config.ConnectionConfig).toMatchObject({ User: user });
    expect(spec.validate('GET', '/job/{jobName}', job)).toEqual([]);
    const stub = (await json('/v1/jobs')).find((j: any) => j.ID === 'job1');
    expect(stub).toMatchObject({ Type: 'service', Datacenters: ['dc1'] });
    expect(Object.keys(stub.JobSummary.Summary)).toEqual(['src', 'dest']);
  });

  it(
    'shows job_stage_full then job_stage_incr on the dest allocation, and copies the rows',
    { timeout: 300_000 },
    async () => {
      const incr = await until(
        'job_stage_incr on the dest allocation',
        async () => {
          const events = await stageEvents('job1');
          const dest = events.find((e: any) => e.group === 'dest');
          return dest?.stages.includes('job_stage_incr') ? dest : undefined;
        },
        { timeoutMs: 120_000 },
      );
      expect(incr.stages).toEqual(['job_stage_full', 'job_stage_incr']);
      await until(
        'the copied rows',
        async () => (await mysqlRows(target.conn, 't1').catch(() => [])).length === 3,
      );
      await source.conn.query("INSERT INTO t1 VALUES (4, 'four')");
      await until('the change', async () => (await mysqlRows(target.conn, 't1')).length === 4);
    },
  );

  it(
    'DELETE stops it (dead, kept); POST again resumes without a new full copy',
    { timeout: 300_000 },
    async () => {
      const stopped = await call('/v1/job/job1', { method: 'DELETE' });
      const body = await stopped.json();
      expect(stopped.status).toBe(200);
      expect(spec.validate('DELETE', '/job/{jobName}', body)).toEqual([]);
      expect(body.EvalID).toMatch(/^[0-9a-f-]{36}$/);
      await until('the job to read dead', async () => (await json('/v1/job/job1')).Status === 'dead');
      expect((await json('/v1/job/job1')).Stop).toBe(true);
      await source.conn.query("INSERT INTO t1 VALUES (5, 'five')");
      const again = await post(dtleJob('job1'));
      expect(again.status, await again.clone().text()).toBe(200);
      const newEval = (await again.json()).EvalID;
      await until(
        'the change made while stopped',
        async () => (await mysqlRows(target.conn, 't1')).length === 5,
        {
          timeoutMs: 120_000,
        },
      );
      // The positive control: the resumed run's job_stage_incr is visible, so a job_stage_full of the
      // same run would be too.
      const resumed = await until('the resumed run at job_stage_incr', async () => {
        const dest = (await stageEvents('job1')).find((e: any) => e.run === newEval && e.group === 'dest');
        return dest?.stages.includes('job_stage_incr') ? dest : undefined;
      });
      expect(resumed.stages).toEqual(['job_stage_incr']);
      expect((await json('/v1/job/job1')).Status).toBe('running');
    },
  );

  it('purge forgets it; POST again copies again', { timeout: 300_000 }, async () => {
    const purged = await call('/v1/job/job1?purge=true', { method: 'DELETE' });
    expect(purged.status).toBe(200);
    const read = await call('/v1/job/job1', {}, tokens.viewer);
    expect(read.status).toBe(404);
    await target.conn.query('DELETE FROM t1');
    const again = await post(dtleJob('job1'));
    expect(again.status).toBe(200);
    await until('a second full copy', async () => (await mysqlRows(target.conn, 't1')).length === 5, {
      timeoutMs: 120_000,
    });
    const newEval = (await again.clone().json()).EvalID;
    await until('job_stage_full of the new job', async () => {
      const dest = (await stageEvents('job1')).find((e: any) => e.run === newEval && e.group === 'dest');
      return dest?.stages.includes('job_stage_full');
    });
    await call('/v1/job/job1?purge=true', { method: 'DELETE' });
  });
});
