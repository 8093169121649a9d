// Attacks on connections and secrets, against a real `jobgate serve` with auth on:
// - an operator points a Jdbc job at a URL of its choosing (jobgate's own database, a port scan);
// - a viewer reads a password back from a job definition or a vertex config;
// - a password lands in the database in plain text, or in a log line with a statement's parameters;
// - a Jdbc source or sink reaches jobgate's own database by another spelling of its URL.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { usingPostgres } from '../support/db.ts';
import { killLeftovers } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import {
  createScratchDatabase,
  scratchServerReachable,
  type ScratchDatabase,
} from '../support/scratch-db.ts';
import { startSecureServer, type SecureServer } from './serve.ts';

const PASSWORD = `conn-pass-${randomBytes(6).toString('hex')}`;
const RAW_PASSWORD = `raw-pass-${randomBytes(6).toString('hex')}`;
const reachable = await scratchServerReachable();
if (!reachable) console.warn('connections attack tests that run Jdbc jobs SKIPPED: no PostgreSQL to reach');

let server: SecureServer;
let scratch: ScratchDatabase | undefined;
let stopped = false;

beforeAll(async () => {
  server = await startSecureServer();
  if (reachable) scratch = await createScratchDatabase();
});
afterAll(async () => {
  if (!stopped) expect(await server.stop()).toBe(0);
  await scratch?.drop();
  expect(await killLeftovers()).toBe(0);
});

