// Flink's jar routes over a real socket: the seed's curl commands (upload, list, plan, run, delete)
// unchanged but for host:port, jars built with fflate and posted as curl's -F and as Node's FormData
// send them, Flink's 400s for what is not one jar, a jar without a jobgate definition refused at run
// time saying what jobgate needs, shell definitions held to the admin role, auth's 401/403 in Flink's
// error shape, and the upload route's larger but bounded body limit.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARTIFACT_BYTES } from '../../src/lib/artifact-size.ts';
import {
  curl,
  expectFlinkError,
  flinkSpecProblems,
  makeJar,
  startFlinkHarness,
  uploadJar,
  writeJarFile,
  type FlinkHarness,
} from './flink-write-harness.ts';

let h: FlinkHarness;
beforeAll(async () => {
  h = await startFlinkHarness();
});
afterAll(async () => {
  await h?.close();
});

const JAR_DIR = '/tmp/flink-web-jobgate/flink-web-upload';

const pipeline = (name: string) => ({
  env: { 'job.mode': 'STREAMING', 'job.name': name, parallelism: 1 },
  source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 50, plugin_output: 'src' }],
  transform: [{ plugin_name: 'Filter', plugin_input: 'src', plugin_output: 'kept', fields: ['id'] }],
  sink: [{ plugin_name: 'Blackhole', plugin_input: 'kept' }],
});

const asOperator = (init: RequestInit = {}) => ({
  ...init,
  headers: { authorization: `Bearer ${h.tokens.operator}`, ...init.headers },
});

async function runOf(id: string) {
  const res = await h.t.graphql(`query($id: ID!) { run(id: $id) { status parallelism job { name } } }`, {
    id,
  });
  return res.data!.run;
}

