// The read side of the Flink dialect over a real socket, against a real streaming pipeline that
// checkpoints (and a finished batch run beside it): the seed document's curl GETs, every route of
// the table validated against Flink 1.20's OpenAPI spec (except where Flink departs from its own
// spec, said at each departure), the calls Flink's web dashboard makes, Flink's errors for bad ids,
// unknown jobs, unknown routes and wrong methods, and auth in Flink's error shape.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { FLINK_READ_ROUTES } from '../../src/shim/flink/routes.ts';
import { buildServedApp } from '../support/app.ts';
import { loadOpenApi } from '../support/openapi.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const REF = new URL('../../../shared/ref/flink/', import.meta.url);
const SEED = new URL('../../../shared/seeds/004_0bfcea310b40cce0.txt', import.meta.url);

/** Jackson writes absent values as null and the spec declares few fields required: every declared
 * field must be there (the dashboard reads them), null allowed. `root-exception` and `timestamp`
 * are left out when a job never failed (NON_NULL in JobExceptionsInfoWithHistory); `inputs` of a
 * plan node exists only for nodes with inputs; `attempt-number` and `other-concurrent-attempts` of
 * back-pressure are NON_NULL too. */
const spec = loadOpenApi(new URL('rest_v1_dispatcher.yml', REF).pathname, {
  requireDeclared: true,
  allowNull: true,
  // slotSharingGroupId: Flink's serializer writes a hex string where the spec shows the Java object
  // (checked separately below).
  optional: [
    'root-exception',
    'timestamp',
    'inputs',
    'slotSharingGroupId',
    'attempt-number',
    'other-concurrent-attempts',
  ],
});

let t: TestRuntime;
let app: App;
let base: string;
const tokens = {} as Record<'viewer' | 'operator', string>;
let runId: string;
let batchRunId: string;
let vertexHex: string;
let nodeId: string;
let checkpointNumber: number;

