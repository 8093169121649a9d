// Flink's savepoint, stop and cancel routes over a real socket, on runs of a jar: trigger and poll to
// COMPLETED with a location, the same triggerId twice is one savepoint, stop with a savepoint ends the
// run SUSPENDED and is pollable at the savepoint URL, a run of the jar from that location restores it
// and the pipeline resumes where it stopped (every source row reaches the sink exactly once), the
// seed's curl commands as written, and Flink's statuses and bodies for what is wrong.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoints } from '../../src/db/schema/index.ts';
import { until } from '../support/wait.ts';
import {
  curl,
  expectFlinkError,
  flinkSpecProblems,
  makeJar,
  startFlinkHarness,
  uploadJar,
  type FlinkHarness,
} from './flink-write-harness.ts';

let h: FlinkHarness;
beforeAll(async () => {
  h = await startFlinkHarness();
});
afterAll(async () => {
  await h?.close();
});

const ROWS = 12_000; // 3000 rows in each of 4 splits

const readIds = (path: string) =>
  readdirSync(path).flatMap((f) =>
    readFileSync(join(path, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).id as number),
  );

/** A jar whose pipeline's position is observable: FakeSource rows with ids, written to files. */
function positionJar(name: string, out: string) {
  return makeJar({
    env: { 'job.mode': 'STREAMING', 'job.name': name, parallelism: 2 },
    source: [
      {
        plugin_name: 'FakeSource',
        'row.num': 3000,
        'split.num': 4,
        'rows.per.second': 400,
        plugin_output: 'src',
      },
    ],
    sink: [{ plugin_name: 'LocalFile', path: out, file_format_type: 'json' }],
  });
}

const op = () => ({ authorization: `Bearer ${h.tokens.operator}`, 'content-type': 'application/json' });
const post = (path: string, body: unknown, headers: Record<string, string> = op()) =>
  fetch(`${h.flink}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string> = op()) => fetch(`${h.flink}${path}`, { headers });

async function runJar(jarId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await post(`/v1/jars/${jarId}/run`, body);
  const answer = (await res.json()) as any;
  expect(res.status, JSON.stringify(answer)).toBe(200);
  return answer.jobid;
}

/** Polls the savepoint status route until it is no longer IN_PROGRESS. */
async function pollSavepoint(jobId: string, triggerId: string) {
  return until(`savepoint ${triggerId} to settle`, async () => {
    const res = await get(`/v1/jobs/${jobId}/savepoints/${triggerId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(flinkSpecProblems('GET', '/jobs/{jobid}/savepoints/{triggerid}', 200, body)).toEqual([]);
    if (body.status.id === 'IN_PROGRESS') {
      expect(body).toEqual({ status: { id: 'IN_PROGRESS' }, operation: null });
      return undefined;
    }
    return body;
  });
}

async function savepointsOf(runId: string, requestId: string) {
  return h.t.database.db
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.runId, runId), eq(checkpoints.requestId, requestId)));
}

