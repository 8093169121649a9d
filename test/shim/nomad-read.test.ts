// The Nomad dialect's read side and its refusals over a real socket, against real runs: a command
// job that prints dtle's stage words (its runs are a job's allocations, its lines the driver's task
// events) and one that fails and restarts (a new allocation per attempt). The seed's curl commands
// run unchanged but for host:port, piped through jq; answers validate against Nomad's OpenAPI spec
// (nullable pointers allowed, as Go writes them); blocking queries wait for a change; tokens are
// refused as Nomad refuses them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { NOMAD_ROUTES } from '../../src/shim/nomad/routes.ts';
import { buildServedApp, silentLogger } from '../support/app.ts';
import { loadOpenApi } from '../support/openapi.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../../src/runtime/index.ts';

const run = promisify(execFile);
const REF = new URL('../../../shared/ref/nomad/', import.meta.url);
const spec = loadOpenApi(new URL('openapi.yaml', REF).pathname, { allowNull: true });

let t: TestRuntime;
let app: App;
let open: App;
let base: string;
let openHost: string;
const tokens = {} as Record<'viewer' | 'operator' | 'admin', string>;
let stagesRun: string;

beforeAll(async () => {
  t = await createTestRuntime({ slots: 8 });
  await t.createJob({
    name: 'stages',
    command: { command: 'echo job_stage_full; sleep 1; echo job_stage_incr; sleep 600' },
  });
  await t.createJob({
    name: 'flaky',
    command: { command: 'exit 3' },
    restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 100 },
  });
  stagesRun = await t.start('stages');
  const flakyRun = await t.start('flaky');
  await t.waitForRun(flakyRun, ['FAILED'], 60_000);
  tokens.viewer = await t.token('viewer');
  tokens.operator = await t.token('operator');
  tokens.admin = await t.token('admin');
  app = buildServedApp(t.database);
  base = `${await app.start()}/compat/nomad`;
  open = buildServedApp(t.database, {
    settings: {
      authEnabled: false,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: false,
      events: createEventFeed(t.database),
      logFeed: createLogFeed(t.database),
      metricFeed: createMetricFeed(t.database),
    },
    logger: silentLogger,
  });
  openHost = `${(await open.start()).replace('http://', '')}/compat/nomad`;
}, 120_000);

afterAll(async () => {
  await open?.stop();
  await app?.stop();
  await t?.close();
});

const get = (path: string, token = tokens.viewer, init: RequestInit = {}) =>
  fetch(`${base}${path}`, { ...init, headers: { 'x-nomad-token': token, ...init.headers } });

async function json(path: string): Promise<any> {
  const response = await get(path);
  expect(response.status, `${path}: ${response.status}`).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(Number(response.headers.get('x-nomad-index'))).toBeGreaterThan(0);
  return response.json();
}

/** Runs a seed command through bash with 127.0.0.1:4646 pointed at the served gateway. */
async function seed(command: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', command.replaceAll('127.0.0.1:4646', openHost)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function stageAllocation(): Promise<any> {
  return until('the stage job to reach job_stage_incr', async () => {
    const allocs = await json('/v1/job/stages/allocations');
    const events = allocs[0]?.TaskStates?.command?.Events ?? [];
    return events.some((e: any) => e.DriverMessage === 'job_stage_incr') ? allocs[0] : undefined;
  });
}

