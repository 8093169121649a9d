// The Keeper dialect over real sockets: `?token=` auth as Keeper answers it, the seed's URLs with
// curl, restart WHOLE / EXCEPTIONAL / action ids on a steps job counted by the lines its steps
// append, instant with a delay, logs paged by Keeper's cursor, and the three kills with their
// child processes.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/wait.ts';
import { call, curl, startKeeperHarness, type KeeperHarness } from './keeper-harness.ts';

let h: KeeperHarness;
beforeAll(async () => {
  h = await startKeeperHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const url = (path: string, role: 'viewer' | 'operator' | 'admin' = 'operator') =>
  `${h.keeper}${path}${path.includes('?') ? '&' : '?'}token=${h.tokens[role]}`;

async function jobNumber(name: string): Promise<number> {
  const res = await h.t.graphql(`query($n: String!) { job(name: $n) { number } }`, { n: name });
  return res.data!.job.number;
}
async function runOf(taskId: number): Promise<{ id: string; status: string }> {
  const res = await h.t.graphql(`query($n: Int!) { runByNumber(number: $n) { id status } }`, { n: taskId });
  return res.data!.runByNumber;
}
const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
const count = (file: string, word: string) => lines(file).filter((l) => l === word).length;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('tokens', () => {
  it('no token is the missing-parameter 404, a wrong one 200 Access Denied., a viewer may not start', async () => {
    const missing = await call('PUT', `${h.keeper}/configurations/reload`);
    expect(missing).toMatchObject({
      status: 404,
      text: "Request is missing required query parameter 'token'",
    });
    const wrong = await call('PUT', `${h.keeper}/configurations/reload?token=not-a-token-at-all`);
    expect(wrong).toMatchObject({ status: 200, text: 'Access Denied.' });
    await h.t.createJob({ name: 'kp-guard', steps: [{ name: 'a', command: 'true' }] });
    const viewer = await call('PUT', url(`/task/instant/${await jobNumber('kp-guard')}`, 'viewer'));
    expect(viewer).toMatchObject({ status: 200, text: 'Access Denied.' });
    const operator = await call('PUT', url('/configurations/reload', 'operator'));
    expect(operator.text).toBe('Access Denied.');
    const admin = await call('PUT', url('/configurations/reload', 'admin'));
    expect(admin).toMatchObject({ status: 200, text: '1', type: 'text/plain; charset=UTF-8' });
  });

  it('never logs a query-string token', async () => {
    // Positive control: the secured app does log (its port, at start) and the token is in use.
    expect(h.logged()).toContain('dialect listening on its own port');
    await call('PUT', url('/task/kill/999999', 'admin'));
    await call('GET', url('/no/such/path', 'admin'));
    for (const token of Object.values(h.tokens)) expect(h.logged()).not.toContain(token);
  });
});

describe('the seed’s URLs, unchanged but for host:port', () => {
  it('answer as Keeper does', async () => {
    const home = await curl([`${h.open}/`]);
    expect(home).toMatchObject({ status: 200, text: '<h1>Welcome to Qross Keeper!</h1>' });
    const kill = await curl(['-X', 'PUT', `${h.open}/kill/task/3306`]);
    expect(kill.status).toBe(200);
    expect(kill.type).toBe('text/plain; charset=UTF-8');
    expect(JSON.parse(kill.text)).toEqual({ actions: [], warn: 'Task is not active.' });
    const set = await curl(['-X', 'PUT', `${h.open}/global/set?name=QUIT_ON_NEXT_BEAT&value=yes`]);
    expect(set).toMatchObject({ status: 200, text: '1' });
    expect((await curl(['-X', 'PUT', `${h.open}/global/set?name=QUIT_ON_NEXT_BEAT`])).status).toBe(404);
    for (const path of [
      '/configurations/reload',
      '/connection/setup/1',
      '/connection/remove/1',
      '/function/renew?function_name=f',
      '/function/remove?function_name=f',
      '/variable/renew?variable_name=v',
      '/variable/remove?variable_name=v',
    ]) {
      expect(await curl(['-X', 'PUT', `${h.open}${path}`])).toMatchObject({ status: 200, text: '1' });
    }
    const wrongMethod = await curl([`${h.open}/configurations/reload`]);
    expect(wrongMethod).toMatchObject({
      status: 405,
      text: 'HTTP method not allowed, supported methods: PUT',
    });
    const unknown = await curl(['-X', 'PUT', `${h.open}/task/kill/abc`]);
    expect(unknown).toMatchObject({ status: 404, text: 'The requested resource could not be found.' });
    const job = await curl(['-X', 'PUT', `${h.open}/job/kill/1`]);
    expect(job.status).toBe(404);
    const action = await curl(['-X', 'PUT', `${h.open}/action/kill/2035`]);
    expect(JSON.parse(action.text)).toEqual({ action: [] });
  });

  it('the documented task calls, their parameters left empty as the seed writes them', async () => {
    await h.t.createJob({ name: 'kp-seed', steps: [{ name: 'hello', command: 'echo hello-keeper' }] });
    const jobId = await jobNumber('kp-seed');
    const instant = await curl(['-X', 'PUT', `${h.open}/task/instant/${jobId}?creator=&delay=&ignore=`]);
    expect(instant.status).toBe(200);
    const task = JSON.parse(instant.text);
    await h.t.waitForRun((await runOf(task.id)).id, ['FINISHED']);
    const logs = await curl([
      `${h.open}/task/logs?jobId=${jobId}&taskId=${task.id}&recordTime=${encodeURIComponent(task.recordTime)}&actionId=${task.id * 1000 + 1}&cursor=0&mode=all`,
    ]);
    const page = JSON.parse(logs.text);
    expect(page.logs.map((l: any) => l.logText)).toContain('hello-keeper');
    expect(page.logs.every((l: any) => l.actionId === task.id * 1000 + 1)).toBe(true);
    expect(page.cursor).toBeGreaterThan(0);
    const restart = await curl(['-X', 'PUT', `${h.open}/task/restrat/${task.id}?more=&starter=`]);
    const restarted = JSON.parse(restart.text);
    expect(restarted).toMatchObject({ status: 'initialized' });
    await h.t.waitForRun((await runOf(restarted.id)).id, ['FINISHED']);
    expect(JSON.parse((await curl(['-X', 'PUT', `${h.open}/task/kill/${task.id}`])).text)).toEqual({
      actions: [],
      warn: 'Task is not active.',
    });
    expect(JSON.parse((await curl(['-X', 'PUT', `${h.open}/job/kill/${jobId}`])).text)).toEqual({
      actions: [],
    });
    const malformed = await curl(['-X', 'PUT', `${h.open}/task/instant/${jobId}?delay=soon`]);
    expect(malformed.status).toBe(400);
    expect(malformed.text).toMatch(/^The query parameter 'delay' was malformed:/);
  });
});

describe('restart on a steps job a → b → c whose b fails', () => {
  it('EXCEPTIONAL re-runs b and c, WHOLE all three, a list of action ids exactly those', async () => {
    const out = join(h.dir, 'abc.out');
    const ok = join(h.dir, 'b-may-pass');
    await h.t.createJob({
      name: 'kp-abc',
      steps: [
        { name: 'a', command: `echo a >> ${out}` },
        { name: 'b', command: `echo b >> ${out}; test -f ${ok}`, dependsOn: ['a'] },
        { name: 'c', command: `echo c >> ${out}`, dependsOn: ['b'] },
      ],
    });
    const jobId = await jobNumber('kp-abc');
    const started = await call('PUT', url(`/task/instant/${jobId}?creator=7`));
    expect(started.status).toBe(200);
    expect(started.type).toBe('text/plain; charset=UTF-8');
    expect(Object.keys(started.json)).toEqual(['id', 'recordTime']);
    expect(started.json.recordTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const taskId: number = started.json.id;
    const run = await runOf(taskId);
    await h.t.waitForRun(run.id, ['FAILED']);
    expect(lines(out)).toEqual(['a', 'b']);

    writeFileSync(ok, '');
    const exceptional = await call('PUT', url(`/task/restart/${taskId}?option=EXCEPTIONAL&starter=3`));
    expect(exceptional.json).toMatchObject({ id: taskId, status: 'ready' });
    await until('EXCEPTIONAL ran b and c', () => count(out, 'c') === 1);
    await h.t.waitForRun(run.id, ['FINISHED']);
    expect([count(out, 'a'), count(out, 'b'), count(out, 'c')]).toEqual([1, 2, 1]);

    // The seed's spelling: more=WHOLE (v1.5), a new task record.
    const whole = await call('PUT', url(`/task/restrat/${taskId}?more=WHOLE&starter=0`));
    expect(whole.json).toMatchObject({ status: 'initialized' });
    expect(whole.json.id).toBeGreaterThan(taskId);
    await h.t.waitForRun((await runOf(whole.json.id)).id, ['FINISHED']);
    expect([count(out, 'a'), count(out, 'b'), count(out, 'c')]).toEqual([2, 3, 2]);

    // A failed run again, then only a and c by action id (ids: task * 1000 + position).
    rmSync(ok, { force: true });
    const again = await call('PUT', url(`/task/instant/${jobId}`));
    const againRun = await runOf(again.json.id);
    await h.t.waitForRun(againRun.id, ['FAILED']);
    expect([count(out, 'a'), count(out, 'b'), count(out, 'c')]).toEqual([3, 4, 2]);
    const a = again.json.id * 1000 + 1;
    const c = again.json.id * 1000 + 3;
    const list = await call('PUT', url(`/task/restart/${again.json.id}?option=${a},${c}`));
    expect(list.json).toMatchObject({ id: again.json.id, status: 'ready' });
    await until('the listed steps ran', () => count(out, 'c') === 3);
    // b was not listed and had failed: the run stays FAILED, and b did not run again.
    await h.t.waitForRun(againRun.id, ['FAILED']);
    expect([count(out, 'a'), count(out, 'b'), count(out, 'c')]).toEqual([4, 4, 3]);

    const foreign = await call('PUT', url(`/task/restart/${again.json.id}?option=${taskId * 1000 + 1}`));
    expect(foreign.status).toBe(400);
  });
});

describe('instant', () => {
  it('with delay 5 starts the run no sooner than 5 s later; over 60 is refused', async () => {
    await h.t.createJob({ name: 'kp-delay', steps: [{ name: 'a', command: 'true' }] });
    const jobId = await jobNumber('kp-delay');
    const refused = await call('PUT', url(`/task/instant/${jobId}?delay=61`));
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/^The query parameter 'delay' was malformed:\n/);
    const asked = Date.now();
    const started = await call('PUT', url(`/task/instant/${jobId}?creator=1&delay=5&ignore=yes`));
    expect(started.status).toBe(200);
    const run = await h.t.waitForRun((await runOf(started.json.id)).id, ['FINISHED'], 60_000);
    expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(asked + 5_000 - 50);
  });
});

describe('task logs', () => {
  it('read in 100-line pages with the cursor give every line exactly once while the run writes', async () => {
    await h.t.createJob({
      name: 'kp-logs',
      steps: [{ name: 'talk', command: 'for i in $(seq 1 250); do echo line-$i; sleep 0.01; done' }],
    });
    const jobId = await jobNumber('kp-logs');
    const started = await call('PUT', url(`/task/instant/${jobId}`));
    const taskId = started.json.id;
    const recordTime = encodeURIComponent(started.json.recordTime);
    const seen: string[] = [];
    let cursor = 0;
    let sawNegative = false;
    let pages = 0;
    await until(
      'every line read',
      async () => {
        const page = await call(
          'GET',
          url(`/task/logs?jobId=${jobId}&taskId=${taskId}&recordTime=${recordTime}&cursor=${cursor}`),
        );
        expect(page.status).toBe(200);
        expect(page.json.logs.length).toBeLessThanOrEqual(100);
        pages++;
        if (page.json.cursor < 0) sawNegative = true;
        cursor = page.json.cursor;
        for (const row of page.json.logs) {
          expect(Object.keys(row)).toEqual(['id', 'commandId', 'actionId', 'logType', 'logText']);
          if (/^line-\d+$/.test(row.logText)) seen.push(row.logText);
        }
        const run = await runOf(taskId);
        return run.status === 'FINISHED' && page.json.logs.length === 0 && cursor > 0;
      },
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => `line-${i + 1}`));
    expect(pages).toBeGreaterThanOrEqual(3);
    // While the run wrote, the cursor was Keeper's negative database-row cursor.
    expect(sawNegative).toBe(true);

    const error = await call(
      'GET',
      url(`/task/logs?jobId=${jobId}&taskId=${taskId}&recordTime=${recordTime}&mode=error`),
    );
    expect(error.json.logs).toEqual([]);
    const other = await call(
      'GET',
      url(`/task/logs?jobId=${jobId + 1}&taskId=${taskId}&recordTime=${recordTime}`),
    );
    expect(other.json).toEqual({ logs: [], cursor: 0, error: 'File not found.' });
    const missing = await call('GET', url(`/task/logs?jobId=${jobId}&taskId=${taskId}`));
    expect(missing).toMatchObject({
      status: 404,
      text: "Request is missing required query parameter 'recordTime'",
    });
  });
});

describe('kills', () => {
  const sleeper = (name: string) =>
    h.t.createJob({
      name,
      steps: [
        { name: 'long', command: `echo $$ > ${join(h.dir, name)}-$JOBGATE_RUN_ID.pid; exec sleep 300` },
        { name: 'after', command: 'true', dependsOn: ['long'] },
      ],
    });
  const pidOf = (name: string, runId: string) =>
    until(`${name} pid`, () => {
      const file = join(h.dir, `${name}-${runId}.pid`);
      return existsSync(file) && readFileSync(file, 'utf8').trim() ? Number(readFileSync(file, 'utf8')) : 0;
    });

  it('task kill ends the run and its child process, answering the running action', async () => {
    await sleeper('kp-kill-task');
    const started = await call('PUT', url(`/task/instant/${await jobNumber('kp-kill-task')}`));
    const run = await runOf(started.json.id);
    const pid = await pidOf('kp-kill-task', run.id);
    await until('the step running', async () => {
      const res = await h.t.graphql(`query($id: ID!) { run(id: $id) { vertices { name status } } }`, {
        id: run.id,
      });
      return res.data!.run.vertices[0].status === 'RUNNING';
    });
    const killed = await call(
      'PUT',
      url(`/task/kill/${started.json.id}?recordTime=${encodeURIComponent(started.json.recordTime)}`),
    );
    expect(killed.json).toEqual({ actions: [started.json.id * 1000 + 1] });
    await h.t.waitForRun(run.id, ['CANCELED']);
    await until('the child gone', () => !alive(pid));
    const again = await call('PUT', url(`/task/kill/${started.json.id}`));
    expect(again.json).toEqual({ actions: [], warn: 'Task is not active.' });
  });

  it('job kill ends every active task of the job, and no other job’s', async () => {
    await sleeper('kp-kill-job');
    await sleeper('kp-bystander');
    const jobId = await jobNumber('kp-kill-job');
    const one = await call('PUT', url(`/task/instant/${jobId}`));
    const two = await call('PUT', url(`/task/instant/${jobId}`));
    const other = await call('PUT', url(`/task/instant/${await jobNumber('kp-bystander')}`));
    const bystander = await runOf(other.json.id);
    const bystanderPid = await pidOf('kp-bystander', bystander.id);
    const runs = [await runOf(one.json.id), await runOf(two.json.id)];
    const pids = [await pidOf('kp-kill-job', runs[0]!.id), await pidOf('kp-kill-job', runs[1]!.id)];
    await until('both steps running', async () => {
      for (const r of runs) {
        const res = await h.t.graphql(`query($id: ID!) { run(id: $id) { vertices { status } } }`, {
          id: r.id,
        });
        if (res.data!.run.vertices[0].status !== 'RUNNING') return false;
      }
      return true;
    });
    const killed = await call('PUT', url(`/job/kill/${jobId}`));
    const byNumber = (a: number, b: number) => a - b;
    expect([...killed.json.actions].sort(byNumber)).toEqual(
      [one.json.id * 1000 + 1, two.json.id * 1000 + 1].sort(byNumber),
    );
    for (const r of runs) await h.t.waitForRun(r.id, ['CANCELED']);
    for (const pid of pids) await until('the child gone', () => !alive(pid));
    // The other job's run was not touched (the same wait saw this job's runs end).
    expect((await runOf(other.json.id)).status).toBe('RUNNING');
    expect(alive(bystanderPid)).toBe(true);
    await call('PUT', url(`/task/kill/${other.json.id}`));
    await h.t.waitForRun(bystander.id, ['CANCELED']);
    await until('the bystander child gone', () => !alive(bystanderPid));
  });

  it('action kill ends that step and its process; what depends on it is skipped', async () => {
    await sleeper('kp-kill-action');
    const started = await call('PUT', url(`/task/instant/${await jobNumber('kp-kill-action')}`));
    const run = await runOf(started.json.id);
    const pid = await pidOf('kp-kill-action', run.id);
    const actionId = started.json.id * 1000 + 1;
    const notRunning = await call('PUT', url(`/action/kill/${started.json.id * 1000 + 2}`));
    expect(notRunning.json).toEqual({ action: [] });
    await until('the step running', async () => {
      const res = await h.t.graphql(`query($id: ID!) { run(id: $id) { vertices { status } } }`, {
        id: run.id,
      });
      return res.data!.run.vertices[0].status === 'RUNNING';
    });
    const viewer = await call('PUT', url(`/action/kill/${actionId}`, 'viewer'));
    expect(viewer.text).toBe('Access Denied.');
    const killed = await call('PUT', url(`/action/kill/${actionId}`));
    expect(killed.json).toEqual({ action: [actionId] });
    await h.t.waitForRun(run.id, ['FAILED']);
    await until('the child gone', () => !alive(pid));
    const res = await h.t.graphql(
      `query($id: ID!) { run(id: $id) { vertices { name subtasks { status } } } }`,
      {
        id: run.id,
      },
    );
    expect(res.data!.run.vertices.map((v: any) => v.subtasks[0].status)).toEqual(['CANCELED', 'CANCELED']);
  });
});
