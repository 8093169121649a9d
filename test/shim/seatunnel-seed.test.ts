// The SeaTunnel seed (seeds/003: Zeta 2.3.7's REST API page) as curl commands against a served
// gateway, unchanged but for host:port: every endpoint it documents answers in Zeta's shape, the
// seed's FakeSource → Console job runs to FINISHED with its rows in the run's log, the seed's
// encrypt-config answer comes back byte for byte, and the seed's stop-job id keeps all its digits.
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  curl,
  curlPost,
  MAPS,
  startSeaTunnelHarness,
  waitForJobStatus,
  type SeaTunnelHarness,
} from './seatunnel-harness.ts';

let h: SeaTunnelHarness;
beforeAll(async () => {
  h = await startSeaTunnelHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The seed's submit-job body, as the page prints it. */
const SEED_JOB = `{
"env": {
"job.mode": "batch"
},
"source": [
{
"plugin_name": "FakeSource",
"result_table_name": "fake",
"row.num": 100,
"schema": {
"fields": {
"name": "string",
"age": "int",
"card": "int"
}
}
}
],
"transform": [
],
"sink": [
{
"plugin_name": "Console",
"source_table_name": ["fake"]
}
]
}`;

const SEED_ENCRYPT = `{
"env": {
"parallelism": 1,
"shade.identifier":"base64"
},
"source": [
{
"plugin_name": "MySQL-CDC",
"schema" : {
"fields": {
"name": "string",
"age": "int"
}
},
"result_table_name": "fake",
"parallelism": 1,
"hostname": "127.0.0.1",
"username": "seatunnel",
"password": "seatunnel_password",
"table-name": "inventory_vwyw0n"
}
],
"transform": [
],
"sink": [
{
"plugin_name": "Clickhouse",
"host": "localhost:8123",
"database": "default",
"table": "fake_all",
"username": "seatunnel",
"password": "seatunnel_password"
}
]
}`;

const SEED_ENCRYPTED = {
  env: { parallelism: 1, 'shade.identifier': 'base64' },
  source: [
    {
      plugin_name: 'MySQL-CDC',
      schema: { fields: { name: 'string', age: 'int' } },
      result_table_name: 'fake',
      parallelism: 1,
      hostname: '127.0.0.1',
      username: 'c2VhdHVubmVs',
      password: 'c2VhdHVubmVsX3Bhc3N3b3Jk',
      'table-name': 'inventory_vwyw0n',
    },
  ],
  transform: [],
  sink: [
    {
      plugin_name: 'Clickhouse',
      host: 'localhost:8123',
      database: 'default',
      table: 'fake_all',
      username: 'c2VhdHVubmVs',
      password: 'c2VhdHVubmVsX3Bhc3N3b3Jk',
    },
  ],
};

const OVERVIEW_KEYS = [
  'projectVersion',
  'gitCommitAbbrev',
  'totalSlot',
  'unassignedSlot',
  'works',
  'runningJobs',
  'finishedJobs',
  'failedJobs',
  'cancelledJobs',
];

describe('the seed’s curl commands', () => {
  it('GET overview answers string counts; tags filter the workers', async () => {
    const all = await curl([`${h.open}${MAPS}/overview`]);
    expect(all.status).toBe(200);
    expect(all.body).toBeTypeOf('object');
    expect(Object.keys(all.body)).toEqual(OVERVIEW_KEYS);
    for (const value of Object.values(all.body)) expect(value).toBeTypeOf('string');
    expect(all.body.works).toBe('1');
    expect(all.body.totalSlot).toBe('8');
    expect([all.body.runningJobs, all.body.finishedJobs, all.body.cancelledJobs]).toEqual(['0', '0', '0']);
    const tagged = await curl([`${h.open}${MAPS}/overview?tag1=value1&tag2=value2`]);
    expect(tagged.status).toBe(200);
    expect(tagged.body.works).toBe('0');
    expect(tagged.body.totalSlot).toBe('0');
    // The node carries zone=a and disk=ssd: every tag asked must match.
    const matching = await curl([`${h.open}${MAPS}/overview?zone=a&disk=ssd`]);
    expect([matching.body.works, matching.body.totalSlot]).toEqual(['1', '8']);
    const partly = await curl([`${h.open}${MAPS}/overview?zone=a&disk=hdd`]);
    expect(partly.body.works).toBe('0');
  });

  it('submit-job runs the seed’s FakeSource → Console job to FINISHED, rows in the log', async () => {
    const submitted = await curlPost(`${h.open}${MAPS}/submit-job`, SEED_JOB);
    expect(submitted.status).toBe(200);
    expect(Object.keys(submitted.body)).toEqual(['jobId', 'jobName']);
    expect(submitted.body.jobId).toMatch(/^\d{15,19}$/);
    expect(submitted.body.jobName).toBe('SeaTunnel_Job');
    const jobId: string = submitted.body.jobId;

    const finished = await waitForJobStatus(h.open, jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(finished.jobStatus).toBe('FINISHED');
    expect(Object.keys(finished)).toEqual([
      'jobId',
      'jobName',
      'jobStatus',
      'errorMsg',
      'createTime',
      'finishTime',
      'jobDag',
      'pluginJarsUrls',
      'metrics',
    ]);
    expect(finished.jobId).toBe(jobId);
    expect(finished.errorMsg).toBeNull();
    expect(finished.createTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(finished.finishTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(finished.jobDag.jobId).toBe(jobId);
    expect(finished.jobDag.vertexInfoMap.map((v: any) => v.type)).toEqual(['source', 'sink']);
    expect(finished.jobDag.pipelineEdges['1']).toEqual([{ inputVertexId: '1', targetVertexId: '2' }]);
    expect(finished.jobDag.envOptions).toEqual({ 'job.mode': 'batch' });
    const metrics = await waitForJobMetrics(jobId);
    expect(metrics.SourceReceivedCount).toBe('100');
    expect(metrics.SinkWriteCount).toBe('100');

    // The Console sink's rows are in the run's log.
    const { data } = await h.t.graphql(`query($name: String!) { job(name: $name) { latestRun { id } } }`, {
      name: `seatunnel-${jobId}`,
    });
    const runId = data!.job.latestRun.id;
    const logs = await h.t.graphql(
      `query($runId: ID!) { logLines(runId: $runId, first: 500) { nodes { message vertex } } }`,
      { runId },
    );
    const lines: { message: string }[] = logs.data!.logLines.nodes;
    const rows = lines.filter((line) => /\brow\b/.test(line.message) && /name/.test(line.message));
    expect(rows.length).toBeGreaterThan(0);
    expect(lines.some((line) => /console sink finished/.test(line.message) && /100/.test(line.message))).toBe(
      true,
    );

    // And through Zeta's log routes: the job's file is listed, and holds the rows.
    const files = await curl([`${h.open}${MAPS}/logs/${jobId}?format=json`]);
    expect(files.status).toBe(200);
    expect(files.body).toHaveLength(1);
    expect(files.body[0].logName).toBe(`job-${jobId}.log`);
    const file = await curl([files.body[0].logLink]);
    expect(file.status).toBe(200);
    const fileRows = file.text.split('\n').filter((line) => /\brow\b/.test(line) && /name/.test(line));
    expect(fileRows.length).toBe(rows.length);
    const all = await curl([`${h.open}${MAPS}/logs`]);
    expect(all.text).toContain(`job-${jobId}.log`);

    // The same job through the deprecated alias and the finished list.
    const alias = await curl([`${h.open}${MAPS}/running-job/${jobId}`]);
    expect(alias.body).toEqual((await curl([`${h.open}${MAPS}/job-info/${jobId}`])).body);
    const byState = await curl([`${h.open}${MAPS}/finished-jobs/FINISHED`]);
    expect(byState.status).toBe(200);
    expect(byState.body.map((j: any) => j.jobId)).toContain(jobId);
    const lower = await curl([`${h.open}${MAPS}/finished-jobs/finished`]);
    expect(lower.body.map((j: any) => j.jobId)).toContain(jobId);
    const canceled = await curl([`${h.open}${MAPS}/finished-jobs/CANCELED`]);
    expect(canceled.body.map((j: any) => j.jobId)).not.toContain(jobId);
    const running = await curl([`${h.open}${MAPS}/running-jobs`]);
    expect(running.status).toBe(200);
    expect(running.body.map((j: any) => j.jobId)).not.toContain(jobId);
    const overview = await curl([`${h.open}${MAPS}/overview`]);
    expect(overview.body.finishedJobs).toBe('1');
    expect(overview.body.runningJobs).toBe('0');
  });

  it('submit-job honours ?jobId= and ?jobName=', async () => {
    const jobId = '733584788375666690';
    const submitted = await curlPost(
      `${h.open}${MAPS}/submit-job?jobId=${jobId}&jobName=rest_api_test`,
      SEED_JOB,
    );
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe(`{"jobId":"${jobId}","jobName":"rest_api_test"}`);
    const finished = await waitForJobStatus(h.open, jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(finished.jobStatus).toBe('FINISHED');
    expect(finished.jobName).toBe('rest_api_test');
  });

  it('job-info of a job it does not know answers 200 with the id', async () => {
    const info = await curl([`${h.open}${MAPS}/job-info/733584788375666689`]);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ jobId: '733584788375666689' });
    const bad = await curl([`${h.open}${MAPS}/job-info/abc`]);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: 'fail', message: 'For input string: "abc"' });
  });

  it('GET system-monitoring-information answers this process’s and machine’s numbers as strings', async () => {
    const answer = await curl([`${h.open}${MAPS}/system-monitoring-information`]);
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(1);
    const info = answer.body[0];
    for (const value of Object.values(info)) expect(value).toBeTypeOf('string');
    expect(info.processors).toBe(String(availableParallelism()));
    expect(info['physical.memory.total']).toMatch(/^\d+\.\d[KMGT]$/);
    expect(info['heap.memory.used']).toMatch(/^\d+\.\d[KMGT]$/);
    expect(info['heap.memory.used/total']).toMatch(/^\d+\.\d\d%$/);
    expect(Number(info['thread.count'])).toBeGreaterThan(0);
  });

  it('GET thread-dump lists this process’s threads in Zeta’s shape', async () => {
    const answer = await curl([`${h.open}${MAPS}/thread-dump`]);
    expect(answer.status).toBe(200);
    expect(answer.body.length).toBeGreaterThan(0);
    for (const thread of answer.body) {
      expect(Object.keys(thread)).toEqual(['threadName', 'threadId', 'threadState', 'stackTrace']);
      expect(thread.threadId).toBeTypeOf('number');
    }
    // The gateway's own process: its first thread's id is its pid (on Linux) or the one thread.
    expect(answer.body.map((t: any) => t.threadId)).toContain(process.pid);
  });

  it('stop-job with the seed’s body answers the id with every digit', async () => {
    const stopped = await curlPost(
      `${h.open}${MAPS}/stop-job`,
      `{
"jobId": 733584788375666689,
"isStopWithSavePoint": false
}`,
    );
    expect(stopped.status).toBe(200);
    expect(stopped.text).toBe('{"jobId":"733584788375666689"}');
  });

  it('encrypt-config answers the seed’s encrypted config', async () => {
    const answer = await curlPost(`${h.open}${MAPS}/encrypt-config`, SEED_ENCRYPT);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(SEED_ENCRYPTED);
    expect(answer.text).toBe(JSON.stringify(SEED_ENCRYPTED));
  });

  it('is mounted under /compat/seatunnel on the main port too', async () => {
    const answer = await curl([`${h.openMain}/compat/seatunnel${MAPS}/overview`]);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(OVERVIEW_KEYS);
  });
});

/** Metrics are flushed a moment after the run ends: wait for the sink's count to arrive. */
async function waitForJobMetrics(jobId: string) {
  const { until } = await import('../support/wait.ts');
  return until(
    'the job’s metrics',
    async () => {
      const info = await curl([`${h.open}${MAPS}/job-info/${jobId}`]);
      return info.body.metrics.SinkWriteCount === '100' ? info.body.metrics : null;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}