describe('the seed commands', () => {
  it('lists jobs, reads a job and its allocations with curl | jq', async () => {
    await stageAllocation();
    const jobs = JSON.parse(await seed('curl -XGET 127.0.0.1:4646/v1/jobs | jq'));
    expect(jobs.map((j: any) => j.ID).sort()).toEqual(['flaky', 'stages']);
    const job = JSON.parse(await seed('curl -XGET 127.0.0.1:4646/v1/job/stages | jq'));
    expect(job).toMatchObject({ ID: 'stages', Status: 'running', Stop: false });
    const allocs = JSON.parse(await seed('curl -XGET "127.0.0.1:4646/v1/job/stages/allocations" | jq'));
    const alloc = JSON.parse(await seed(`curl -XGET "127.0.0.1:4646/v1/allocation/${allocs[0].ID}" | jq`));
    expect(alloc).toMatchObject({ ID: allocs[0].ID, JobID: 'stages', ClientStatus: 'running' });
    const nodes = JSON.parse(await seed('curl -XGET "127.0.0.1:4646/v1/nodes" | jq'));
    expect(nodes[0]).toMatchObject({ Status: 'ready', Drivers: { dtle: { Detected: true, Healthy: true } } });
    expect(nodes[0].Drivers.dtle.Attributes['driver.dtle']).toBe('true');
  });

  it('greps the stages exactly as the seed shows them', async () => {
    await stageAllocation();
    const out = await seed(`curl -XGET "127.0.0.1:4646/v1/job/stages/allocations" | jq '.' | grep job_stage`);
    expect(
      out
        .split('\n')
        .filter(Boolean)
        .map((line) => line.trim()),
    ).toEqual([
      '"DisplayMessage": "job_stage_full",',
      '"DriverMessage": "job_stage_full",',
      '"DisplayMessage": "job_stage_incr",',
      '"DriverMessage": "job_stage_incr",',
    ]);
  });

  it('answers the seed\'s POST (curl reads -data as -d "ata") with Go\'s decode error', async () => {
    const out = await run('bash', [
      '-c',
      `cd "$(mktemp -d)" && curl -s -w '\\n%{http_code}' -XPOST -data @job.json ${openHost}/v1/jobs; true`,
    ]);
    // curl's -w writes 000 for the URL "@job.json" it could not reach, then the answer and 400.
    expect(out.stdout).toMatch(/invalid character 'a' looking for beginning of value\n400$/);
    // The seed command itself, unchanged (jq cannot parse the plain-text error and says so).
    const piped = await run('bash', [
      '-c',
      `cd "$(mktemp -d)" && curl -s -XPOST -data @job.json ${openHost}/v1/jobs | jq; echo "jq:$?"`,
    ]);
    expect(piped.stdout.trim()).toMatch(/jq:[1-9]/);
    expect((await json('/v1/jobs')).map((j: any) => j.ID).sort()).toEqual(['flaky', 'stages']);
  });
});

describe('shapes', () => {
  it('every GET route validates against the OpenAPI spec', async () => {
    const allocs = await json('/v1/job/flaky/allocations');
    const nodes = await json('/v1/nodes');
    const concrete = (path: string) =>
      path
        .replace('/job/:id', '/job/flaky')
        .replace('/allocation/:id', `/allocation/${allocs[0].ID}`)
        .replace('/node/:id', `/node/${nodes[0].ID}`);
    const specPath = (path: string) =>
      path
        .replace('/job/:id', '/job/{jobName}')
        .replace('/allocation/:id', '/allocation/{allocID}')
        .replace('/node/:id', '/node/{nodeId}');
    const gets = NOMAD_ROUTES.filter((route) => route.method === 'GET');
    expect(gets.length).toBe(7);
    for (const route of gets) {
      const body = await json(`/v1${concrete(route.path)}`);
      expect(spec.validate('GET', specPath(route.path), body), route.path).toEqual([]);
    }
  });

  it('a failed attempt ends in a failed allocation and its restart makes a new one', async () => {
    const allocs = await json('/v1/job/flaky/allocations');
    expect(allocs).toHaveLength(2);
    const [second, first] = allocs;
    expect(first).toMatchObject({ ClientStatus: 'failed', NextAllocation: second.ID, TaskGroup: 'command' });
    expect(second).toMatchObject({ ClientStatus: 'failed', NextAllocation: '' });
    expect(second.RescheduleTracker.Events[0].PrevAllocID).toBe(first.ID);
    expect(new Set(allocs.map((a: any) => a.ID)).size).toBe(2);
    expect(await json('/v1/job/flaky/allocations')).toEqual(allocs);
    const types = second.TaskStates.command.Events.map((e: any) => e.Type);
    expect(types).toContain('Terminated');
    expect(types.at(-1)).toBe('Not Restarting');
    const job = await json('/v1/job/flaky');
    expect(job).toMatchObject({ Status: 'dead', Stop: false, Type: 'batch' });
    const evals = await json('/v1/job/flaky/evaluations');
    expect(evals.map((e: any) => e.TriggeredBy).sort()).toEqual(['alloc-failure', 'job-register']);
    expect(evals.map((e: any) => e.ID)).toContain(second.EvalID);
  });

  it('writes nanosecond times as exact integers', async () => {
    const response = await get('/v1/job/stages/allocations');
    const text = await response.text();
    const match = /"CreateTime":(\d+)/.exec(text)!;
    expect(match[1]).toMatch(/^\d{19}$/);
    expect(match[1]!.endsWith('000000')).toBe(true);
  });

  it('pretty-prints with ?pretty', async () => {
    const text = await (await get('/v1/nodes?pretty')).text();
    expect(text.startsWith('[\n    {')).toBe(true);
  });
});