describe('savepoint, stop and restore through a jar', () => {
  it('trigger → poll → COMPLETED; stop → SUSPENDED; run from the location resumes exactly', async () => {
    const out = join(h.dir, 'resume');
    const up = await uploadJar(h.flink, h.tokens.operator, 'resume.jar', positionJar('resume', out));
    expect(up.status).toBe(200);
    const first = await runJar(up.jarId!);
    await h.t.waitForRun(first, ['RUNNING']);
    await until('the first rows in the sink', () => readIds(out).length > 0);

    // A savepoint, triggered twice with the client's own id: one savepoint.
    const triggerId = '0123456789abcdef0123456789abcdef';
    const body = { 'target-directory': 'hdfs://nn:8020/flink/savepoint/', 'cancel-job': false, triggerId };
    for (let i = 0; i < 2; i++) {
      const res = await post(`/v1/jobs/${first}/savepoints`, body);
      expect(res.status).toBe(202);
      const answer = await res.json();
      expect(answer).toEqual({ 'request-id': triggerId });
      expect(flinkSpecProblems('POST', '/jobs/{jobid}/savepoints', 202, answer)).toEqual([]);
    }
    const done = await pollSavepoint(first, triggerId);
    expect(done.status).toEqual({ id: 'COMPLETED' });
    expect(done.operation.location).toMatch(/^jobgate:\/\/savepoints\/[0-9a-f-]{36}$/);
    expect(await savepointsOf(first, triggerId)).toHaveLength(1);
    const again = await post(`/v1/jobs/${first}/savepoints`, body);
    expect(await again.json()).toEqual({ 'request-id': triggerId });
    expect(await savepointsOf(first, triggerId)).toHaveLength(1);
    // Without a triggerId, Flink makes one.
    const fresh = await post(`/jobs/${first}/savepoints`, {});
    expect(fresh.status).toBe(202);
    const freshId = ((await fresh.json()) as any)['request-id'];
    expect(freshId).toMatch(/^[0-9a-f]{32}$/);
    expect(freshId).not.toBe(triggerId);
    expect((await pollSavepoint(first, freshId)).status.id).toBe('COMPLETED');

    // Stop with a savepoint: 202 at once, polled at the savepoint URL, the run ends SUSPENDED.
    const stopId = 'fedcba9876543210fedcba9876543210';
    const stop = await post(`/v1/jobs/${first}/stop`, {
      targetDirectory: 'hdfs://nn/sp',
      drain: false,
      triggerId: stopId,
    });
    expect(stop.status).toBe(202);
    const stopAnswer = await stop.json();
    expect(stopAnswer).toEqual({ 'request-id': stopId });
    expect(flinkSpecProblems('POST', '/jobs/{jobid}/stop', 202, stopAnswer)).toEqual([]);
    const stopped = await pollSavepoint(first, stopId);
    expect(stopped.status.id).toBe('COMPLETED');
    const location: string = stopped.operation.location;
    await h.t.waitForRun(first, ['SUSPENDED']);
    // A retried stop after the run ended is the same operation, not an error.
    const retried = await post(`/v1/jobs/${first}/stop`, { drain: false, triggerId: stopId });
    expect(retried.status).toBe(202);
    expect(await savepointsOf(first, stopId)).toHaveLength(1);
    const afterFirst = readIds(out);
    expect(afterFirst.length).toBeGreaterThan(0);
    expect(afterFirst.length).toBeLessThan(ROWS);

    // The location resolves to the savepoint, as GraphQL sees it too.
    const found = await h.t.graphql(
      `query($l: String!) { checkpointByLocation(location: $l) { id kind status } }`,
      {
        l: location,
      },
    );
    expect(found.data!.checkpointByLocation).toMatchObject({ kind: 'SAVEPOINT', status: 'COMPLETED' });

    // A new run of the jar from that location restores it and completes the input exactly once.
    const second = await runJar(up.jarId!, { savepointPath: location, parallelism: 3 });
    const restored = await h.t.graphql(
      `query($id: ID!) { run(id: $id) { parallelism restoredFrom { id location } } }`,
      { id: second },
    );
    expect(restored.data!.run).toEqual({
      parallelism: 3,
      restoredFrom: { id: found.data!.checkpointByLocation.id, location },
    });
    await until(`all ${ROWS} rows`, () => readIds(out).length >= ROWS, { timeoutMs: 60_000 });
    const cancel = await fetch(`${h.flink}/v1/jobs/${second}`, { method: 'PATCH', headers: op() });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({});
    await h.t.waitForRun(second, ['CANCELED']);
    const ids = readIds(out);
    expect(ids.length).toBe(ROWS);
    expect(new Set(ids).size).toBe(ROWS);

    // Cancel again: already CANCELED is a success; the SUSPENDED run is a 409.
    const twice = await fetch(`${h.flink}/v1/jobs/${second}?mode=CANCEL`, { method: 'PATCH', headers: op() });
    expect(twice.status).toBe(202);
    const ended = await fetch(`${h.flink}/v1/jobs/${first}`, { method: 'PATCH', headers: op() });
    expect(ended.status).toBe(409);
    expectFlinkError(
      await ended.json(),
      'Job cancellation failed because the job has already reached another terminal state (SUSPENDED).',
    );
    // A savepoint of a run that has ended is a conflict.
    const late = await post(`/v1/jobs/${second}/savepoints`, {});
    expect(late.status).toBe(409);
    expectFlinkError(await late.json(), 'a savepoint needs a RUNNING run');
  });
});

