// Role boundaries of shell jobs and input validation, attacked through a real `jobgate serve` with
// real tokens; `--no-commands` on existing shell jobs, in-process (it needs the same database before
// and after the switch).
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs, runs, scheduleTicks } from '../../src/db/schema/index.ts';
import { createEventFeed, createLogFeed, createMetricFeed, ensureCluster } from '../../src/runtime/index.ts';
import { fireSchedules } from '../../src/runtime/schedule/fire-schedules.ts';
import { takeLeaderTerm } from '../../src/runtime/coordinator/fence.ts';
import { testSecrets } from '../support/secrets.ts';
import { buildApp } from '../../src/server/app.ts';
import { createTestApp, silentLogger, type TestApp } from '../support/app.ts';
import { killLeftovers } from '../support/processes.ts';
import { startSecureServer, type GraphQLAnswer, type SecureServer } from './serve.ts';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { name version } } }`;
const UPDATE = `mutation ($input: UpdateJobInput!) { updateJob(input: $input) { job { name version } } }`;
const DELETE = `mutation ($name: String!) { deleteJob(name: $name) { job { name } } }`;
const START = `mutation ($job: String!) { startJob(input: { job: $job }) { run { id } } }`;
const JOB = `query ($name: String!) { job(name: $name) {
  name version schedule timezone disabled retries kind parallelism checkpointIntervalMs restartStrategy
  definition parentJob { name } } }`;
const PIPELINE = { source: [{ plugin_name: 'FakeSource' }], sink: [{ plugin_name: 'Blackhole' }] };

const code = (a: GraphQLAnswer) => a.errors?.[0]?.extensions?.code;
const inputPath = (a: GraphQLAnswer) => a.errors?.[0]?.extensions?.inputPath;

let server: SecureServer;
beforeAll(async () => {
  server = await startSecureServer();
}, 180_000);
afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0);
  expect(await killLeftovers()).toBe(0);
});

describe('shell jobs are an admin matter', () => {
  it('an operator cannot define one, change or delete an admin one, but can start it', async () => {
    const shell = { name: 'admin-shell', schedule: '@manually', command: { command: 'echo hi' } };
    expect(code(await server.graphql(CREATE, { input: { ...shell, name: 'op-shell' } }, 'operator'))).toBe(
      'FORBIDDEN',
    );
    const steps = { name: 'op-steps', steps: [{ name: 'a', command: 'id' }] };
    expect(code(await server.graphql(CREATE, { input: steps }, 'operator'))).toBe('FORBIDDEN');
    expect((await server.graphql(CREATE, { input: shell }, 'admin')).errors).toBeUndefined();
    const before = (await server.graphql(JOB, { name: 'admin-shell' }, 'viewer')).data!.job;

    const changes: Record<string, unknown>[] = [
      { schedule: '@every 1s' },
      { timezone: 'Europe/Paris' },
      { parentJob: 'op-pipe' },
      { command: { command: 'cat /etc/shadow' } },
      { pipeline: PIPELINE },
      { disabled: true },
      { retries: 5 },
      { restartStrategy: { type: 'fixed-delay', attempts: 9 } },
    ];
    expect(
      (await server.graphql(CREATE, { input: { name: 'op-pipe', pipeline: PIPELINE } }, 'operator')).errors,
    ).toBeUndefined();
    for (const change of changes) {
      const answer = await server.graphql(UPDATE, { input: { name: 'admin-shell', ...change } }, 'operator');
      expect(code(answer), JSON.stringify(change)).toBe('FORBIDDEN');
    }
    expect(code(await server.graphql(DELETE, { name: 'admin-shell' }, 'operator'))).toBe('FORBIDDEN');
    expect((await server.graphql(JOB, { name: 'admin-shell' }, 'viewer')).data!.job).toEqual(before);

    // Starting is an operator verb: it runs only what an admin wrote.
    const started = await server.graphql(START, { job: 'admin-shell' }, 'operator');
    expect(started.errors).toBeUndefined();
    expect(started.data!.startJob.run.id).toMatch(/^[0-9a-f]{32}$/);

    // The same changes by an admin go through (the positive control).
    const changed = await server.graphql(
      UPDATE,
      { input: { name: 'admin-shell', schedule: '@every 1h' } },
      'admin',
    );
    expect(changed.errors).toBeUndefined();
  });

  it("an operator cannot turn a pipeline job into a shell job, but may hang it under an admin's shell job", async () => {
    const turn = await server.graphql(
      UPDATE,
      { input: { name: 'op-pipe', command: { command: 'id' } } },
      'operator',
    );
    expect(code(turn)).toBe('FORBIDDEN');
    const job = (await server.graphql(JOB, { name: 'op-pipe' }, 'viewer')).data!.job;
    expect(job.kind).toBe('PIPELINE');
    expect(job.version).toBe(1);
    // The child runs a pipeline when the shell parent finishes: nothing the operator could not start.
    const parented = await server.graphql(
      UPDATE,
      { input: { name: 'op-pipe', parentJob: 'admin-shell' } },
      'operator',
    );
    expect(parented.errors).toBeUndefined();
    expect((await server.graphql(JOB, { name: 'op-pipe' }, 'viewer')).data!.job.parentJob).toEqual({
      name: 'admin-shell',
    });
  });
});

describe('settings are checked when saved', () => {
  it('a job may not be its own parent, nor its own ancestor', async () => {
    const self = await server.graphql(
      CREATE,
      { input: { name: 'selfish', parentJob: 'selfish', pipeline: PIPELINE } },
      'admin',
    );
    expect(code(self)).toBe('BAD_USER_INPUT');
    expect(inputPath(self)).toBe('input.parentJob');
    expect(code(await server.graphql(JOB, { name: 'selfish' }, 'viewer'))).toBe('NOT_FOUND');

    await server.graphql(CREATE, { input: { name: 'cyc-a', pipeline: PIPELINE } }, 'operator');
    const b = await server.graphql(
      CREATE,
      { input: { name: 'cyc-b', parentJob: 'cyc-a', pipeline: PIPELINE } },
      'operator',
    );
    expect(b.errors).toBeUndefined();
    const c = await server.graphql(
      CREATE,
      { input: { name: 'cyc-c', parentJob: 'cyc-b', pipeline: PIPELINE } },
      'operator',
    );
    expect(c.errors).toBeUndefined();
    for (const parent of ['cyc-a', 'cyc-b', 'cyc-c']) {
      const answer = await server.graphql(
        UPDATE,
        { input: { name: 'cyc-a', parentJob: parent } },
        'operator',
      );
      expect(code(answer), parent).toBe('BAD_USER_INPUT');
      expect(inputPath(answer)).toBe('input.parentJob');
    }
    const a = (await server.graphql(JOB, { name: 'cyc-a' }, 'viewer')).data!.job;
    expect(a.parentJob).toBeNull();
    expect(a.version).toBe(1);
  });

  it('an unknown timezone and an @at in the past are refused, nothing stored', async () => {
    const zone = await server.graphql(
      CREATE,
      { input: { name: 'tz', schedule: '0 3 * * *', timezone: 'Mars/Olympus_Mons', pipeline: PIPELINE } },
      'operator',
    );
    expect(code(zone)).toBe('BAD_USER_INPUT');
    expect(inputPath(zone)).toBe('input.timezone');
    const past = await server.graphql(
      CREATE,
      { input: { name: 'past', schedule: '@at 2020-01-01T00:00:00Z', pipeline: PIPELINE } },
      'operator',
    );
    expect(code(past)).toBe('BAD_USER_INPUT');
    expect(inputPath(past)).toBe('input.schedule');
    for (const name of ['tz', 'past'])
      expect(code(await server.graphql(JOB, { name }, 'viewer'))).toBe('NOT_FOUND');
    const later = await server.graphql(
      UPDATE,
      { input: { name: 'cyc-a', timezone: 'Nowhere/City' } },
      'operator',
    );
    expect(inputPath(later)).toBe('input.timezone');
    // Positive control: a real zone and a future @at are stored.
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await server.graphql(
      CREATE,
      { input: { name: 'tz-ok', schedule: `@at ${future}`, timezone: 'Europe/Paris', pipeline: PIPELINE } },
      'operator',
    );
    expect(ok.errors).toBeUndefined();
    expect((await server.graphql(JOB, { name: 'tz-ok' }, 'viewer')).data!.job.timezone).toBe('Europe/Paris');
  });

  it('updateJob applies parallelism, restartStrategy and checkpointIntervalMs (as a new version)', async () => {
    await server.graphql(CREATE, { input: { name: 'tuned', pipeline: PIPELINE } }, 'operator');
    const strategy = { type: 'exponential-delay', attempts: 4, delayMs: 500, maxDelayMs: 8000 };
    const answer = await server.graphql(
      UPDATE,
      { input: { name: 'tuned', parallelism: 3, checkpointIntervalMs: 2500, restartStrategy: strategy } },
      'operator',
    );
    expect(answer.errors).toBeUndefined();
    const job = (await server.graphql(JOB, { name: 'tuned' }, 'viewer')).data!.job;
    expect(job).toMatchObject({
      version: 2,
      parallelism: 3,
      checkpointIntervalMs: 2500,
      restartStrategy: strategy,
    });
    // Each alone, and kept by the next change.
    await server.graphql(UPDATE, { input: { name: 'tuned', parallelism: 2 } }, 'operator');
    expect((await server.graphql(JOB, { name: 'tuned' }, 'viewer')).data!.job).toMatchObject({
      version: 3,
      parallelism: 2,
      checkpointIntervalMs: 2500,
      restartStrategy: strategy,
    });
    // Out of range is refused, not ignored; a shell job refuses what it cannot honour.
    const bad = await server.graphql(UPDATE, { input: { name: 'tuned', parallelism: 0 } }, 'operator');
    expect(inputPath(bad)).toBe('input.parallelism');
    const shell = await server.graphql(UPDATE, { input: { name: 'admin-shell', parallelism: 4 } }, 'admin');
    expect(inputPath(shell)).toBe('input.parallelism');
    expect((await server.graphql(JOB, { name: 'tuned' }, 'viewer')).data!.job.version).toBe(3);
  });
});

describe('strings no field can take', () => {
  it('a 1 MB cluster name, NUL and lone surrogates are BAD_USER_INPUT naming the field, with short log lines', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'huge', cluster: 'c'.repeat(1_000_000), pipeline: PIPELINE }, 'input.cluster'],
      [{ name: 'long-cluster', cluster: 'c'.repeat(300), pipeline: PIPELINE }, 'input.cluster'],
      [{ name: 'nul\u0000name', pipeline: PIPELINE }, 'input.name'],
      [{ name: 'sur', tags: { team: 'a\uD800b' }, pipeline: PIPELINE }, 'input.tags.team'],
      [{ name: 'sur2', pipeline: { ...PIPELINE, env: { 'k\uDC00': 1 } } }, 'input.pipeline.env.<key>'],
      [
        {
          name: 'nul-json',
          pipeline: { source: [{ plugin_name: 'FakeSource\u0000' }], sink: [{ plugin_name: 'Blackhole' }] },
        },
        'input.pipeline.source[0].plugin_name',
      ],
    ];
    const outputBefore = server.process.output().length;
    for (const [input, path] of cases) {
      const answer = await server.graphql(CREATE, { input }, 'admin');
      expect(code(answer), path).toBe('BAD_USER_INPUT');
      expect(inputPath(answer), path).toBe(path);
      expect(answer.errors![0]!.message.length).toBeLessThan(500);
    }
    // In queries and inline literals too.
    const query = await server.graphql(`{ job(name: "a\\u0000b") { name } }`, {}, 'viewer');
    expect(code(query)).toBe('BAD_USER_INPUT');
    expect(inputPath(query)).toBe('name');
    const fallback = await server.graphql(
      `query ($n: String! = "a\\u0000b") { job(name: $n) { name } }`,
      {},
      'viewer',
    );
    expect(inputPath(fallback)).toBe('name');
    const search = await server.graphql(
      `query ($s: String) { jobs(name: $s) { totalCount } }`,
      { s: '\uDFFF' },
      'viewer',
    );
    expect(inputPath(search)).toBe('name');
    const cluster = await server.graphql(
      `query ($n: String!) { cluster(name: $n) { id } }`,
      { n: 'x'.repeat(5000) },
      'viewer',
    );
    expect(code(cluster)).toBe('BAD_USER_INPUT');

    const clusters = (await server.graphql(`{ clusters { name } }`, {}, 'viewer')).data!.clusters;
    expect(clusters).toEqual([{ name: 'default' }]);
    const log = server.process.output().slice(outputBefore);
    for (const line of log.split('\n')) expect(line.length).toBeLessThan(2_000);
    expect(log).not.toMatch(/INTERNAL_SERVER_ERROR|unexpected error/i);
    expect((await server.health()).ok).toBe(true);
  });
});

describe('--no-commands stops shell execution entirely', () => {
  let on: TestApp;
  afterAll(async () => {
    await on?.close();
  });

  it('an existing shell job does not start, restart or fire on schedule', async () => {
    on = await createTestApp({ authEnabled: true });
    const admin = await on.token('admin');
    const operator = await on.token('operator');
    await on.graphql(
      CREATE,
      { input: { name: 'sh', schedule: '@every 1s', command: { command: 'true' } } },
      admin,
    );
    await on.graphql(CREATE, { input: { name: 'pipe', pipeline: PIPELINE } }, admin);
    const run = await on.graphql(START, { job: 'sh' }, operator);
    expect(run.errors).toBeUndefined();

    // The same database, served with commands off.
    const off = buildApp({
      database: on.database,
      logger: silentLogger,
      settings: {
        authEnabled: true,
        heartbeatTimeoutMs: 5_000,
        commandsEnabled: false,
        events: createEventFeed(on.database),
        logFeed: createLogFeed(on.database),
        metricFeed: createMetricFeed(on.database),
      },
      host: '127.0.0.1',
      port: 0,
      secrets: testSecrets,
    });
    const call = async (query: string, variables: Record<string, unknown>, token: string) =>
      (await (
        await off.yoga.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        })
      ).json()) as GraphQLAnswer;
    for (const token of [operator, admin]) {
      const refused = await call(START, { job: 'sh' }, token);
      expect(code(refused)).toBe('FORBIDDEN');
      expect(refused.errors![0]!.message).toMatch(/--no-commands/);
    }
    const restart = await call(
      `mutation ($id: ID!) { restartJob(input: { runId: $id, mode: WHOLE }) { run { id } } }`,
      { id: run.data!.startJob.run.id },
      admin,
    );
    expect(code(restart)).toBe('FORBIDDEN');
    const created = await call(CREATE, { input: { name: 'sh2', command: { command: 'true' } } }, admin);
    expect(code(created)).toBe('BAD_USER_INPUT');
    // Pipelines still start (the positive control).
    expect((await call(START, { job: 'pipe' }, operator)).errors).toBeUndefined();
    const [job] = await on.database.db.select().from(jobs).where(eq(jobs.name, 'sh'));
    expect(await on.database.db.select().from(runs).where(eq(runs.jobId, job!.id))).toHaveLength(1);

    // The scheduler records the tick as skipped, with the reason, where commands are off...
    const clusterId = await ensureCluster(on.database, 'default');
    const fence = {
      clusterId,
      term: await takeLeaderTerm(on.database, clusterId),
      signal: new AbortController().signal,
    };
    const later = new Date(Date.now() + 10_000);
    await fireSchedules(on.database, fence, { logger: silentLogger, now: later, commandsEnabled: false });
    const ticks = await on.database.db.select().from(scheduleTicks).where(eq(scheduleTicks.jobId, job!.id));
    expect(ticks).toHaveLength(1);
    expect(ticks[0]).toMatchObject({ outcome: 'SKIPPED', reason: expect.stringMatching(/--no-commands/) });
    // ...and fires it where they are on (the positive control).
    await fireSchedules(on.database, fence, {
      logger: silentLogger,
      now: new Date(later.getTime() + 5_000),
      commandsEnabled: true,
    });
    const fired = await on.database.db
      .select()
      .from(scheduleTicks)
      .where(and(eq(scheduleTicks.jobId, job!.id), eq(scheduleTicks.outcome, 'FIRED')));
    expect(fired).toHaveLength(1);
  });
});