describe('errors', () => {
  it('unknown job, allocation and node are 404 plain text', async () => {
    for (const [path, message] of [
      ['/v1/job/nope', 'job not found'],
      ['/v1/job/nope/allocations', 'job not found'],
      ['/v1/allocation/00000000-0000-0000-0000-000000000000', 'alloc not found'],
      ['/v1/allocation/short', 'alloc not found'],
      ['/v1/node/00000000-0000-0000-0000-000000000000', 'node not found'],
    ]) {
      const response = await get(path!);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toBe(message);
    }
  });

  it('deleting a job that does not exist is no error (Nomad creates no evaluation)', async () => {
    const response = await get('/v1/job/never-was', tokens.operator, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 0 });
    const purge = await get('/v1/job/never-was?purge=maybe', tokens.operator, { method: 'DELETE' });
    expect(purge.status).toBe(500);
    expect(await purge.text()).toMatch(/^Failed to parse value of "purge" \(maybe\) as a bool/);
  });

  it('a register whose body names another job is 400', async () => {
    const response = await get('/v1/job/stages', tokens.admin, {
      method: 'PUT',
      body: JSON.stringify({ Job: { ID: 'other', Datacenters: ['dc1'] } }),
    });
    expect([response.status, await response.text()]).toEqual([400, 'Job ID does not match name']);
  });

  it('unknown path 404, wrong method 405 Invalid method', async () => {
    const missing = await get('/v1/nothing');
    expect([missing.status, await missing.text()]).toEqual([404, '404 page not found\n']);
    const wrong = await get('/v1/nodes', tokens.admin, { method: 'DELETE' });
    expect([wrong.status, await wrong.text()]).toEqual([405, 'Invalid method']);
  });

  it('bad blocking parameters are 400', async () => {
    const wait = await get('/v1/jobs?index=1&wait=10');
    expect([wait.status, await wait.text()]).toEqual([400, 'Invalid wait time']);
    const index = await get('/v1/jobs?index=abc');
    expect([index.status, await index.text()]).toEqual([400, 'Invalid index']);
  });

  it('refuses a missing or unknown token as Nomad does, and a viewer write', async () => {
    const none = await fetch(`${base}/v1/jobs`);
    expect([none.status, await none.text()]).toEqual([403, 'Permission denied']);
    const wrong = await get('/v1/jobs', 'not-a-token');
    expect([wrong.status, await wrong.text()]).toEqual([403, 'ACL token not found']);
    const write = await get('/v1/job/stages', tokens.viewer, { method: 'DELETE' });
    expect([write.status, await write.text()]).toEqual([403, 'Permission denied']);
    expect((await json('/v1/job/stages')).Status).toBe('running');
  });
});

describe('blocking queries', () => {
  it('answers at once without an index, waits with one until the answer changes', async () => {
    await stageAllocation();
    const first = await get('/v1/job/stages/allocations');
    const index = Number(first.headers.get('x-nomad-index'));
    // Nothing changes: the wait ends with the same index (the positive control for the next wait).
    const idle = await get(`/v1/job/stages/allocations?index=${index}&wait=300ms`);
    expect(Number(idle.headers.get('x-nomad-index'))).toBe(index);
    const waiting = get(`/v1/job/stages/allocations?index=${index}&wait=60s`);
    const stopped = await get('/v1/job/stages', tokens.operator, { method: 'DELETE' });
    expect(stopped.status).toBe(200);
    const answer = await waiting;
    expect(Number(answer.headers.get('x-nomad-index'))).toBeGreaterThan(index);
    await t.waitForRun(stagesRun, ['CANCELED']);
    const job = await until('the stopped job to read dead', async () => {
      const read = await json('/v1/job/stages');
      return read.Status === 'dead' ? read : undefined;
    });
    expect(job.Stop).toBe(true);
  });
});
