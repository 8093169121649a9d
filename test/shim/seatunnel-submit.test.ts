// The SeaTunnel write side over real sockets: bad bodies answer Zeta's statuses and bodies and store
// nothing; a streaming job runs, stops with a savepoint (SAVEPOINT_DONE), starts again from it with
// isStartWithSavePoint, and cancels; submit-jobs and stop-jobs (ids as exact JSON numbers); roles as
// GraphQL has them; secrets sealed at rest and absent from every answer and log line.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revealSecrets } from '../../src/runtime/definition/secret-options.ts';
import { testSecrets } from '../support/secrets.ts';
import { until } from '../support/wait.ts';
import {
  curl,
  curlPost,
  MAPS,
  startSeaTunnelHarness,
  waitForJobStatus,
  type SeaTunnelHarness,
} from './seatunnel-harness.ts';

let h: SeaTunnelHarness;
let base: string;
let asOperator: string[];
beforeAll(async () => {
  h = await startSeaTunnelHarness();
  base = `${h.secured}${MAPS}`;
  asOperator = [`Authorization: Bearer ${h.tokens.operator}`];
});
afterAll(async () => {
  await h?.close();
});

const streaming = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    env: { 'job.mode': 'STREAMING', 'checkpoint.interval': 1000, ...extra },
    source: [
      {
        plugin_name: 'FakeSource',
        plugin_output: 'fake',
        'row.num': 1_000_000,
        'rows.per.second': 20,
        schema: { fields: { name: 'string', age: 'int' } },
      },
    ],
    transform: [],
    sink: [{ plugin_name: 'Console', plugin_input: ['fake'], 'log.print.data': false }],
  });

async function seatunnelJobCount(): Promise<number> {
  const { data } = await h.t.graphql(`{ jobs(name: "seatunnel-", first: 1) { totalCount } }`);
  return data!.jobs.totalCount;
}

async function latestRun(jobId: string) {
  const { data } = await h.t.graphql(
    `query($name: String!) { job(name: $name) { latestRun { id status restoredFrom { id kind } } } }`,
    { name: `seatunnel-${jobId}` },
  );
  return data!.job.latestRun;
}

