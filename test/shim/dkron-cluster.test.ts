// The Dkron dialect's pause switch, /isleader, /leave and /restore over real HTTP with auth on: the
// paused flag is shared through the database (a second gateway sees it), submissions answer 503
// while paused and pass again once unpaused, and a restore file upserts its jobs parents first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/db/schema/index.ts';
import { startDialectHarness, type DialectHarness } from '../support/dialect-harness.ts';
import { curl, startDkronHarness, type DkronHarness } from './dkron-harness.ts';

let h: DkronHarness;
let dir: string;

beforeAll(async () => {
  h = await startDkronHarness();
  dir = await mkdtemp(join(tmpdir(), 'dkron-restore-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Role = 'viewer' | 'operator' | 'admin';

async function dkron(method: string, path: string, role: Role | null, body?: unknown, base?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (role) headers.authorization = `Bearer ${h.tokens[role]}`;
  const res = await fetch(`${base ?? h.dkron}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const shell = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  schedule: '@manually',
  executor: 'shell',
  executor_config: { command: `echo ${name}` },
  ...extra,
});

/** POST /v1/restore with `jobs` as the multipart `file`, through curl -F as people call it. */
async function restore(role: Role, jobs: unknown, name = 'jobs.json') {
  const path = join(dir, name);
  await writeFile(path, typeof jobs === 'string' ? jobs : JSON.stringify(jobs));
  return curl([
    '-X',
    'POST',
    '-H',
    `Authorization: Bearer ${h.tokens[role]}`,
    '-F',
    `file=@${path}`,
    `${h.dkron}/v1/restore`,
  ]);
}

describe('pause and unpause', () => {
  it('lets only an admin pause, refuses submissions 503 on every gateway while paused, and lets them through after unpause', async () => {
    expect((await dkron('GET', '/v1/pause', 'viewer')).json).toEqual({ paused: false });
    for (const role of ['viewer', 'operator'] as const) {
      const refused = await dkron('POST', '/v1/pause', role);
      expect(refused.status).toBe(403);
      expect((await dkron('GET', '/v1/pause', 'viewer')).json).toEqual({ paused: false });
    }

    const paused = await dkron('POST', '/v1/pause', 'admin');
    expect([paused.status, paused.json]).toEqual([200, { paused: true }]);
    expect((await dkron('GET', '/v1/pause', 'viewer')).json).toEqual({ paused: true });
    // The second gateway over the same database reads the same flag and refuses too.
    expect((await dkron('GET', '/v1/pause', null, undefined, h.open)).json).toEqual({ paused: true });

    for (const [method, path] of [
      ['POST', '/v1/jobs'],
      ['PATCH', '/v1/jobs'],
      ['PUT', '/v1/jobs/held'],
    ] as const) {
      const res = await dkron(method, path, 'admin', shell('held'));
      expect([res.status, res.text]).toEqual([503, 'New job submissions are currently paused']);
    }
    const open = await dkron('POST', '/v1/jobs', null, shell('held'), h.open);
    expect([open.status, open.text]).toEqual([503, 'New job submissions are currently paused']);
    expect((await dkron('GET', '/v1/jobs/held', 'viewer')).status).toBe(404);

    expect((await dkron('POST', '/v1/unpause', 'operator')).status).toBe(403);
    const unpaused = await dkron('POST', '/v1/unpause', 'admin');
    expect([unpaused.status, unpaused.json]).toEqual([200, { paused: false }]);
    expect((await dkron('GET', '/v1/pause', null, undefined, h.open)).json).toEqual({ paused: false });
    const created = await dkron('POST', '/v1/jobs', 'admin', shell('held'));
    expect(created.status).toBe(201);
    expect((await dkron('GET', '/v1/jobs/held', 'viewer')).json).toMatchObject({ name: 'held' });
  });
});

describe('the pause outlives the audit trail', () => {
  it('stays paused after retention deletes every audit row, and the unpause is still recorded', async () => {
    expect((await dkron('POST', '/v1/pause', 'admin')).json).toEqual({ paused: true });
    // What audit retention does to old rows: the flag must not go with them.
    await h.t.database.db.delete(auditEvents);
    expect((await dkron('GET', '/v1/pause', 'viewer')).json).toEqual({ paused: true });
    const refused = await dkron('POST', '/v1/jobs', 'admin', shell('after-retention'));
    expect([refused.status, refused.text]).toEqual([503, 'New job submissions are currently paused']);

    expect((await dkron('POST', '/v1/unpause', 'admin')).json).toEqual({ paused: false });
    expect((await dkron('GET', '/v1/pause', null, undefined, h.open)).json).toEqual({ paused: false });
    const actions = await h.t.database.db
      .select({ action: auditEvents.action, actor: auditEvents.actor })
      .from(auditEvents);
    expect(actions).toEqual([{ action: 'submissions:unpause', actor: expect.any(String) }]);
  });
});

describe('leader and leave', () => {
  it('answers isleader as the leader while a member is alive, and leave with the members, stopping nothing', async () => {
    const isLeader = await dkron('GET', '/v1/isleader', 'viewer');
    expect([isLeader.status, isLeader.json]).toEqual([200, 'I am a leader']);

    const left = await dkron('POST', '/v1/leave', 'viewer');
    expect(left.status).toBe(200);
    expect(left.json).toEqual([expect.objectContaining({ Name: 'test-node', Status: 1, Port: 8946 })]);
    const members = await dkron('GET', '/v1/members', 'viewer');
    expect(members.json).toEqual([expect.objectContaining({ Name: 'test-node', Status: 1 })]);
  });

  it('answers isleader 404 "I am a follower" when no member is alive', async () => {
    let lone: DialectHarness | undefined;
    try {
      lone = await startDialectHarness('dkron', { node: false });
      const res = await fetch(`${lone.open}/v1/isleader`);
      expect([res.status, await res.json()]).toEqual([404, 'I am a follower']);
    } finally {
      await lone?.close();
    }
  });
});

describe('restore', () => {
  it('upserts a two-job file parents first and answers a JSON string of the results', async () => {
    const res = await restore('admin', [
      shell('restored-child', { parent_job: 'restored-parent' }),
      shell('restored-parent', { schedule: '@every 1h' }),
    ]);
    expect(res.status).toBe(200);
    expect(typeof res.json).toBe('string');
    expect(JSON.parse(res.json)).toEqual(['success create restored-parent', 'success create restored-child']);
    const parent = await dkron('GET', '/v1/jobs/restored-parent', 'viewer');
    expect(parent.json).toMatchObject({ name: 'restored-parent', dependent_jobs: ['restored-child'] });
    const child = await dkron('GET', '/v1/jobs/restored-child', 'viewer');
    expect(child.json).toMatchObject({
      parent_job: 'restored-parent',
      executor_config: { command: 'echo restored-child' },
    });

    // Restoring again upserts: the command changes in place.
    const again = await restore('admin', [
      shell('restored-parent', { executor_config: { command: 'echo again' } }),
    ]);
    expect(JSON.parse(again.json)).toEqual(['success create restored-parent']);
    expect((await dkron('GET', '/v1/jobs/restored-parent', 'viewer')).json.executor_config).toEqual({
      command: 'echo again',
    });
  });

  it('refuses a file with an invalid job whole, storing nothing, and a file that is no job array 422', async () => {
    const bad = await restore('admin', [
      shell('restore-ok'),
      shell('restore-bad', { schedule: 'not a cron' }),
    ]);
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/^Job validation failed: /);
    expect((await dkron('GET', '/v1/jobs/restore-ok', 'viewer')).status).toBe(404);

    for (const body of ['{"name":"x"}', 'not json']) {
      const res = await restore('admin', body);
      expect([res.status, res.text]).toEqual([422, '']);
    }
    const noFile = await curl([
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${h.tokens.admin}`,
      '-F',
      'other=1',
      `${h.dkron}/v1/restore`,
    ]);
    expect(noFile.status).toBe(422);
  });

  it('applies the role rules per job: an operator cannot restore a shell job, and nobody while paused', async () => {
    const res = await restore('operator', [shell('restore-by-operator')]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.json)).toEqual(['fail create restore-by-operator']);
    expect((await dkron('GET', '/v1/jobs/restore-by-operator', 'viewer')).status).toBe(404);

    expect((await dkron('POST', '/v1/pause', 'admin')).status).toBe(200);
    try {
      const held = await restore('admin', [shell('restore-paused')]);
      expect([held.status, held.text]).toEqual([503, 'New job submissions are currently paused']);
    } finally {
      expect((await dkron('POST', '/v1/unpause', 'admin')).status).toBe(200);
    }
    expect((await dkron('GET', '/v1/jobs/restore-paused', 'viewer')).status).toBe(404);
  });
});
