// The Dkron seed (seeds/002: "分布式调度任务管理——Dkron(2)运行配置"), its API table run as curl commands
// against jobgate's Dkron port with only host:port changed: create the seed's job (@every 10s, shell
// echo), see it fire on its own and its executions carry the echo's output, then toggle and delete
// as the table does. The table's job body is JSON with `//` notes; they are taken out as anyone
// pasting it would (Dkron itself answers 400 to a body with comments, and so does jobgate, below).
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait.ts';
import { curl, dkronSpec, startDkronHarness, type DkronHarness } from './dkron-harness.ts';

const SEED = readFileSync(new URL('../../../shared/seeds/002_26b86004072492fe.txt', import.meta.url), 'utf8');

/** The job example of the seed, as printed (one line of JSON with `//` notes). */
const seedJobText = SEED.slice(SEED.indexOf('job实例:') + 'job实例:'.length, SEED.indexOf('三、')).trim();
/** The seed's API table rows: method, URL, body, note. */
const table = [
  ...SEED.matchAll(/^(POST|DELETE|GET|PUT) \|\n(http:\/\/localhost:8080\S+) \|\n(.*) \|\n(.*) \|$/gm),
].map((m) => ({ method: m[1]!, url: m[2]!, body: m[3]!, note: m[4]! }));

let h: DkronHarness;
let dir: string;
/** The seed's URL with only host:port changed. */
const at = (url: string) => url.replace('http://localhost:8080', h.open);

beforeAll(async () => {
  h = await startDkronHarness();
  dir = mkdtempSync(join(tmpdir(), 'jobgate-dkron-seed-'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Dkron seed, by curl', () => {
  it('holds the job example and the three API rows', () => {
    expect(seedJobText).toMatch(/^\{ "name": "job1".*\}$/);
    expect(table.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST http://localhost:8080/v1/jobs',
      'POST http://localhost:8080/v1/jobs/myfirst/toggle',
      'DELETE http://localhost:8080/v1/jobs/myfirst',
    ]);
  });

  it('answers the body with its // notes as Dkron does (400, nothing stored)', async () => {
    const file = join(dir, 'with-notes.json');
    writeFileSync(file, seedJobText);
    const res = await curl([
      '-X',
      'POST',
      at(table[0]!.url),
      '-H',
      'Content-Type: application/json',
      '-d',
      `@${file}`,
    ]);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Unable to parse payload: .*\.$/);
    const list = await curl([at('http://localhost:8080/v1/jobs')]);
    expect(list.json).toEqual([]);
  });

  it('creates the seed job, which fires every 10 s and records the echo as its output', async () => {
    const body = seedJobText.replace(/\/\/[^"{}]*/g, '');
    const job = JSON.parse(body);
    expect(job).toMatchObject({ name: 'job1', schedule: '@every 10s', executor: 'shell' });
    const file = join(dir, 'job1.json');
    writeFileSync(file, body);
    const created = await curl([
      '-X',
      'POST',
      at(table[0]!.url),
      '-H',
      'Content-Type: application/json',
      '-d',
      `@${file}`,
    ]);
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe('/v1/jobs/job1');
    expect(created.headers['x-whom']).toBeTruthy();
    expect(created.json).toMatchObject({
      name: 'job1',
      schedule: '@every 10s',
      timezone: 'Asia/Shanghai',
      owner: 'Platform Team',
      owner_email: 'platform@example.com',
      disabled: false,
      tags: { server: 'true:1' },
      metadata: { user: '12345' },
      retries: 3,
      dependent_jobs: null,
      parent_job: '',
      concurrency: 'allow',
      executor: 'shell',
      executor_config: { command: 'echo "-------Hello world------!"' },
      success_count: 0,
      error_count: 0,
      last_success: null,
      status: '',
    });
    expect(Date.parse(created.json.next)).toBeGreaterThan(Date.now() - 1000);
    expect(dkronSpec.validate('post', '/jobs', created.json, 201)).toEqual([]);

    // It fires on its own (nobody runs it) and the execution shows the echo.
    const executions = await until(
      'a successful execution of job1',
      async () => {
        const res = await curl([at('http://localhost:8080/v1/jobs/job1/executions')]);
        return res.json?.some((e: any) => e.success) ? res : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(executions.status).toBe(200);
    expect(Number(executions.headers['x-total-count'])).toBe(executions.json.length);
    const done = executions.json.find((e: any) => e.success);
    expect(done).toMatchObject({
      job_name: 'job1',
      success: true,
      output: '-------Hello world------!\n',
      attempt: 1,
    });
    expect(done.node_name).toBe('test-node');
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));
    expect(dkronSpec.validate('get', '/jobs/{job_name}/executions', executions.json)).toEqual([]);

    const one = await curl([at(`http://localhost:8080/v1/jobs/job1/executions/${done.id}`)]);
    expect(one.json).toMatchObject({ id: done.id, success: true, output: '-------Hello world------!\n' });

    const shown = await curl([at('http://localhost:8080/v1/jobs/job1')]);
    expect(shown.json.success_count).toBeGreaterThanOrEqual(1);
    expect(shown.json.status).toMatch(/^(success|running)$/);
    expect(Date.parse(shown.json.last_success)).toBeGreaterThan(0);
    expect(shown.json.last_error).toBeNull();
    expect(Date.parse(shown.json.next)).toBeGreaterThan(Date.parse(done.started_at));
    expect(dkronSpec.validate('get', '/jobs/{job_name}', shown.json)).toEqual([]);
  });

  it("runs the table's toggle and delete of myfirst (after creating it from the same body)", async () => {
    const body = seedJobText
      .replace(/\/\/[^"{}]*/g, '')
      .replace('"job1"', '"myfirst"')
      .replace('@every 10s', '@manually');
    const file = join(dir, 'myfirst.json');
    writeFileSync(file, body);
    const created = await curl([
      '-X',
      'POST',
      at(table[0]!.url),
      '-H',
      'Content-Type: application/json',
      '-d',
      `@${file}`,
    ]);
    expect(created.status).toBe(201);

    const toggled = await curl(['-X', table[1]!.method, at(table[1]!.url)]);
    expect(toggled.status).toBe(200);
    expect(toggled.json).toMatchObject({ name: 'myfirst', disabled: true });
    expect(dkronSpec.validate('post', '/jobs/{job_name}/toggle', toggled.json)).toEqual([]);

    const deleted = await curl(['-X', table[2]!.method, at(table[2]!.url)]);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ name: 'myfirst', disabled: true });
    expect(dkronSpec.validate('delete', '/jobs/{job_name}', deleted.json)).toEqual([]);

    const gone = await curl([at('http://localhost:8080/v1/jobs/myfirst')]);
    expect(gone.status).toBe(404);
    expect(gone.text).toBe('');
    const again = await curl(['-X', table[2]!.method, at(table[2]!.url)]);
    expect(again.status).toBe(404);
  });

  it('stops job1 firing once it is toggled off', async () => {
    const toggled = await curl(['-X', 'POST', at('http://localhost:8080/v1/jobs/job1/toggle')]);
    expect(toggled.json).toMatchObject({ name: 'job1', disabled: true, next: '0001-01-01T00:00:00Z' });
  });
});