describe('stop with drain', () => {
  it('ends the run FINISHED after its savepoint (Flink’s TERMINATE_WITH_SAVEPOINT)', async () => {
    const out = join(h.dir, 'drain');
    const up = await uploadJar(h.flink, h.tokens.operator, 'drain.jar', positionJar('drain', out));
    const jobId = await runJar(up.jarId!);
    await h.t.waitForRun(jobId, ['RUNNING']);
    await until('the first rows in the sink', () => readIds(out).length > 0);
    const res = await post(`/jobs/${jobId}/stop`, { drain: true });
    expect(res.status).toBe(202);
    const requestId = ((await res.json()) as any)['request-id'];
    expect((await pollSavepoint(jobId, requestId)).status.id).toBe('COMPLETED');
    await h.t.waitForRun(jobId, ['FINISHED']);
    const [savepoint] = await savepointsOf(jobId, requestId);
    expect(savepoint).toMatchObject({ stopAfter: true, stopDrains: true });
  });
});

describe('the seed’s savepoint and cancel commands', () => {
  it('savepoint with cancel-job, its status, and PATCH cancel work with only host:port changed', async () => {
    const out = join(h.dir, 'seed');
    const up = await uploadJar(h.flink, h.tokens.operator, 'seed.jar', positionJar('seed-sp', out));
    const jobId = await runJar(up.jarId!);
    await h.t.waitForRun(jobId, ['RUNNING']);
    await until('the first rows in the sink', () => readIds(out).length > 0);
    const data = `
    {
        "target-directory":"hdfs://node1:8020/flink/savepoint/",
        "cancel-job":true
    }
    `;
    const trig = await curl([
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      data,
      `${h.open}/v1/jobs/${jobId}/savepoints`,
    ]);
    expect(trig.status).toBe(202);
    const requestId = trig.body['request-id'];
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    const status = await until('the savepoint to complete', async () => {
      const res = await curl(['-X', 'GET', `${h.open}/v1/jobs/${jobId}/savepoints/${requestId}`]);
      return res.body.status.id === 'COMPLETED' ? res : undefined;
    });
    expect(status).toEqual({
      status: 200,
      body: {
        status: { id: 'COMPLETED' },
        operation: { location: expect.stringMatching(/^jobgate:\/\/savepoints\//) },
      },
    });
    await h.t.waitForRun(jobId, ['SUSPENDED']);

    const other = await runJar(up.jarId!);
    await h.t.waitForRun(other, ['RUNNING']);
    expect(await curl(['-X', 'PATCH', `${h.open}/v1/jobs/${other}`])).toEqual({ status: 202, body: {} });
    await h.t.waitForRun(other, ['CANCELED']);
  });
});

describe('what is wrong gets Flink’s status and body', () => {
  const unknown = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const trigger = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

  it('bad ids, unknown jobs and triggers, malformed bodies', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [
        post('/v1/jobs/xyz/savepoints', {}),
        400,
        'Bad request, could not parse parameters: Cannot resolve path parameter (jobid) from value "xyz".',
      ],
      [
        get(`/v1/jobs/${unknown}/savepoints/nope`),
        400,
        'Cannot resolve path parameter (triggerid) from value "nope".',
      ],
      [
        get(`/v1/jobs/${unknown}/savepoints/${trigger}`),
        404,
        `RestHandlerException: There is no savepoint operation with triggerId=${trigger} for job ${unknown}.`,
      ],
      [post(`/v1/jobs/${unknown}/savepoints`, {}), 404, `Could not find Flink job (${unknown})`],
      [post(`/v1/jobs/${unknown}/stop`, {}), 404, `Could not find Flink job (${unknown})`],
      [
        post(`/v1/jobs/${unknown}/savepoints`, '{"cancel-job": tru'),
        400,
        'RestHandlerException: Request did not match expected format SavepointTriggerRequestBody.',
      ],
      [
        post(`/v1/jobs/${unknown}/savepoints`, { triggerId: 'not-hex' }),
        400,
        'Request did not match expected format SavepointTriggerRequestBody.',
      ],
      [
        post(`/v1/jobs/${unknown}/stop`, { drain: 'maybe' }),
        400,
        'Request did not match expected format StopWithSavepointRequestBody.',
      ],
      [
        post(`/v1/jobs/${unknown}/stop`, { formatType: 'ZIP' }),
        400,
        'Request did not match expected format StopWithSavepointRequestBody.',
      ],
      [
        fetch(`${h.flink}/v1/jobs/${unknown}`, { method: 'PATCH', headers: op() }),
        404,
        'RestHandlerException: Job could not be found.',
      ],
      [fetch(`${h.flink}/v1/jobs/${unknown}/yarn-cancel`, { headers: op() }), 404, 'Job could not be found.'],
      [
        fetch(`${h.flink}/v1/jobs/${unknown}?mode=stop`, { method: 'PATCH', headers: op() }),
        308,
        'please use "jobs/:jobId/stop" instead',
      ],
      [
        fetch(`${h.flink}/v1/jobs/${unknown}/yarn-stop`, { headers: op() }),
        308,
        'The termination mode "stop" has been removed.',
      ],
      [
        fetch(`${h.flink}/v1/jobs/${unknown}?mode=halt`, { method: 'PATCH', headers: op() }),
        400,
        'Cannot resolve query parameter (mode) from value "halt".',
      ],
    ];
    for (const [pending, status, message] of cases) {
      const res = await pending;
      const body = await res.json();
      expect(res.status, message).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
      expectFlinkError(body, message);
    }
    const multipart = new FormData();
    multipart.append('file', new Blob(['x']), 'x.txt');
    const upload = await fetch(`${h.flink}/v1/jobs/${unknown}/savepoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens.operator}` },
      body: multipart,
    });
    expect(upload.status).toBe(400);
    expectFlinkError(await upload.json(), 'File uploads not allowed.');
  });

  it('viewers may poll but not trigger, stop or cancel (403); no token is a 401', async () => {
    const viewer = { authorization: `Bearer ${h.tokens.viewer}`, 'content-type': 'application/json' };
    const out = join(h.dir, 'roles');
    const up = await uploadJar(h.flink, h.tokens.operator, 'roles.jar', positionJar('sp-roles', out));
    const jobId = await runJar(up.jarId!);
    await h.t.waitForRun(jobId, ['RUNNING']);
    for (const pending of [
      post(`/v1/jobs/${jobId}/savepoints`, {}, viewer),
      post(`/v1/jobs/${jobId}/stop`, {}, viewer),
      fetch(`${h.flink}/v1/jobs/${jobId}`, { method: 'PATCH', headers: viewer }),
    ]) {
      const res = await pending;
      expect(res.status).toBe(403);
      expectFlinkError(await res.json(), 'this needs the operator role');
    }
    const poll = await get(`/v1/jobs/${jobId}/savepoints/${trigger}`, viewer);
    expect(poll.status).toBe(404);
    const anonymous = await fetch(`${h.flink}/v1/jobs/${jobId}/savepoints`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await anonymous.json()) as any).errors).toHaveLength(1);
    const cancel = await fetch(`${h.flink}/v1/jobs/${jobId}`, { method: 'PATCH', headers: op() });
    expect(cancel.status).toBe(202);
    await h.t.waitForRun(jobId, ['CANCELED']);
  });
});
