// The Dkron dialect's job, execution and cluster routes with auth on: Dkron's status codes and text
// error bodies for bad job bodies (and nothing stored), the roles GraphQL enforces, Dkron's list
// query parameters, parents and dependents, and answers that validate against Dkron's OpenAPI spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait.ts';
import { dkronSpec, startDkronHarness, type DkronHarness } from './dkron-harness.ts';

let h: DkronHarness;

beforeAll(async () => {
  h = await startDkronHarness();
});
afterAll(async () => {
  await h?.close();
});

type Role = 'viewer' | 'operator' | 'admin';

async function dkron(
  method: string,
  path: string,
  role: Role | null = 'admin',
  body?: unknown,
  base?: string,
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (role) headers.authorization = `Bearer ${h.tokens[role]}`;
  const res = await fetch(`${base ?? h.dkron}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

const shell = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  schedule: '@manually',
  executor: 'shell',
  executor_config: { command: `echo ${name}` },
  ...extra,
});

async function jobNames(): Promise<string[]> {
  const res = await h.t.graphql<{ jobs: { nodes: { name: string }[] } }>(
    `{ jobs(first: 100) { nodes { name } } }`,
  );
  return res.data!.jobs.nodes.map((j) => j.name);
}

describe('bad job bodies', () => {
  it.each([
    [
      'a 5-field cron',
      shell('five', { schedule: '*/5 * * * *' }),
      400,
      "Job validation failed: can't parse job schedule: expected exactly 6 fields, found 5: [*/5 * * * *].",
    ],
    [
      'no schedule',
      shell('none', { schedule: '' }),
      400,
      "Job validation failed: can't parse job schedule: empty spec string.",
    ],
    [
      'an unknown descriptor',
      shell('desc', { schedule: '@fortnightly' }),
      400,
      "Job validation failed: can't parse job schedule: unrecognized descriptor: @fortnightly.",
    ],
    ['an upper-case name', shell('Job1'), 400, "Job validation failed: name contains illegal character 'J'."],
    ['a dotted name', shell('job.one'), 400, "Job validation failed: name contains illegal character '.'."],
    ['no name', shell(''), 400, 'Job validation failed: name cannot be empty.'],
    [
      'itself as parent',
      shell('selfish', { parent_job: 'selfish' }),
      400,
      'Job validation failed: the job can not have itself as parent.',
    ],
    [
      'a bad concurrency',
      shell('conc', { concurrency: 'sometimes' }),
      400,
      'Job validation failed: invalid concurrency policy value, use "allow" or "forbid".',
    ],
    [
      'an unknown executor',
      shell('kafka', { executor: 'kafka' }),
      400,
      'Job validation failed: executor kafka not found, jobgate runs shell and http.',
    ],
    [
      'a bad shell timeout',
      shell('slow', { executor_config: { command: 'true', timeout: 'soon' } }),
      400,
      'Job validation failed: Error parsing job timeout value.',
    ],
    ['a missing parent', shell('orphan', { parent_job: 'nobody' }), 404, 'specified parent job not found'],
    ['an unknown time zone', shell('zone', { timezone: 'Mars/Olympus' }), 400, null],
  ])('%s: Dkron status and text body, nothing stored', async (_what, body, status, text) => {
    const res = await dkron('POST', '/v1/jobs', 'admin', body);
    expect(res.status).toBe(status);
    if (text) expect(res.text).toBe(text);
    else expect(res.text).toMatch(/^Job validation failed: .*\.$/);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await jobNames()).toEqual([]);
  });

  it('answers an unparsable body 400 Unable to parse payload', async () => {
    const res = await dkron('POST', '/v1/jobs', 'admin', '{"name": "x",');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Unable to parse payload: .*\.$/);
    const wrongType = await dkron('POST', '/v1/jobs', 'admin', { ...shell('typed'), retries: 'three' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.text).toMatch(/^Unable to parse payload: json: cannot unmarshal/);
    expect(await jobNames()).toEqual([]);
  });
});

describe('roles', () => {
  it('answers 401 without a token, in plain text', async () => {
    const res = await dkron('GET', '/v1/jobs', null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it("takes Dkron Pro's X-Dkron-Token header as the token", async () => {
    const res = await fetch(`${h.dkron}/v1/jobs`, { headers: { 'x-dkron-token': h.tokens.viewer } });
    expect(res.status).toBe(200);
    const bad = await fetch(`${h.dkron}/v1/jobs`, { headers: { 'x-dkron-token': 'jg_not-a-token' } });
    expect(bad.status).toBe(401);
  });

  it('refuses a shell job from an operator (403) and a viewer, as GraphQL does, storing nothing', async () => {
    const op = await dkron('POST', '/v1/jobs', 'operator', shell('by-operator'));
    expect(op.status).toBe(403);
    expect(op.text).toBe('only admins may define jobs that run shell commands or send HTTP requests');
    const viewer = await dkron('POST', '/v1/jobs', 'viewer', shell('by-viewer'));
    expect(viewer.status).toBe(403);
    expect(await jobNames()).toEqual([]);
  });

  it('lets an operator run an admin-defined shell job but not toggle or delete it', async () => {
    expect((await dkron('POST', '/v1/jobs', 'admin', shell('ops-run'))).status).toBe(201);
    expect((await dkron('POST', '/v1/jobs/ops-run/run', 'operator')).status).toBe(200);
    expect((await dkron('POST', '/v1/jobs/ops-run/run', 'viewer')).status).toBe(403);
    expect((await dkron('POST', '/v1/jobs/ops-run/toggle', 'operator')).status).toBe(403);
    expect((await dkron('DELETE', '/v1/jobs/ops-run', 'operator')).status).toBe(403);
    expect((await dkron('GET', '/v1/jobs/ops-run', 'viewer')).json.disabled).toBe(false);
    expect((await dkron('DELETE', '/v1/jobs/ops-run', 'admin')).status).toBe(200);
  });
});

describe('jobs', () => {
  it('creates with 201 and Location, upserts by name (PUT ignores the path), and shows Dkron JSON', async () => {
    const created = await dkron(
      'POST',
      '/v1/jobs',
      'admin',
      shell('parent-a', {
        schedule: '0 30 * * * *',
        timezone: 'Europe/Berlin',
        displayname: 'Parent A',
        owner: 'Platform Team',
        metadata: { office: 'Barcelona' },
        processors: { files: { forward: 'true' } },
        concurrency: 'forbid',
        retries: 2,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/jobs/parent-a');
    expect(created.json).toMatchObject({
      id: 'parent-a',
      displayname: 'Parent A',
      schedule: '0 30 * * * *',
      timezone: 'Europe/Berlin',
      concurrency: 'forbid',
      retries: 2,
      metadata: { office: 'Barcelona' },
      processors: { files: { forward: 'true' } },
    });
    expect(new Date(created.json.next).getUTCMinutes()).toBe(30);
    expect(dkronSpec.validate('post', '/jobs', created.json, 201)).toEqual([]);

    const child = await dkron(
      'PUT',
      '/v1/jobs/ignored-name',
      'admin',
      shell('child-b', { schedule: '', parent_job: 'parent-a' }),
    );
    expect(child.status).toBe(201);
    expect(child.json).toMatchObject({ name: 'child-b', parent_job: 'parent-a', schedule: '' });
    expect((await dkron('GET', '/v1/jobs/ignored-name', 'viewer')).status).toBe(404);
    const parent = await dkron('GET', '/v1/jobs/parent-a', 'viewer');
    expect(parent.json.dependent_jobs).toEqual(['child-b']);

    // Upsert: the same name again replaces the job (what the body leaves out is reset).
    const updated = await dkron(
      'PATCH',
      '/v1/jobs',
      'admin',
      shell('parent-a', { schedule: '@every 1h30m10s' }),
    );
    expect(updated.status).toBe(201);
    expect(updated.json).toMatchObject({
      schedule: '@every 5410s',
      displayname: '',
      concurrency: 'allow',
      metadata: {},
    });
    expect(await jobNames()).toEqual(['child-b', 'parent-a']);
  });

  it('lists with X-Total-Count, metadata[k]=v, q, disabled, _sort/_order and _start/_end', async () => {
    for (const [name, office] of [
      ['list-1', 'bcn'],
      ['list-2', 'mad'],
      ['list-3', 'bcn'],
    ]) {
      expect((await dkron('POST', '/v1/jobs', 'admin', shell(name!, { metadata: { office } }))).status).toBe(
        201,
      );
    }
    await dkron('POST', '/v1/jobs/list-3/toggle', 'admin');
    const all = await dkron('GET', '/v1/jobs', 'viewer');
    expect(all.status).toBe(200);
    expect(Number(all.headers.get('x-total-count'))).toBe(all.json.length);
    for (const job of all.json) expect(dkronSpec.validate('get', '/jobs', [job])).toEqual([]);
    const names = async (query: string) =>
      (await dkron('GET', `/v1/jobs?${query}`, 'viewer')).json.map((j: any) => j.name);
    expect(await names('metadata[office]=bcn')).toEqual(['list-1', 'list-3']);
    expect(await names('q=list&disabled=false')).toEqual(['list-1', 'list-2']);
    expect(await names('q=list&_sort=name&_order=DESC')).toEqual(['list-3', 'list-2', 'list-1']);
    const sliced = await dkron('GET', '/v1/jobs?q=list&_start=1&_end=2', 'viewer');
    expect(sliced.json.map((j: any) => j.name)).toEqual(['list-2']);
    expect(sliced.headers.get('x-total-count')).toBe('3');
    expect(await names('q=list&status=untriggered')).toEqual(['list-1', 'list-2', 'list-3']);
    const pretty = await dkron('GET', '/v1/jobs/list-1?pretty', 'viewer');
    expect(pretty.text).toContain('\n    "name": "list-1"');
  });

  it('answers unknown jobs 404 with an empty body, and unknown paths as gin does', async () => {
    for (const [method, path] of [
      ['GET', '/v1/jobs/nope'],
      ['DELETE', '/v1/jobs/nope'],
      ['POST', '/v1/jobs/nope/run'],
      ['POST', '/v1/jobs/nope/toggle'],
      ['GET', '/v1/jobs/nope/executions'],
    ]) {
      const res = await dkron(method!, path!, 'admin');
      expect([method, path, res.status, res.text]).toEqual([method, path, 404, '']);
    }
    const unknown = await dkron('GET', '/v2/jobs', 'viewer');
    expect([unknown.status, unknown.text]).toEqual([404, '404 page not found']);
  });

  it('runs on create with ?runoncreate, records executions, and clears them', async () => {
    const created = await dkron('POST', '/v1/jobs?runoncreate', 'admin', shell('quick'));
    expect(created.status).toBe(201);
    const list = await until('an ended execution of quick', async () => {
      const res = await dkron('GET', '/v1/jobs/quick/executions', 'viewer');
      return res.json?.find((e: any) => e.success) ? res : undefined;
    });
    expect(list.json[0]).toMatchObject({
      job_name: 'quick',
      success: true,
      output: 'quick\n',
      output_truncated: false,
    });
    const cut = await dkron('GET', '/v1/jobs/quick/executions?output_size_limit=3', 'viewer');
    expect(cut.json[0]).toMatchObject({ output: 'ck\n', output_truncated: true });
    const shown = await dkron('GET', '/v1/jobs/quick', 'viewer');
    expect(shown.json).toMatchObject({ success_count: 1, status: 'success' });
    const cleared = await dkron('DELETE', '/v1/jobs/quick/executions', 'admin');
    expect(cleared.status).toBe(200);
    expect(cleared.json).toMatchObject({
      name: 'quick',
      success_count: 0,
      error_count: 0,
      last_success: null,
    });
    expect((await dkron('GET', '/v1/jobs/quick/executions', 'viewer')).json).toEqual([]);
  });

  it('reports a failing command as a failed execution with its stderr', async () => {
    const created = await dkron(
      'POST',
      '/v1/jobs',
      'admin',
      shell('broken', { executor_config: { command: 'echo oops >&2; exit 3' } }),
    );
    expect(created.status).toBe(201);
    expect((await dkron('POST', '/v1/jobs/broken', 'operator')).status).toBe(200);
    const ended = await until('a failed execution of broken', async () => {
      const res = await dkron('GET', '/v1/jobs/broken/executions', 'viewer');
      return res.json?.find((e: any) => e.finished_at !== '0001-01-01T00:00:00Z');
    });
    expect(ended).toMatchObject({ success: false, output: 'oops\n' });
    const job = await dkron('GET', '/v1/jobs/broken', 'viewer');
    expect(job.json).toMatchObject({ status: 'failed', error_count: 1 });
  });
});

describe('cluster routes', () => {
  it('answers members, leader, isleader, busy, status and health in Dkron shapes', async () => {
    const members = await dkron('GET', '/v1/members', 'viewer');
    expect(members.status).toBe(200);
    expect(members.json).toEqual([
      expect.objectContaining({ Name: 'test-node', Status: 1, statusText: 'alive', Port: 8946 }),
    ]);
    expect(dkronSpec.validate('get', '/members', members.json)).toEqual([]);
    const again = await dkron('GET', '/v1/members', 'viewer');
    expect(again.json[0].id).not.toBe(members.json[0].id);

    const leader = await dkron('GET', '/v1/leader', 'viewer');
    expect(leader.json).toMatchObject({ Name: 'test-node', Status: 1 });
    expect(leader.json.id).toBeUndefined();
    expect(dkronSpec.validate('get', '/leader', leader.json)).toEqual([]);

    const isLeader = await dkron('GET', '/v1/isleader', 'viewer');
    expect([isLeader.status, isLeader.json]).toEqual([200, 'I am a leader']);

    const status = await dkron('GET', '/v1/', 'viewer');
    expect(status.json).toMatchObject({ agent: { name: 'jobgate' }, serf: { members: '1' } });
    // The spec types agent's and serf's values as objects; Dkron writes strings (ENDPOINTS.md §1,
    // GET /v1), and so does jobgate: only the top level is the spec's.
    expect(Object.keys(status.json).sort()).toEqual(['agent', 'serf', 'tags']);
    for (const part of ['agent', 'serf', 'tags']) {
      expect(Object.values(status.json[part]).every((v) => typeof v === 'string')).toBe(true);
    }

    expect((await dkron('GET', '/health', 'viewer')).json).toEqual({ status: 'healthy' });
    expect((await dkron('GET', '/v1/pause', 'viewer')).json).toEqual({ paused: false });
  });

  it('lists a running execution under /v1/busy until it ends', async () => {
    expect(
      (
        await dkron(
          'POST',
          '/v1/jobs',
          'admin',
          shell('sleeper', { executor_config: { command: 'sleep 30' } }),
        )
      ).status,
    ).toBe(201);
    expect((await dkron('POST', '/v1/jobs/sleeper/run', 'operator')).status).toBe(200);
    const busy = await until('sleeper busy', async () => {
      const res = await dkron('GET', '/v1/busy', 'viewer');
      return res.json?.find((e: any) => e.job_name === 'sleeper') ? res : undefined;
    });
    expect(busy.json[0]).toMatchObject({
      job_name: 'sleeper',
      finished_at: '0001-01-01T00:00:00Z',
      success: false,
    });
    expect(dkronSpec.validate('get', '/busy', busy.json)).toEqual([]);
    const job = await dkron('GET', '/v1/jobs/sleeper', 'viewer');
    expect(job.json.status).toBe('running');
    const run = await h.t.graphql<{ runs: { nodes: { id: string }[] } }>(
      `{ runs(job: "sleeper") { nodes { id } } }`,
    );
    const id = run.data!.runs.nodes[0]!.id;
    await h.t.graphql(`mutation($id: ID!) { cancelJob(input: { runId: $id }) { run { id } } }`, { id });
    await until('sleeper not busy', async () => {
      const res = await dkron('GET', '/v1/busy', 'viewer');
      return res.json && !res.json.some((e: any) => e.job_name === 'sleeper');
    });
  });

  it('serves the same routes under /compat/dkron on the main port', async () => {
    const res = await dkron('GET', '/compat/dkron/v1/isleader', 'viewer', undefined, h.main);
    expect([res.status, res.json]).toEqual([200, 'I am a leader']);
  });
});