describe('bad bodies', () => {
  const cases: [string, string, string, number, string | RegExp][] = [
    ['an empty body', '/submit-job', '', 400, 'Request body is empty.'],
    ['text that is no JSON', '/submit-job', '{"env": ', 400, 'Invalid JSON format in request body.'],
    ['an array', '/submit-job', '[]', 400, 'Invalid JSON format in request body.'],
    [
      'an unknown plugin',
      '/submit-job',
      '{"env":{"job.mode":"batch"},"source":[{"plugin_name":"NoSuchSource"}],"sink":[{"plugin_name":"Console"}]}',
      500,
      "Could not find any factory for identifier 'NoSuchSource' that implements 'org.apache.seatunnel.api.table.factory.TableSourceFactory' in the classpath.",
    ],
    [
      'a block without plugin_name',
      '/submit-job',
      '{"env":{"job.mode":"batch"},"source":[{"row.num":5}],"sink":[{"plugin_name":"Console"}]}',
      500,
      /plugin_name/,
    ],
    [
      'no source',
      '/submit-job',
      '{"env":{"job.mode":"batch"},"sink":[{"plugin_name":"Console"}]}',
      500,
      /source/,
    ],
    [
      'a savepoint start without jobId',
      '/submit-job?isStartWithSavePoint=true',
      streaming(),
      400,
      'Please provide jobId when start with save point.',
    ],
    ['a jobId that is no Long', '/submit-job?jobId=12x', streaming(), 400, 'For input string: "12x"'],
    [
      'a jobId past 64 bits',
      '/submit-job?jobId=9223372036854775808',
      streaming(),
      400,
      'For input string: "9223372036854775808"',
    ],
    [
      'submit-jobs without an array',
      '/submit-jobs',
      streaming(),
      400,
      'Invalid JSON format in request body.',
    ],
    [
      'params that are no object',
      '/submit-jobs',
      '[{"params": 3, "env": {}}]',
      400,
      'Invalid Params format in Params.',
    ],
    ['stop-job without jobId', '/stop-job', '{"isStopWithSavePoint": false}', 400, 'jobId cannot be empty.'],
    ['stop-job with an empty body', '/stop-job', '', 400, 'Request body is empty.'],
  ];

  it.each(cases)(
    '%s answers Zeta’s status and body and stores nothing',
    async (_what, path, body, status, message) => {
      const before = await seatunnelJobCount();
      const answer = await curlPost(`${base}${path}`, body, asOperator);
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.body)).toEqual(['status', 'message']);
      expect(answer.body.status).toBe('fail');
      if (typeof message === 'string') expect(answer.body.message).toBe(message);
      else expect(answer.body.message).toMatch(message);
      expect(await seatunnelJobCount()).toBe(before);
    },
  );

  it('a good body is stored (the positive control of the count above)', async () => {
    const before = await seatunnelJobCount();
    const answer = await curlPost(`${base}/submit-job`, streaming(), asOperator);
    expect(answer.status).toBe(200);
    expect(await seatunnelJobCount()).toBe(before + 1);
    await curlPost(`${base}/stop-job`, JSON.stringify({ jobId: answer.body.jobId }), asOperator);
    await waitForJobStatus(h.secured, answer.body.jobId, ['CANCELED'], asOperator);
  });

  it('an unknown path or method is a bare 404', async () => {
    const unknown = await curl([`${base}/no-such-thing`, '-H', asOperator[0]!]);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('');
    const wrongMethod = await curl([`${base}/submit-job`, '-H', asOperator[0]!]);
    expect(wrongMethod.status).toBe(404);
    const badState = await curl([`${base}/finished-jobs/DONE`, '-H', asOperator[0]!]);
    expect(badState.status).toBe(400);
    expect(badState.body).toEqual({
      status: 'fail',
      message: 'No enum constant org.apache.seatunnel.engine.core.job.JobStatus.DONE',
    });
  });
});