describe('the seed’s jar commands', () => {
  it('upload, list, plan, run and delete work with only host:port changed', async () => {
    const path = writeJarFile(
      h.dir,
      'flink-read-write-kafka-jar-with-dependencies.jar',
      makeJar(pipeline('seed-kafka')),
    );
    const up = await curl([
      '-X',
      'POST',
      '-H',
      'Expect:',
      '-F',
      `jarfile=@${path}`,
      `${h.open}/v1/jars/upload`,
    ]);
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('success');
    expect(up.body.filename).toMatch(
      new RegExp(`^${JAR_DIR}/[0-9a-f-]{36}_flink-read-write-kafka-jar-with-dependencies\\.jar$`),
    );
    const jarId = up.body.filename.split('/').pop();
    expect(flinkSpecProblems('POST', '/jars/upload', 200, up.body)).toEqual([]);

    const list = await curl(['-X', 'GET', `${h.open}/v1/jars`]);
    expect(list.status).toBe(200);
    expect(list.body.address).toBe(h.open);
    const file = list.body.files.find((f: any) => f.id === jarId);
    expect(file).toMatchObject({
      name: 'flink-read-write-kafka-jar-with-dependencies.jar',
      entry: [{ name: 'com.example.Pipeline', description: null }],
    });
    expect(Math.abs(file.uploaded - Date.now())).toBeLessThan(3_600_000);
    expect(flinkSpecProblems('GET', '/jars', 200, list.body)).toEqual([]);
    // Positive control: the same check refuses a body of the wrong shape.
    expect(flinkSpecProblems('GET', '/jars', 200, { files: [{ uploaded: 'today' }] })).not.toEqual([]);

    const args = JSON.stringify({
      programArgsList: ['--fromKafkaBrokers', 'node1:6667', '--toKafkaTopic', 'realtime_dashboard'],
      entryClass: 'com.bigdata.flink.ReadWriteKafka',
      parallelism: 2,
    });
    const plan = await curl([
      '-X',
      'GET',
      '-H',
      'Content-Type: application/json',
      '--data',
      args,
      `${h.open}/v1/jars/${jarId}/plan`,
    ]);
    expect(plan.status).toBe(200);
    expect(plan.body.plan).toMatchObject({ name: 'seed-kafka', type: 'STREAMING' });
    expect(plan.body.plan.jid).toMatch(/^[0-9a-f]{32}$/);
    const nodes = plan.body.plan.nodes;
    expect(nodes.map((n: any) => n.description)).toEqual([
      'Sink: Blackhole (sink-0)',
      'Transform: Filter (kept)',
      'Source: FakeSource (src)',
    ]);
    for (const node of nodes) {
      expect(node).toMatchObject({ operator: '', operator_strategy: '', optimizer_properties: {} });
      expect(node.id).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(nodes[0].inputs).toEqual([
      { num: 0, id: nodes[1].id, ship_strategy: 'FORWARD', exchange: 'pipelined_bounded' },
    ]);
    expect(nodes[2].inputs).toBeUndefined();
    expect(flinkSpecProblems('POST', '/jars/{jarid}/plan', 200, plan.body)).toEqual([]);

    const runBody = JSON.stringify({
      programArgsList: ['--fromKafkaBrokers', 'node1:6667'],
      entryClass: 'com.bigdata.flink.ReadWriteKafka',
      parallelism: 2,
      allowNonRestoredState: true,
      savepointPath: '',
    });
    const ran = await curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      runBody,
      `${h.open}/v1/jars/${jarId}/run`,
    ]);
    expect(ran.status).toBe(200);
    expect(Object.keys(ran.body)).toEqual(['jobid']);
    expect(ran.body.jobid).toMatch(/^[0-9a-f]{32}$/);
    expect(flinkSpecProblems('POST', '/jars/{jarid}/run', 200, ran.body)).toEqual([]);
    expect(await runOf(ran.body.jobid)).toMatchObject({ parallelism: 2, job: { name: 'seed-kafka' } });
    await h.t.waitForRun(ran.body.jobid, ['RUNNING']);

    const cancel = await curl(['-X', 'PATCH', `${h.open}/v1/jobs/${ran.body.jobid}`]);
    expect(cancel).toEqual({ status: 202, body: {} });
    await h.t.waitForRun(ran.body.jobid, ['CANCELED']);

    const gone = await curl(['-X', 'DELETE', `${h.open}/v1/jars/${jarId}`]);
    expect(gone).toEqual({ status: 200, body: {} });
    const again = await curl(['-X', 'DELETE', `${h.open}/v1/jars/${jarId}`]);
    expect(again.status).toBe(400);
    expectFlinkError(again.body, `File ${jarId} does not exist in ${JAR_DIR}.`);
  });
});

