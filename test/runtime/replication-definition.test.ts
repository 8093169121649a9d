// REPLICATION job definitions through GraphQL: what is refused up front (BAD_USER_INPUT naming the
// field, nothing stored) and what an operator may not give (raw server credentials).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createMysqlScratch, MYSQL, mysqlReachable, type MysqlScratch } from '../support/replication-dbs.ts';

const mysqlUp = await mysqlReachable();
if (!mysqlUp) console.warn('replication-definition MariaDB cases SKIPPED: no MariaDB at 127.0.0.1:3306');

let t: TestApp;
let db: MysqlScratch | undefined;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  if (mysqlUp) {
    db = await createMysqlScratch();
    await db.conn.query('CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(20))');
    await db.conn.query('CREATE TABLE nokey (v VARCHAR(20))');
  }
});
afterAll(async () => {
  await db?.drop();
  await t.close();
});

const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { name kind definition } } }`;
const mysqlEndpoint = (extra: Record<string, unknown> = {}) => ({ type: 'mysql', ...MYSQL, ...extra });

async function refusal(input: Record<string, unknown>, role: 'admin' | 'operator' = 'admin') {
  const res = await t.graphql(CREATE, { input }, await t.token(role));
  expect(res.data?.createJob ?? null).toBeNull();
  const jobs = await t.graphql(
    `query { job(name: ${JSON.stringify(input.name)}) { name } }`,
    {},
    await t.token('admin'),
  );
  expect(jobs.data?.job ?? null).toBeNull(); // nothing stored
  return res.errors![0]!;
}

it('an unknown endpoint type is refused, naming the field', async () => {
  const err = await refusal({
    name: 'r-bad-type',
    replication: { source: { type: 'oracle', host: 'h', user: 'u' }, destination: mysqlEndpoint() },
  });
  expect(err.extensions?.code).toBe('BAD_USER_INPUT');
  expect(err.message).toMatch(/input\.replication\.source\.type: must be mysql or postgres/);
});

it('a rename into the schema where jobgate keeps saved positions is refused', async () => {
  const err = await refusal({
    name: 'r-state-rename',
    replication: {
      source: mysqlEndpoint(),
      destination: mysqlEndpoint(),
      rename: [{ schema: 'shop', toSchema: 'jobgate_replication' }],
    },
  });
  expect(err.extensions?.code).toBe('BAD_USER_INPUT');
  expect(err.message).toMatch(
    /input\.replication\.rename\[?\.?0\]?\.toSchema: must not be jobgate_replication/,
  );
});

it('exactly one of pipeline, command, steps, http or replication', async () => {
  const err = await refusal({
    name: 'r-two',
    command: { command: 'true' },
    replication: { source: mysqlEndpoint(), destination: mysqlEndpoint() },
  });
  expect(err.message).toMatch(/exactly one of pipeline, command, steps, http or replication/);
});

it('an operator may not give raw server credentials, and nothing is connected to', async () => {
  const err = await refusal(
    { name: 'r-operator', replication: { source: mysqlEndpoint(), destination: mysqlEndpoint() } },
    'operator',
  );
  expect(err.extensions?.code).toBe('FORBIDDEN');
  expect(err.message).toMatch(/input\.replication\.source\.host: only admins/);
});

it('an unreachable database is refused', async () => {
  const err = await refusal({
    name: 'r-unreachable',
    replication: {
      source: mysqlEndpoint({ port: 1 }),
      destination: mysqlEndpoint(),
    },
  });
  expect(err.extensions?.code).toBe('BAD_USER_INPUT');
  expect(err.message).toMatch(/input\.replication\.source: cannot connect to MySQL at 127\.0\.0\.1:1/);
});

describe.skipIf(!mysqlUp)('against MariaDB', () => {
  it('a table that does not exist is refused, naming the rule', async () => {
    const err = await refusal({
      name: 'r-missing',
      replication: {
        source: mysqlEndpoint(),
        destination: mysqlEndpoint(),
        tables: [
          { schema: db!.name, table: 't1' },
          { schema: db!.name, table: 'nope' },
        ],
      },
    });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toBe(`input.replication.tables[1]: no table ${db!.name}.nope at the source`);
  });

  it('a table without a primary key is refused', async () => {
    const err = await refusal({
      name: 'r-nokey',
      replication: { source: mysqlEndpoint(), destination: mysqlEndpoint(), tables: [{ schema: db!.name }] },
    });
    expect(err.message).toMatch(/nokey has no primary key/);
  });

  it('a destination that is the source, table for table, is refused naming both', async () => {
    const err = await refusal({
      name: 'r-loop',
      replication: {
        source: mysqlEndpoint(),
        destination: mysqlEndpoint({ host: 'localhost' }), // another spelling of the same server
        tables: [{ schema: db!.name, table: 't1' }],
      },
    });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toBe(
      `input.replication.destination: the source (mysql 127.0.0.1:3306) and the destination (mysql localhost:3306) ` +
        `are the same database: ${db!.name}.t1 would be written into itself, and the replication would loop; ` +
        'pick another destination or rename the tables into another schema',
    );
    // A rename onto another source table loops as well.
    await db!.conn.query('CREATE TABLE t2 (id INT PRIMARY KEY)');
    const onto = await refusal({
      name: 'r-loop2',
      replication: {
        source: mysqlEndpoint(),
        destination: mysqlEndpoint(),
        tables: [{ schema: db!.name, tableRegex: '^t[12]$' }],
        rename: [{ schema: db!.name, table: 't1', toTable: 't2' }],
      },
    });
    expect(onto.message).toMatch(
      new RegExp(`${db!.name}\\.t1 would be written into ${db!.name}\\.t2, also a source table`),
    );
  });

  it('a valid definition is stored as kind REPLICATION with its password sealed and never shown', async () => {
    const res = await t.graphql(
      CREATE,
      {
        input: {
          name: 'r-good',
          replication: {
            source: mysqlEndpoint({ password: 'not-shown' }),
            destination: mysqlEndpoint(),
            tables: [{ schema: db!.name, table: 't1' }],
          },
        },
      },
      await t.token('admin'),
    );
    // root has no password: a wrong one is refused as a connection failure, naming the side.
    expect(res.errors?.[0]?.message).toMatch(/input\.replication\.source: cannot connect to MySQL/);
    const ok = await t.graphql(
      CREATE,
      {
        input: {
          name: 'r-good',
          replication: {
            source: mysqlEndpoint(),
            destination: mysqlEndpoint({ password: '' }),
            tables: [{ schema: db!.name, table: 't1' }],
            rename: [{ schema: db!.name, toSchema: `${db!.name}_copy` }],
          },
        },
      },
      await t.token('admin'),
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.createJob.job.kind).toBe('REPLICATION');
    expect(JSON.stringify(ok.data!.createJob.job.definition)).not.toContain('"password":""');
  });
});