const CREATE_JOB = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { name } } }`;
const UPDATE_JOB = `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { name version } } }`;
const CREATE_CONNECTION = `mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) { connection { name url username hasPassword options } } }`;
const START = `mutation($job: String!) { startJob(input: { job: $job }) { run { id } } }`;

const code = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0]?.extensions?.code;

async function jobExists(name: string): Promise<boolean> {
  const res = await server.graphql(`{ jobs(name: "${name}") { nodes { name } } }`, {}, 'admin');
  return res.data.jobs.nodes.some((j: { name: string }) => j.name === name);
}

/** Starts the job as the operator and waits for a terminal status; returns the run's id and status. */
async function runToEnd(job: string): Promise<{ id: string; status: string; exceptions: string[] }> {
  const started = await server.graphql(START, { job }, 'operator');
  expect(started.errors).toBeUndefined();
  const id = started.data.startJob.run.id as string;
  const run = await until(
    `run ${id} of ${job} to end`,
    async () => {
      const res = await server.graphql(
        `query($id: ID!) { run(id: $id) { status exceptions { message } } }`,
        { id },
        'viewer',
      );
      const found = res.data.run as { status: string; exceptions: { message: string }[] };
      return ['FINISHED', 'FAILED', 'CANCELED'].includes(found.status) && found;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  return { id, status: run.status, exceptions: run.exceptions.map((e) => e.message) };
}

const fakeTo = (sink: Record<string, unknown>) => ({
  env: { 'job.mode': 'BATCH' },
  source: [{ plugin_name: 'FakeSource', 'row.num': 20, seed: 1 }],
  sink: [sink],
});

describe('only admins say where a job connects', () => {
  it('an operator cannot put a raw Jdbc url, user or password in a job: FORBIDDEN naming the option, nothing stored', async () => {
    const input = {
      name: 'raw-url-by-operator',
      pipeline: fakeTo({ plugin_name: 'Jdbc', url: 'postgresql://10.0.0.1:5432/anything', table: 't' }),
    };
    const refused = await server.graphql(CREATE_JOB, { input }, 'operator');
    expect(code(refused)).toBe('FORBIDDEN');
    expect(refused.errors![0]!.extensions!.inputPath).toBe('input.pipeline.sink[0].url');
    expect(refused.errors![0]!.message).toMatch(/sink\[0\]\.url: only admins/);
    expect(await jobExists('raw-url-by-operator')).toBe(false);

    // Positive control: the admin may; then the operator may not swap in a raw target by updateJob.
    expect((await server.graphql(CREATE_JOB, { input }, 'admin')).errors).toBeUndefined();
    expect(await jobExists('raw-url-by-operator')).toBe(true);
    const update = await server.graphql(
      UPDATE_JOB,
      {
        input: {
          name: 'raw-url-by-operator',
          // The connection's database swapped for another on the same server.
          pipeline: fakeTo({ plugin_name: 'Jdbc', connection: 'x', database: 'postgres', table: 't' }),
        },
      },
      'operator',
    );
    expect(code(update)).toBe('FORBIDDEN');
    expect(update.errors![0]!.extensions!.inputPath).toBe('input.pipeline.sink[0].database');
  });

  it('connections are managed by admins only; operators may list them; nobody reads a secret back', async () => {
    const input = { name: 'warehouse', url: 'postgresql://alice:hunter2@db.example:5432/wh' };
    expect(code(await server.graphql(CREATE_CONNECTION, { input }, 'operator'))).toBe('FORBIDDEN');
    expect(code(await server.graphql(CREATE_CONNECTION, { input }, 'viewer'))).toBe('FORBIDDEN');
    const created = await server.graphql(CREATE_CONNECTION, { input }, 'admin');
    expect(created.errors).toBeUndefined();
    // The credentials were taken out of the URL.
    expect(created.data.createConnection.connection).toEqual({
      name: 'warehouse',
      url: 'postgresql://db.example:5432/wh',
      username: 'alice',
      hasPassword: true,
      options: {},
    });
    const bad = await server.graphql(
      CREATE_CONNECTION,
      { input: { name: 'bad', url: 'mysql://h/db' } },
      'admin',
    );
    expect(code(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.inputPath).toBe('input.url');
    const badOption = await server.graphql(
      CREATE_CONNECTION,
      { input: { name: 'bad', url: 'postgresql://h/db', options: { statement_timeout_ms: 'forever' } } },
      'admin',
    );
    expect(badOption.errors![0]!.extensions!.inputPath).toBe('input.options.statement_timeout_ms');
    const listed = await server.graphql('{ connections { name url hasPassword } }', {}, 'operator');
    expect(listed.data.connections).toEqual([
      { name: 'warehouse', url: 'postgresql://db.example:5432/wh', hasPassword: true },
    ]);
    expect(code(await server.graphql('{ connections { name } }', {}, 'viewer'))).toBe('FORBIDDEN');
    const noSuchField = await server.graphql('{ connections { name password } }', {}, 'admin');
    expect(noSuchField.errors![0]!.message).toMatch(/Cannot query field "password"/);
    expect(
      code(
        await server.graphql(
          `mutation { deleteConnection(name: "warehouse") { connection { name } } }`,
          {},
          'operator',
        ),
      ),
    ).toBe('FORBIDDEN');
  });
});

describe.skipIf(!reachable)('a named connection at work (needs a PostgreSQL to reach)', () => {
  it('the operator runs a Jdbc job through a connection by name; viewers see no password anywhere', async () => {
    const admin = postgres(scratch!.url, { max: 1, onnotice: () => {} });
    try {
      await admin`create table landed (id bigint, name text, value double precision)`;
    } finally {
      await admin.end();
    }
    const created = await server.graphql(
      CREATE_CONNECTION,
      {
        input: {
          name: 'scratch',
          url: scratch!.url,
          password: PASSWORD, // trust auth ignores it; what matters is where it shows up
          options: { statement_timeout_ms: 60_000 },
        },
      },
      'admin',
    );
    expect(created.errors).toBeUndefined();
    const input = {
      name: 'through-connection',
      pipeline: fakeTo({ plugin_name: 'Jdbc', connection: 'scratch', table: 'landed' }),
    };
    expect((await server.graphql(CREATE_JOB, { input }, 'operator')).errors).toBeUndefined();
    const run = await runToEnd('through-connection');
    expect(run).toMatchObject({ status: 'FINISHED' });
    const check = postgres(scratch!.url, { max: 1, onnotice: () => {} });
    try {
      expect((await check`select count(*)::int as n from landed`)[0]?.n).toBe(20);
    } finally {
      await check.end();
    }

    // The connection is in use: deleting it is refused, naming the job.
    const del = await server.graphql(
      `mutation { deleteConnection(name: "scratch") { connection { name } } }`,
      {},
      'admin',
    );
    expect(code(del)).toBe('CONFLICT');
    expect(del.errors![0]!.message).toContain('"through-connection"');

    // An admin's job with a raw password: stored sealed, shown redacted.
    const raw = {
      name: 'raw-password-by-admin',
      pipeline: fakeTo({ plugin_name: 'Jdbc', url: scratch!.url, password: RAW_PASSWORD, table: 'landed' }),
    };
    expect((await server.graphql(CREATE_JOB, { input: raw }, 'admin')).errors).toBeUndefined();
    const rawRun = await runToEnd('raw-password-by-admin');
    expect(rawRun.status).toBe('FINISHED'); // the sealed password was opened on the node

    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const res = await server.graphql(
        `query($id: ID!) { job(name: "raw-password-by-admin") { definition } run(id: $id) { vertices { config } } }`,
        { id: rawRun.id },
        role,
      );
      expect(res.errors).toBeUndefined();
      const text = JSON.stringify(res.data);
      expect(text).not.toContain(RAW_PASSWORD);
      expect(res.data.job.definition.sink[0].password).toBe('[redacted]');
      expect(res.data.run.vertices[1].config.password).toBe('[redacted]');
    }
    // An admin cannot smuggle a password inside a URL either (it would be stored as text).
    const inUrl = await server.graphql(
      CREATE_JOB,
      {
        input: {
          name: 'password-in-url',
          pipeline: fakeTo({ plugin_name: 'Jdbc', url: 'postgresql://u:pw@h/db', table: 't' }),
        },
      },
      'admin',
    );
    expect(code(inUrl)).toBe('BAD_USER_INPUT');
    expect(inUrl.errors![0]!.extensions!.inputPath).toBe('input.pipeline.sink[0].url');
  });
});

describe.skipIf(!usingPostgres)("jobgate's own database is never a target (jobgate on PostgreSQL)", () => {
  it('a Jdbc source or sink pointed at it by another host spelling fails; api_tokens is untouched, no row leaks', async () => {
    const own = new URL(server.databaseUrl!);
    own.hostname = own.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
    const tokensBefore = await readTokens();
    const created = await server.graphql(
      CREATE_CONNECTION,
      { input: { name: 'sneaky', url: own.toString() } },
      'admin',
    );
    expect(created.errors).toBeUndefined();

    await server.graphql(
      CREATE_JOB,
      {
        input: {
          name: 'write-own',
          pipeline: {
            env: { 'job.mode': 'BATCH' },
            source: [{ plugin_name: 'FakeSource', 'row.num': 1 }],
            sink: [{ plugin_name: 'Jdbc', connection: 'sneaky', table: 'api_tokens' }],
          },
        },
      },
      'operator',
    );
    const write = await runToEnd('write-own');
    expect(write.status).toBe('FAILED');
    expect(write.exceptions.join('\n')).toMatch(/jobgate's own database/);

    await server.graphql(
      CREATE_JOB,
      {
        input: {
          name: 'read-own',
          pipeline: {
            env: { 'job.mode': 'BATCH' },
            source: [{ plugin_name: 'Jdbc', connection: 'sneaky', query: 'select * from api_tokens' }],
            sink: [{ plugin_name: 'Console' }],
          },
        },
      },
      'operator',
    );
    const read = await runToEnd('read-own');
    expect(read.status).toBe('FAILED');
    expect(read.exceptions.join('\n')).toMatch(/jobgate's own database/);
    const lines = await server.graphql(
      `query($id: ID!) { logLines(runId: $id, first: 500) { nodes { message } } }`,
      { id: read.id },
      'viewer',
    );
    const logText = JSON.stringify(lines.data);
    for (const token of tokensBefore) {
      expect(logText).not.toContain(token.token_hash);
      expect(logText).not.toContain(token.name);
    }
    expect(await readTokens()).toEqual(tokensBefore);
    const direct = postgres(server.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const [t] = await direct`select to_regclass('jobgate_sink_offsets') is not null as present`;
      expect(t?.present).toBe(false); // the sink never got as far as preparing its table
    } finally {
      await direct.end();
    }
  });

  async function readTokens() {
    const direct = postgres(server.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      return await direct<{ id: string; name: string; token_hash: string }[]>`
        select id::text, name, token_hash from api_tokens order by id`;
    } finally {
      await direct.end();
    }
  }
});
if (!usingPostgres) {
  it.skip("jobgate's own database as a Jdbc target: needs TEST_DATABASE_URL (PGlite is not reachable over TCP, so there is nothing to refuse)", () => {});
}

describe('secrets at rest and in logs', () => {
  it('a database error in a request is logged without the statement parameters, bounded in size', async () => {
    // A NUL byte cannot be stored in jsonb: the insert fails inside the database with the whole
    // definition as its parameter. (Once input validation refuses NUL bytes up front, nothing is
    // logged at all, which is just as good.)
    const marker = `param-marker-${randomBytes(6).toString('hex')}`;
    const before = server.process.output().length;
    const res = await server.graphql(
      CREATE_JOB,
      {
        input: {
          name: 'nul-in-definition',
          pipeline: fakeTo({ plugin_name: 'Console', note: `${marker}\u0000${'x'.repeat(200_000)}` }),
        },
      },
      'admin',
    );
    expect(['INTERNAL_SERVER_ERROR', 'BAD_USER_INPUT']).toContain(code(res));
    // The error line is written before the answer, but reaches this process's pipe on its own time.
    if (code(res) === 'INTERNAL_SERVER_ERROR') {
      // Positive control: the line is there, so whatever it would leak is there too.
      await until('the error line on stdout', () =>
        server.process.output().slice(before).includes('unexpected error'),
      );
      const logged = server.process.output().slice(before);
      expect(logged).not.toContain(marker);
      for (const line of logged.split('\n')) expect(line.length).toBeLessThan(32_768);
    }
    expect(server.process.output()).not.toContain(PASSWORD);
    expect(server.process.output()).not.toContain(RAW_PASSWORD);
  });

  it('the database holds no plaintext password: not in connections, job versions or vertex configs', async () => {
    let database: Database;
    if (server.databaseUrl) {
      database = await createDatabase({ url: server.databaseUrl, maxConnections: 1 });
    } else {
      // PGlite admits one process: stop the server first (its data directory stays until stop()).
      expect(await server.process.stop('SIGTERM')).toBe(0);
      database = await createDatabase({ dataDir: join(server.dataDir, 'pgdata') });
    }
    try {
      const [dump] = await database.query<{ text: string }>(
        `select coalesce((select string_agg(c::text, ' ') from connections c), '') || ' ' ||
                coalesce((select string_agg(v.definition::text, ' ') from job_versions v), '') || ' ' ||
                coalesce((select string_agg(x.config::text, ' ') from vertices x), '') || ' ' ||
                coalesce((select string_agg(a.details::text, ' ') from audit_events a), '') as text`,
        [],
      );
      expect(dump!.text).not.toContain('hunter2'); // given inside a connection URL
      expect(dump!.text).not.toContain(PASSWORD);
      expect(dump!.text).not.toContain(RAW_PASSWORD);
      if (reachable) expect(dump!.text).toContain('$sealed'); // positive control: a sealed value is there
      expect(dump!.text).toContain('db.example'); // positive control: the connection is there
    } finally {
      await database.close();
    }
    if (!server.databaseUrl) {
      stopped = true;
      await server.stop();
    }
  });
});