describe('uploads', () => {
  it('a jar posted as FormData is stored; POST plan takes parallelism from the body over the query', async () => {
    const up = await uploadJar(h.flink, h.tokens.operator, 'planned.jar', makeJar(pipeline('planned')));
    expect(up.status).toBe(200);
    const res = await fetch(
      `${h.flink}/jars/${up.jarId}/plan?parallelism=5`,
      asOperator({ method: 'POST', body: JSON.stringify({ parallelism: 3, jobId: 'ab'.repeat(16) }) }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const { plan } = (await res.json()) as any;
    expect(plan.jid).toBe('ab'.repeat(16));
    expect(plan.nodes.map((n: any) => n.parallelism)).toEqual([3, 3, 3]);
    const byQuery = await fetch(`${h.flink}/jars/${up.jarId}/plan?parallelism=4`, asOperator());
    expect(((await byQuery.json()) as any).plan.nodes[0].parallelism).toBe(4);
  });

  it('not one jar is Flink’s 400: no file, two files, another extension, not a zip', async () => {
    const two = new FormData();
    two.append('a', new Blob([Buffer.from(makeJar())]), 'a.jar');
    two.append('b', new Blob([Buffer.from(makeJar())]), 'b.jar');
    const none = new FormData();
    none.append('field', 'value');
    for (const [body, n] of [
      [two, 2],
      [none, 0],
    ] as const) {
      const res = await fetch(`${h.flink}/v1/jars/upload`, asOperator({ method: 'POST', body }));
      expect(res.status).toBe(400);
      expectFlinkError(await res.json(), `Exactly 1 file must be sent, received ${n}.`);
    }
    const json = await fetch(`${h.flink}/v1/jars/upload`, asOperator({ method: 'POST', body: '{}' }));
    expect(json.status).toBe(400);
    expectFlinkError(await json.json(), 'Exactly 1 file must be sent, received 0.');

    const zip = await uploadJar(h.flink, h.tokens.operator, 'pipeline.zip', makeJar(pipeline('zip')));
    expect(zip.status).toBe(400);
    expectFlinkError(zip.body, /RestHandlerException: Only Jar files are allowed\.$/);

    const text = await uploadJar(
      h.flink,
      h.tokens.operator,
      'fake.jar',
      new TextEncoder().encode('not a zip'),
    );
    expect(text.status).toBe(400);
    expectFlinkError(text.body, 'Only Jar files are allowed. input.content: not a jar (a zip archive)');
  });

  it('a jar without a definition uploads; its plan and run are 400s that say what jobgate needs', async () => {
    const up = await uploadJar(h.flink, h.tokens.operator, 'plain-java.jar', makeJar());
    expect(up.status).toBe(200);
    for (const route of ['plan', 'run']) {
      const res = await fetch(`${h.flink}/jars/${up.jarId}/${route}`, asOperator({ method: 'POST' }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expectFlinkError(body, '"plain-java.jar" has no jobgate/job.json');
      expect(body.errors[0]).toContain('a SeaTunnel-style pipeline');
    }
    const broken = await uploadJar(
      h.flink,
      h.tokens.operator,
      'broken.jar',
      makeJar(undefined, {
        'jobgate/job.json': new TextEncoder().encode('{not json'),
      }),
    );
    const res = await fetch(`${h.flink}/jars/${broken.jarId}/run`, asOperator({ method: 'POST' }));
    expect(res.status).toBe(400);
    expectFlinkError(await res.json(), 'jobgate/job.json is not JSON');
  });

  it('missing jars, malformed bodies and parameters get Flink’s answers', async () => {
    const missing = `00000000-0000-4000-8000-000000000000_nothing.jar`;
    for (const route of ['plan', 'run']) {
      const res = await fetch(`${h.flink}/jars/${missing}/${route}`, asOperator({ method: 'POST' }));
      expect(res.status).toBe(400);
      expectFlinkError(await res.json(), `Jar file ${JAR_DIR}/${missing} does not exist`);
    }
    const up = await uploadJar(h.flink, h.tokens.operator, 'bodies.jar', makeJar(pipeline('bodies')));
    const cases: [string, string, string][] = [
      ['run', '{"parallelism": ', 'Request did not match expected format JarRunRequestBody.'],
      ['run', '{"parallelism": "two"}', 'Request did not match expected format JarRunRequestBody.'],
      ['run', '{"allowNonRestoredState": 3}', 'Request did not match expected format JarRunRequestBody.'],
      ['plan', '[1]', 'Request did not match expected format JarPlanRequestBody.'],
      [
        'run',
        '{"programArgs": "a", "programArgsList": ["a"]}',
        'Confusing request: programArgs and programArgsList are specified, please, use only programArgsList.',
      ],
    ];
    for (const [route, body, message] of cases) {
      const res = await fetch(`${h.flink}/jars/${up.jarId}/${route}`, asOperator({ method: 'POST', body }));
      expect(res.status, body).toBe(400);
      expectFlinkError(await res.json(), message);
    }
    const query = await fetch(
      `${h.flink}/jars/${up.jarId}/run?parallelism=x`,
      asOperator({ method: 'POST' }),
    );
    expect(query.status).toBe(400);
    expectFlinkError(
      await query.json(),
      'Bad request, could not parse parameters: Cannot resolve query parameter (parallelism) from value "x".',
    );
    const badPath = await fetch(
      `${h.flink}/jars/${up.jarId}/run`,
      asOperator({ method: 'POST', body: JSON.stringify({ savepointPath: 'hdfs://nn/sp/savepoint-1' }) }),
    );
    expect(badPath.status).toBe(400);
    expectFlinkError(await badPath.json(), 'is not a jobgate savepoint location');
  });
});

describe('roles', () => {
  it('operators upload and run; viewers read but get Flink-shaped 403s; no token is a 401', async () => {
    const up = await uploadJar(h.flink, h.tokens.operator, 'roles.jar', makeJar(pipeline('roles')));
    expect(up.status).toBe(200);
    const run = await fetch(`${h.flink}/jars/${up.jarId}/run`, asOperator({ method: 'POST' }));
    expect(run.status).toBe(200);
    const { jobid } = (await run.json()) as any;
    await h.t.waitForRun(jobid, ['RUNNING']);
    await fetch(`${h.flink}/jobs/${jobid}`, asOperator({ method: 'PATCH' }));

    const viewer = { authorization: `Bearer ${h.tokens.viewer}` };
    const list = await fetch(`${h.flink}/jars`, { headers: viewer });
    expect(list.status).toBe(200);
    const denied = await uploadJar(h.flink, h.tokens.viewer, 'denied.jar', makeJar(pipeline('denied')));
    expect(denied.status).toBe(403);
    expectFlinkError(denied.body, 'this needs the operator role');
    for (const [method, route] of [
      ['POST', `/jars/${up.jarId}/run`],
      ['DELETE', `/jars/${up.jarId}`],
    ]) {
      const res = await fetch(`${h.flink}${route}`, { method, headers: viewer });
      expect(res.status, route).toBe(403);
      expectFlinkError(await res.json(), 'this needs the operator role');
    }
    const anonymous = await uploadJar(h.flink, undefined, 'anon.jar', makeJar(pipeline('anon')));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors).toHaveLength(1);
  });

  it('a jar that defines shell commands runs for an admin only, as createJob holds it', async () => {
    const shell = { name: 'jar-shell', command: { command: 'echo from a jar' } };
    const up = await uploadJar(h.flink, h.tokens.operator, 'shell.jar', makeJar(shell));
    const asOp = await fetch(`${h.flink}/jars/${up.jarId}/run`, asOperator({ method: 'POST' }));
    expect(asOp.status).toBe(403);
    expectFlinkError(await asOp.json(), 'only admins may define jobs that run shell commands');
    const jobs = await h.t.graphql(`{ jobs(first: 100) { nodes { name } } }`);
    expect(jobs.data!.jobs.nodes.map((j: any) => j.name)).not.toContain('jar-shell');
    const asAdmin = await fetch(`${h.flink}/jars/${up.jarId}/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    expect(asAdmin.status).toBe(200);
    const { jobid } = (await asAdmin.json()) as any;
    await h.t.waitForRun(jobid, ['FINISHED']);
  });
});

describe('body limits', () => {
  it('the upload route takes a jar over the 1 MiB request limit, and refuses one over its own bound', async () => {
    const filler = new Uint8Array(randomBytes(3 * 1_048_576));
    const big = makeJar(pipeline('big'), { 'lib/filler.bin': filler });
    expect(big.length).toBeGreaterThan(2 * 1_048_576);
    const up = await uploadJar(h.flink, h.tokens.operator, 'big.jar', big);
    expect(up.status).toBe(200);
    const art = await h.t.graphql(`query($id: ID!) { artifact(id: $id) { size plan { jobName } } }`, {
      id: up.jarId!.slice(0, 36),
    });
    expect(art.data!.artifact).toEqual({ size: big.length, plan: { jobName: 'big' } });

    const tooBig = await uploadJar(
      h.flink,
      h.tokens.operator,
      'huge.jar',
      new Uint8Array(MAX_ARTIFACT_BYTES + 100_000),
    );
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.errors).toHaveLength(1);
    // Every other route keeps the server's limit.
    const other = await fetch(
      `${h.flink}/jars/${up.jarId}/run`,
      asOperator({ method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) }),
    );
    expect(other.status).toBe(413);
  });
});