beforeAll(async () => {
  t = await createTestRuntime({ slots: 8 });
  await t.createJob({
    name: 'flink-stream',
    pipeline: {
      env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 3000 },
      source: [{ plugin_name: 'FakeSource', 'row.num': 10_000_000, 'rows.per.second': 2000 }],
      transform: [{ plugin_name: 'FieldMapper', field_mapper: { id: 'key', name: 'label' } }],
      sink: [{ plugin_name: 'Blackhole' }],
    },
  });
  await t.createJob({
    name: 'flink-batch',
    pipeline: {
      env: { 'job.mode': 'BATCH', parallelism: 1 },
      source: [{ plugin_name: 'FakeSource', 'row.num': 10 }],
      sink: [{ plugin_name: 'Blackhole' }],
    },
  });
  batchRunId = await t.start('flink-batch');
  await t.waitForRun(batchRunId, ['FINISHED']);
  runId = await t.start('flink-stream');
  await t.waitForRun(runId, ['RUNNING']);
  const probe = `query($id: ID!) {
    run(id: $id) {
      vertices { id subtasks { node { id } metrics { name value } } }
      checkpoints(first: 5) { nodes { number status } }
    }
  }`;
  const ready = await until(
    'a completed checkpoint and subtask metrics',
    async () => {
      const { data } = await t.graphql(probe, { id: runId });
      const run = data?.run;
      const completed = run?.checkpoints.nodes.filter((c: any) => c.status === 'COMPLETED') ?? [];
      const measured = run?.vertices.every((v: any) => v.subtasks.every((s: any) => s.metrics.length > 0));
      return completed.length >= 1 && measured ? run : undefined;
    },
    { timeoutMs: 120_000 },
  );
  vertexHex = ready.vertices[0].id.replaceAll('-', '');
  nodeId = ready.vertices[0].subtasks[0].node.id.replaceAll('-', '');
  tokens.viewer = await t.token('viewer');
  tokens.operator = await t.token('operator');
  app = buildServedApp(t.database);
  base = `${await app.start()}/compat/flink`;
}, 240_000);
/** Old checkpoints are discarded (3 are retained): calls that name one name the newest completed. */
async function refreshCheckpoint(): Promise<void> {
  const { data } = await t.graphql(
    `query($id: ID!) { run(id: $id) { checkpoints(first: 5) { nodes { number status } } } }`,
    { id: runId },
  );
  checkpointNumber = data!.run.checkpoints.nodes.find((c: any) => c.status === 'COMPLETED').number;
}
beforeEach(refreshCheckpoint);
afterAll(async () => {
  await app?.stop();
  await t?.close();
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${tokens.viewer}`, ...init.headers },
  });

/** A concrete URL path for a route of the table, naming the running pipeline's ids. */
function concrete(path: string): string {
  return path
    .replace(':jobid', runId)
    .replace(':vertexid', vertexHex)
    .replace(':subtaskindex', '0')
    .replace(':attempt', '0')
    .replace(':checkpointid', String(checkpointNumber))
    .replace(':taskmanagerid', nodeId)
    .replace(':filename', 'jobgate.log');
}

const specPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/** Routes whose answer is text/plain (the log and stdout files; the spec has no entry for them). */
const TEXT_ROUTES = new Set([
  '/jobmanager/log',
  '/jobmanager/stdout',
  '/jobmanager/logs/:filename',
  '/taskmanagers/:taskmanagerid/log',
  '/taskmanagers/:taskmanagerid/stdout',
  '/taskmanagers/:taskmanagerid/logs/:filename',
]);

/** Flink answers these with a bare array although the spec shows `{"metrics": [...]}` or an
 * object (ENDPOINTS.md rows 5, 8, 19, 30, 31, 35: MetricCollectionResponseBody's serializer). */
const BARE_ARRAY_ROUTES = new Set([
  '/jobmanager/metrics',
  '/taskmanagers/:taskmanagerid/metrics',
  '/jobs/:jobid/metrics',
  '/jobs/:jobid/vertices/:vertexid/metrics',
  '/jobs/:jobid/vertices/:vertexid/subtasks/metrics',
  '/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics',
  '/jobs/:jobid/vertices/:vertexid/watermarks',
]);

/** A body as the spec should see it, with Flink's known departures from its own spec checked and
 * taken out: `slotSharingGroupId` is written as a hex string by SlotSharingGroupIDSerializer (the
 * spec shows the Java object), and /jobs/:jobid/config is written by JobConfigInfo's own serializer
 * as {jid, name, execution-config} (the spec shows the Java field names). */
function withoutDepartures(path: string, body: any): { specBody: any; specOf: string } {
  if (path === '/jobs/:jobid') {
    for (const vertex of body.vertices) expect(vertex.slotSharingGroupId).toMatch(/^[0-9a-f]{32}$/);
    const vertices = body.vertices.map(({ slotSharingGroupId: _, ...rest }: any) => rest);
    return { specBody: { ...body, vertices }, specOf: path };
  }
  if (path === '/jobs/:jobid/config') {
    expect(Object.keys(body).sort()).toEqual(['execution-config', 'jid', 'name']);
    const config = body['execution-config'];
    return {
      specBody: { jobId: body.jid, jobName: body.name, executionConfigInfo: config },
      specOf: path,
    };
  }
  return { specBody: body, specOf: path };
}

describe('the seed document’s curl GETs (seeds/004), with only host:port and ids changed', () => {
  /** Every `curl -X GET http://node2:50100/...` of the seed, as written there. */
  const seedUrls = readFileSync(SEED, 'utf8')
    .split('\n')
    .filter((line) => /curl -X GET http/.test(line))
    .map((line) => line.match(/http:\/\/node2:50100(\S+?)(\|jq)?$/)![1]!);

  /** The seed names jobs, vertices, a TaskManager and a checkpoint of its own cluster; ours differ. */
  const ours = (path: string) =>
    path
      .replace(/\/jobs\/[0-9a-f]{32}/, `/jobs/${runId}`)
      .replace(/\/vertices\/[0-9a-f]{32}/, `/vertices/${vertexHex}`)
      .replace(/\/taskmanagers\/container_[0-9_e]+/, `/taskmanagers/${nodeId}`)
      .replace(/\/checkpoints\/details\/\d+/, `/checkpoints/details/${checkpointNumber}`);

  /** GETs of the write side (jar list, savepoint status), served by the write branch. */
  const WRITE_SIDE = [/\/savepoints\//, /\/jars/];

  it('finds the seed’s GETs', () => {
    expect(seedUrls.length).toBeGreaterThanOrEqual(20);
  });

  it('answers each with 200 and Flink’s JSON', async () => {
    const answered: string[] = [];
    for (const url of seedUrls) {
      if (WRITE_SIDE.some((re) => re.test(url))) continue;
      if (url.includes('/checkpoints/details/')) await refreshCheckpoint();
      const res = await get(ours(url));
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toBe('application/json; charset=UTF-8');
      const body = await res.json();
      expect(body, url).not.toHaveProperty('errors');
      answered.push(url);
    }
    expect(answered.length).toBe(seedUrls.length - 2);
  });

  it('names the metrics the seed asks for where jobgate has them (unknown names dropped, as in Flink)', async () => {
    const jm = (await (
      await get('/v1/jobmanager/metrics?get=taskSlotsAvailable,taskSlotsTotal,Status.JVM.Memory.Heap.Used')
    ).json()) as any[];
    expect(jm.map((m) => m.id)).toEqual(['taskSlotsAvailable', 'taskSlotsTotal']);
    for (const m of jm) expect(typeof m.value).toBe('string');
    const tm = (await (
      await get(
        `/v1/taskmanagers/${nodeId}/metrics?get=Status.JVM.Memory.Heap.Used,Status.JVM.Memory.NonHeap.Used`,
      )
    ).json()) as any[];
    expect(tm).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', value: expect.stringMatching(/^\d+$/) }]);
    const vertex = (await (
      await get(
        `/v1/jobs/${runId}/vertices/${vertexHex}/metrics?get=0.numRecordsInPerSecond,1.numRecordsInPerSecond`,
      )
    ).json()) as any[];
    expect(vertex.map((m) => m.id)).toEqual(['0.numRecordsInPerSecond', '1.numRecordsInPerSecond']);
  });
});

describe('every route of the table, against Flink 1.20’s OpenAPI spec', () => {
  it.each(FLINK_READ_ROUTES.map((route) => [route.path, route]))('GET %s', async (path) => {
    for (const prefix of ['', '/v1']) {
      const res = await get(`${prefix}${concrete(path)}`);
      expect(res.status, path).toBe(200);
      if (TEXT_ROUTES.has(path)) {
        expect(res.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
        await res.text();
        continue;
      }
      expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
      const body = (await res.json()) as any;
      if (BARE_ARRAY_ROUTES.has(path)) {
        expect(Array.isArray(body), path).toBe(true);
        for (const item of body) {
          expect(typeof item.id).toBe('string');
          if ('value' in item) expect(typeof item.value).toBe('string');
        }
        continue;
      }
      const { specBody, specOf } = withoutDepartures(path, body);
      expect(spec.validate('GET', specPath(specOf), specBody), path).toEqual([]);
    }
  });

  it('the aggregated subtask metrics carry min, max, avg, sum and skew (the dashboard sends no agg)', async () => {
    const res = await get(
      `/jobs/${runId}/vertices/${vertexHex}/subtasks/metrics?get=backPressuredTimeMsPerSecond,numRecordsInPerSecond`,
    );
    const body = (await res.json()) as any[];
    expect(body.map((m) => m.id)).toEqual(['backPressuredTimeMsPerSecond', 'numRecordsInPerSecond']);
    for (const m of body) expect(Object.keys(m).sort()).toEqual(['avg', 'id', 'max', 'min', 'skew', 'sum']);
    const some = (await (
      await get(`/jobs/${runId}/vertices/${vertexHex}/subtasks/metrics?get=numRecordsIn&agg=max,sum`)
    ).json()) as any[];
    expect(Object.keys(some[0]).sort()).toEqual(['id', 'max', 'sum']);
  });

  it('the DAG’s three metrics all answer for every vertex; busy time reads Flink’s unmeasured NaN', async () => {
    // The 1.20 dashboard reads result.<name>.max of all three for each node inside one forkJoin: a
    // metric left out throws, blanks every node's figures and aborts the other vertices' calls.
    const job = (await (await get(`/jobs/${runId}`)).json()) as any;
    const dag = 'backPressuredTimeMsPerSecond,busyTimeMsPerSecond,numRecordsInPerSecond';
    for (const vertex of job.vertices) {
      const res = await get(`/jobs/${runId}/vertices/${vertex.id}/subtasks/metrics?get=${dag}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as any[];
      expect(body.map((m) => m.id)).toEqual(dag.split(','));
      const [backPressured, busy, recordsIn] = body;
      expect(backPressured).toMatchObject({ min: 0, max: 0, avg: 0, sum: 0, skew: 0 });
      // Jackson quotes a NaN double; the dashboard's +"NaN" is NaN and it shows N/A.
      expect(busy).toEqual({
        id: 'busyTimeMsPerSecond',
        min: 'NaN',
        max: 'NaN',
        avg: 'NaN',
        sum: 'NaN',
        skew: 'NaN',
      });
      for (const a of ['min', 'max', 'avg', 'sum', 'skew']) expect(typeof recordsIn[a]).toBe('number');
    }
    const one = (await (
      await get(`/jobs/${runId}/vertices/${vertexHex}/subtasks/0/metrics?get=busyTimeMsPerSecond`)
    ).json()) as any[];
    expect(one).toEqual([{ id: 'busyTimeMsPerSecond', value: 'NaN' }]);
    const listed = (await (
      await get(`/jobs/${runId}/vertices/${vertexHex}/subtasks/metrics`)
    ).json()) as any[];
    expect(listed.map((m) => m.id)).toContain('busyTimeMsPerSecond');
  });

  it('a TaskManager as the dashboard shows it: JVM heap size in hardware.freeMemory, a row per held slot', async () => {
    const tm = (await (await get(`/taskmanagers/${nodeId}`)).json()) as any;
    // Flink's HardwareDescription names the JVM heap size "freeMemory" (FIELD_NAME_SIZE_JVM_HEAP).
    expect(tm.hardware.freeMemory).toBe(tm.metrics.heapMax);
    expect(tm.hardware.freeMemory).toBeGreaterThan(0);
    expect(tm.hardware.freeMemory).toBeLessThan(tm.hardware.physicalMemory);
    // The streaming run of parallelism 2 holds two slots (one chain per parallel index).
    expect(tm.allocatedSlots).toHaveLength(2);
    for (const slot of tm.allocatedSlots) expect(slot.jobId).toBe(runId);
    const listed = (await (await get('/taskmanagers')).json()) as any;
    expect(listed.taskmanagers.find((t: any) => t.id === nodeId).hardware.freeMemory).toBeGreaterThan(0);
  });

  it('back-pressure of single-attempt subtasks carries no attempt fields (the dashboard would print them)', async () => {
    const body = (await (await get(`/jobs/${runId}/vertices/${vertexHex}/backpressure`)).json()) as any;
    expect(body.subtasks.map((s: any) => s.subtask)).toEqual([0, 1]);
    for (const subtask of body.subtasks) {
      expect(subtask).not.toHaveProperty('attempt-number');
      expect(subtask).not.toHaveProperty('other-concurrent-attempts');
      expect(subtask).toMatchObject({ ratio: 0, idleRatio: 0, busyRatio: 0, 'backpressure-level': 'ok' });
    }
  });

  it('the job answers with Flink’s names: JobStatus, UPPERCASE maps, a plan the DAG is drawn from', async () => {
    const job = (await (await get(`/jobs/${runId}`)).json()) as any;
    expect(job.state).toBe('RUNNING');
    expect(job['job-type']).toBe('STREAMING');
    expect(job['end-time']).toBe(-1);
    expect(Object.keys(job['status-counts'])).toContain('CANCELING');
    expect(job.timestamps.RUNNING).toBeGreaterThan(0);
    expect(job.vertices).toHaveLength(3);
    for (const vertex of job.vertices) expect(vertex.id).toMatch(/^[0-9a-f]{32}$/);
    const [, transform, sink] = job.plan.nodes;
    expect(transform.inputs[0].id).toBe(job.plan.nodes[0].id);
    expect(sink.inputs[0].id).toBe(transform.id);
    expect(job.vertices.map((v: any) => v.id)).toEqual(job.plan.nodes.map((n: any) => n.id));
    const overview = (await (await get('/jobs/overview')).json()) as any;
    const listed = overview.jobs.find((j: any) => j.jid === runId);
    expect(listed.tasks).toMatchObject({ total: 6, running: 6, canceling: 0 });
    const finished = overview.jobs.find((j: any) => j.jid === batchRunId);
    expect(finished.state).toBe('FINISHED');
    expect(finished['end-time']).toBeGreaterThan(0);
  });

  it('checkpoints come from the checkpoint store, snake_case', async () => {
    const stats = (await (await get(`/jobs/${runId}/checkpoints`)).json()) as any;
    expect(stats.counts.completed).toBeGreaterThanOrEqual(1);
    expect(stats.latest.completed.className).toBe('completed');
    expect(stats.latest.completed.num_acknowledged_subtasks).toBe(stats.latest.completed.num_subtasks);
    const detail = (await (
      await get(`/jobs/${runId}/checkpoints/details/${checkpointNumber}`)
    ).json()) as any;
    expect(detail.id).toBe(checkpointNumber);
    expect(Object.keys(detail.tasks)).toContain(vertexHex);
  });

  it('the logs are the runs’ log lines, as text and as a file listing', async () => {
    const listing = (await (await get('/jobmanager/logs')).json()) as any;
    expect(listing.logs).toEqual([
      { name: 'jobgate.log', size: expect.any(Number), mtime: expect.any(Number) },
    ]);
    const text = await (await get('/jobmanager/log')).text();
    expect(text.length).toBe(listing.logs[0].size);
    const nodeText = await (await get(`/taskmanagers/${nodeId}/log`)).text();
    expect(typeof nodeText).toBe('string');
  });
});

describe('the calls Flink’s web dashboard makes (DASHBOARD.md, observed list) answer 200', () => {
  it('each one', async () => {
    const job = `/jobs/${runId}`;
    const vertex = `${job}/vertices/${vertexHex}`;
    const tm = `/taskmanagers/${nodeId}`;
    const calls = [
      '/config',
      '/overview',
      '/jobs/overview',
      job,
      `${vertex}/subtasks/metrics?get=backPressuredTimeMsPerSecond,busyTimeMsPerSecond,numRecordsInPerSecond`,
      `${vertex}/watermarks`,
      vertex,
      `${vertex}/backpressure`,
      `${vertex}/flamegraph?type=on_cpu`,
      `${vertex}/taskmanagers`,
      `${vertex}/accumulators`,
      `${vertex}/subtasks/accumulators`,
      `${vertex}/metrics`,
      `${job}/exceptions?maxExceptions=10`,
      `${vertex}/subtasks/metrics?get=numRecordsIn`,
      `${job}/checkpoints`,
      `${job}/checkpoints/config`,
      `${job}/checkpoints/details/${checkpointNumber}`,
      `${job}/config`,
      `${job}/jobmanager/config`,
      '/taskmanagers',
      tm,
      `${tm}/metrics?get=Status.JVM.Memory.Heap.Used`,
      `${tm}/log`,
      `${tm}/stdout`,
      `${tm}/logs`,
      `${tm}/thread-dump`,
      '/jobmanager/config',
      '/jobmanager/environment',
      '/jobmanager/metrics',
      '/jobmanager/metrics?get=taskSlotsTotal',
      '/jobmanager/log',
      '/jobmanager/stdout',
      '/jobmanager/logs',
      '/jobmanager/thread-dump',
      `${vertex}/subtasktimes`,
      `${job}/checkpoints/details/${checkpointNumber}/subtasks/${vertexHex}`,
      `${vertex}/flamegraph?type=full&subtaskindex=0`,
      '/jobmanager/logs/jobgate.log',
      `${tm}/logs/jobgate.log`,
    ];
    for (const call of calls) {
      const fresh = call.includes('/checkpoints/details/')
        ? (await refreshCheckpoint(), call.replace(/details\/\d+/, `details/${checkpointNumber}`))
        : call;
      expect((await get(fresh)).status, fresh).toBe(200);
    }
  });
});

describe('errors in Flink’s shape', () => {
  const errorOf = async (path: string, init: RequestInit = {}) => {
    const res = await get(path, init);
    expect(res.headers.get('content-type'), path).toBe('application/json; charset=UTF-8');
    return { status: res.status, body: (await res.json()) as { errors: string[] } };
  };

  it('400 for an id that is not 32 hex', async () => {
    const { status, body } = await errorOf('/jobs/xyz');
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      expect.stringContaining(
        'Bad request, could not parse parameters: Cannot resolve path parameter (jobid) from value "xyz".',
      ),
    ]);
    const vertex = await errorOf(`/jobs/${runId}/vertices/nope`);
    expect(vertex.status).toBe(400);
    expect(vertex.body.errors[0]).toContain('(vertexid)');
    expect((await errorOf(`/jobs/${runId}/vertices/${vertexHex}/subtasks/x`)).status).toBe(400);
  });

  it('404 for an unknown job, vertex, subtask, checkpoint and TaskManager', async () => {
    const unknown = 'f'.repeat(32);
    const job = await errorOf(`/jobs/${unknown}`);
    expect(job).toEqual({
      status: 404,
      body: { errors: [`org.apache.flink.runtime.rest.NotFoundException: Job ${unknown} not found`] },
    });
    expect((await errorOf(`/jobs/${unknown}/checkpoints`)).status).toBe(404);
    const vertex = await errorOf(`/jobs/${runId}/vertices/${unknown}`);
    expect(vertex.status).toBe(404);
    expect(vertex.body.errors[0]).toContain(`JobVertex ${unknown} not found`);
    const subtask = await errorOf(`/jobs/${runId}/vertices/${vertexHex}/subtasks/99`);
    expect(subtask.status).toBe(404);
    expect(subtask.body.errors[0]).toContain('Invalid subtask index');
    const checkpoint = await errorOf(`/jobs/${runId}/checkpoints/details/999999`);
    expect(checkpoint.status).toBe(404);
    expect(checkpoint.body.errors[0]).toContain(
      'Could not find checkpointing statistics for checkpoint 999999.',
    );
    const tm = await errorOf('/taskmanagers/no-such-tm');
    expect(tm.status).toBe(404);
    expect(tm.body.errors[0]).toContain('Could not find TaskExecutor no-such-tm.');
  });

  it('404 when checkpointing is off for the job', async () => {
    const stats = await errorOf(`/jobs/${batchRunId}/checkpoints`);
    expect(stats.status).toBe(404);
    expect(stats.body.errors[0]).toContain('Checkpointing has not been enabled.');
    const config = await errorOf(`/jobs/${batchRunId}/checkpoints/config`);
    expect(config.status).toBe(404);
    expect(config.body.errors[0]).toContain(`Checkpointing is not enabled for this job (${batchRunId}).`);
  });

  it('404 `Not found: <uri>` for unknown routes, other versions and wrong methods (no 405)', async () => {
    for (const [method, path] of [
      ['GET', '/v2/jobs'],
      ['GET', '/jobs/overview/extra'],
      ['PUT', `/jobs/${runId}/plan`],
      ['DELETE', '/taskmanagers'],
      ['POST', '/jobs/overview?x=1'],
    ] as const) {
      expect(await errorOf(path, { method })).toEqual({
        status: 404,
        body: { errors: [`Not found: ${path}`] },
      });
    }
  });

  it('503 for rescaling, as Flink has answered since 1.9 (FLINK-12312)', async () => {
    for (const [method, path] of [
      ['PATCH', `/jobs/${runId}/rescaling?parallelism=4`],
      ['GET', `/jobs/${runId}/rescaling/${'a'.repeat(32)}`],
    ] as const) {
      const { status, body } = await errorOf(path, { method });
      expect(status).toBe(503);
      expect(body.errors[0]).toContain('Rescaling is temporarily disabled. See FLINK-12312.');
    }
  });

  it('literal segments win over :params (/jobs/overview is not a job id)', async () => {
    const res = await get('/jobs/overview');
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('jobs');
  });
});

describe('auth', () => {
  it('401 in Flink’s error shape without a token or with a bad one; a viewer token reads', async () => {
    const carriers: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }];
    for (const headers of carriers) {
      const res = await fetch(`${base}/jobs/${runId}`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors: unknown[] };
      expect(body.errors).toHaveLength(1);
      expect(typeof body.errors[0]).toBe('string');
    }
    expect((await get(`/jobs/${runId}`)).status).toBe(200);
  });

  it('sends no CORS header to an origin the server does not allow (the policy stays closed)', async () => {
    const res = await get('/overview');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