describe('a streaming job’s life', () => {
  it('runs, stops with a savepoint, restarts from it, and cancels', async () => {
    const jobId = '7335847883756666001';
    const submitted = await curlPost(
      `${base}/submit-job?jobId=${jobId}&jobName=life`,
      streaming(),
      asOperator,
    );
    expect(submitted.text).toBe(`{"jobId":"${jobId}","jobName":"life"}`);
    const running = await waitForJobStatus(h.secured, jobId, ['RUNNING'], asOperator);
    expect(Object.keys(running)).toEqual([
      'jobId',
      'jobName',
      'jobStatus',
      'envOptions',
      'createTime',
      'jobDag',
      'pluginJarsUrls',
      'isStartWithSavePoint',
      'metrics',
    ]);
    expect(running.isStartWithSavePoint).toBe(false);
    expect(running.envOptions['job.mode']).toBe('STREAMING');
    const list = await curl([`${base}/running-jobs`, '-H', asOperator[0]!]);
    expect(list.body.map((j: any) => j.jobId)).toContain(jobId);

    // The same id while it runs is refused, and changes nothing.
    const again = await curlPost(`${base}/submit-job?jobId=${jobId}`, streaming(), asOperator);
    expect(again.status).toBe(500);
    expect(again.body.message).toContain('has already been submitted');
    const firstRun = await latestRun(jobId);

    // Stop with a savepoint: SAVEPOINT_DONE.
    await until('records flowing', async () => {
      const info = await curl([`${base}/job-info/${jobId}`, '-H', asOperator[0]!]);
      return Number(info.body.metrics.SourceReceivedCount) > 0;
    });
    const stopped = await curlPost(
      `${base}/stop-job`,
      `{"jobId": ${jobId}, "isStopWithSavePoint": true}`,
      asOperator,
    );
    expect(stopped.status).toBe(200);
    expect(stopped.text).toBe(`{"jobId":"${jobId}"}`);
    const done = await waitForJobStatus(
      h.secured,
      jobId,
      ['SAVEPOINT_DONE', 'FAILED', 'CANCELED'],
      asOperator,
    );
    expect(done.jobStatus).toBe('SAVEPOINT_DONE');
    const finished = await curl([`${base}/finished-jobs/SAVEPOINT_DONE`, '-H', asOperator[0]!]);
    expect(finished.body.map((j: any) => j.jobId)).toContain(jobId);

    // Start again from the savepoint: a new run of the same job, restored from it.
    const restarted = await curlPost(
      `${base}/submit-job?jobId=${jobId}&isStartWithSavePoint=true`,
      streaming(),
      asOperator,
    );
    expect(restarted.status).toBe(200);
    const resumed = await waitForJobStatus(h.secured, jobId, ['RUNNING'], asOperator);
    expect(resumed.isStartWithSavePoint).toBe(true);
    const secondRun = await latestRun(jobId);
    expect(secondRun.id).not.toBe(firstRun.id);
    expect(secondRun.restoredFrom.kind).toBe('SAVEPOINT');

    // Cancel: CANCELED, counted on the overview.
    const canceled = await curlPost(
      `${base}/stop-job`,
      `{"jobId": "${jobId}", "isStopWithSavePoint": false}`,
      asOperator,
    );
    expect(canceled.status).toBe(200);
    await waitForJobStatus(h.secured, jobId, ['CANCELED'], asOperator);
    const overview = await curl([`${base}/overview`, '-H', asOperator[0]!]);
    expect(Number(overview.body.cancelledJobs)).toBeGreaterThanOrEqual(1);
  });

  it('submit-jobs starts several and stop-jobs stops them, ids as exact JSON numbers', async () => {
    const ids = ['7335847883756667001', '7335847883756667002'];
    const body = `[${ids.map((id) => streaming().replace(/^\{/, `{"params":{"jobId":"${id}","jobName":"many-${id}"},`)).join(',')}]`;
    const submitted = await curlPost(`${base}/submit-jobs`, body, asOperator);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toEqual(ids.map((id) => ({ jobId: id, jobName: `many-${id}` })));
    for (const id of ids) await waitForJobStatus(h.secured, id, ['RUNNING'], asOperator);

    // An id Jackson reads as an Integer fails Zeta's cast to Long, before anything stops.
    const small = await curlPost(`${base}/stop-jobs`, `[{"jobId": ${ids[0]}}, {"jobId": 12}]`, asOperator);
    expect(small.status).toBe(500);
    expect(small.body.message).toContain('java.lang.Integer cannot be cast to class java.lang.Long');
    expect((await latestRun(ids[0]!)).status).toBe('RUNNING');

    const stopped = await curlPost(
      `${base}/stop-jobs`,
      `[${ids.map((id) => `{"jobId": ${id}, "isStopWithSavePoint": false}`).join(',')}]`,
      asOperator,
    );
    expect(stopped.status).toBe(200);
    expect(stopped.text).toBe(`[${ids.map((id) => `{"jobId":${id}}`).join(',')}]`);
    for (const id of ids) await waitForJobStatus(h.secured, id, ['CANCELED'], asOperator);
  });
});

describe('roles and auth', () => {
  it('asks for a token in Zeta’s error shape', async () => {
    const answer = await curl([`${base}/overview`]);
    expect(answer.status).toBe(401);
    expect(answer.body.status).toBe('fail');
    expect(answer.body.message).toBeTypeOf('string');
  });

  it('lets a viewer read but not submit or stop', async () => {
    const viewer = [`Authorization: Bearer ${h.tokens.viewer}`];
    expect((await curl([`${base}/overview`, '-H', viewer[0]!])).status).toBe(200);
    const before = await seatunnelJobCount();
    const refused = await curlPost(`${base}/submit-job`, streaming(), viewer);
    expect(refused.status).toBe(403);
    expect(refused.body.status).toBe('fail');
    expect(await seatunnelJobCount()).toBe(before);

    const jobId = '7335847883756668001';
    await curlPost(`${base}/submit-job?jobId=${jobId}`, streaming(), asOperator);
    await waitForJobStatus(h.secured, jobId, ['RUNNING'], asOperator);
    const stop = await curlPost(`${base}/stop-job`, `{"jobId": ${jobId}}`, viewer);
    expect(stop.status).toBe(403);
    expect((await latestRun(jobId)).status).toBe('RUNNING');
    await curlPost(`${base}/stop-job`, `{"jobId": ${jobId}}`, asOperator);
    await waitForJobStatus(h.secured, jobId, ['CANCELED'], asOperator);
  });
});

describe('secrets', () => {
  it('are sealed at rest and appear in no answer and no log line', async () => {
    const password = 'zeta-Secret-4711';
    const envToken = 'env-Token-0815';
    const shaded = Buffer.from(password).toString('base64');
    const config = {
      env: { 'job.mode': 'batch', 'shade.identifier': 'base64', 'access.token': envToken },
      source: [
        {
          plugin_name: 'FakeSource',
          plugin_output: 'fake',
          'row.num': 3,
          username: Buffer.from('zeta_user').toString('base64'),
          password: shaded,
          schema: { fields: { name: 'string' } },
        },
      ],
      sink: [{ plugin_name: 'Console', plugin_input: ['fake'] }],
    };
    const jobId = '7335847883756669001';
    const submitted = await curlPost(`${base}/submit-job?jobId=${jobId}`, JSON.stringify(config), asOperator);
    expect(submitted.status).toBe(200);
    const done = await waitForJobStatus(h.secured, jobId, ['FINISHED', 'FAILED'], asOperator);
    expect(done.jobStatus).toBe('FINISHED');
    expect(done.jobDag.envOptions['access.token']).toBe('[redacted]');

    const answers = [
      (await curl([`${base}/job-info/${jobId}`, '-H', asOperator[0]!])).text,
      (await curl([`${base}/finished-jobs`, '-H', asOperator[0]!])).text,
    ];
    const { data } = await h.t.graphql(
      `query($name: String!) { job(name: $name) { definition latestRun { id vertices { config } } } }`,
      { name: `seatunnel-${jobId}` },
    );
    answers.push(JSON.stringify(data));
    for (const text of answers) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(shaded);
      expect(text).not.toContain(envToken);
    }
    expect(data!.job.definition.source[0].password).toBe('[redacted]');

    // Stored sealed; the key opens the decrypted (un-shaded) password.
    const [stored] = await h.t.database.execute<{ definition: any }>(
      sql`select v.definition from job_versions v join jobs j on j.id = v.job_id where j.name = ${`seatunnel-${jobId}`}`,
    );
    const storedText = JSON.stringify(stored!.definition);
    expect(storedText).not.toContain(password);
    expect(storedText).not.toContain(shaded);
    expect(revealSecrets(stored!.definition, testSecrets).source[0].password).toBe(password);
    const [vertexRows] = await h.t.database.execute<{ configs: string }>(
      sql`select string_agg(config::text, ' ') as configs from vertices`,
    );
    expect(vertexRows!.configs).not.toContain(password);

    const [logs] = await h.t.database.execute<{ n: number }>(
      sql`select count(*)::int as n from log_lines where message like ${`%${password}%`} or message like ${`%${shaded}%`}`,
    );
    expect(logs!.n).toBe(0);
    // The gateway logged (positive control) and never the secret.
    expect(h.gatewayLog.length).toBeGreaterThan(0);
    const gatewayText = h.gatewayLog.join('');
    for (const secret of [password, shaded, envToken]) expect(gatewayText).not.toContain(secret);
  });
});
