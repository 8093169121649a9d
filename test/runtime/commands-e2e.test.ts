// COMMAND and STEPS jobs through the GraphQL API, run by a real in-process node as child processes.
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

let t: TestRuntime;
const dir = mkdtempSync(join(tmpdir(), 'jobgate-cmd-'));
beforeAll(async () => {
  t = await createTestRuntime();
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const logsOf = async (runId: string) => {
  const res = await t.graphql(
    `query($id: ID!) { logLines(runId: $id, first: 1000) { nodes { seq level message vertex } } }`,
    { id: runId },
  );
  return res.data!.logLines.nodes as { seq: number; level: string; message: string; vertex: string | null }[];
};

describe('command jobs', () => {
  it('a command that prints to stdout and stderr and exits 3 FAILS with both lines logged', async () => {
    await t.createJob({
      name: 'exit-three',
      command: { command: 'echo to-stdout; echo to-stderr >&2; exit 3' },
    });
    const runId = await t.start('exit-three');
    const run = await t.waitForRun(runId, ['FAILED', 'FINISHED']);
    expect(run.status).toBe('FAILED');
    const lines = await logsOf(runId);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'to-stdout', vertex: 'command' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'to-stderr', vertex: 'command' }),
    );
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1)); // gap-free
    const res = await t.graphql({ contract: 'Run' }, { id: runId });
    expect(res.data!.run.exceptions).toEqual([
      expect.objectContaining({ message: 'command exited with code 3', vertex: 'command', subtaskIndex: 0 }),
    ]);
    expect(res.data!.run.vertices[0].subtasks[0]).toMatchObject({
      status: 'FAILED',
      node: { name: 'test-node' },
    });
    const history = await t.graphql(`query($id: ID!) { run(id: $id) { statusHistory { to } } }`, {
      id: runId,
    });
    expect(history.data!.run.statusHistory.map((h: any) => h.to)).toEqual([
      'CREATED',
      'INITIALIZING',
      'RUNNING',
      'FAILING',
      'FAILED',
    ]);
  });

  it('a command that succeeds FINISHES', async () => {
    await t.createJob({ name: 'ok', command: { command: 'echo fine' } });
    const runId = await t.start('ok');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
  });

  it('cancelJob kills a long command and leaves no process', async () => {
    const marker = `jobgate-sleep-${process.pid}-${Date.now()}`;
    await t.createJob({
      name: 'sleeper',
      command: { command: `sh -c 'sleep 300; echo ${marker}' & sleep 300 # ${marker}` },
    });
    const runId = await t.start('sleeper');
    await t.waitForRun(runId, ['RUNNING']);
    const live = () =>
      execSync(`ps -eo stat,args | grep '${marker}' | grep -v grep | grep -v '^Z' || true`).toString().trim();
    // The positive control: the same look at the process table sees the command while it runs.
    await until('the command in the process table', () => live() !== '');
    const res = await t.graphql({ contract: 'CancelJob' }, { runId });
    expect(res.errors).toBeUndefined();
    const run = await t.waitForRun(runId, ['CANCELED']);
    expect(run.status).toBe('CANCELED');
    expect(live()).toBe('');
  });

  it('a timeout kills the command and fails the run with the reason', async () => {
    await t.createJob({ name: 'too-slow', command: { command: 'sleep 30', timeoutSeconds: 1 } });
    const runId = await t.start('too-slow');
    expect((await t.waitForRun(runId, ['FAILED', 'FINISHED'])).status).toBe('FAILED');
    const res = await t.graphql({ contract: 'Run' }, { id: runId });
    expect(res.data!.run.exceptions[0].message).toContain('timed out after 1 s');
  });
});

describe('steps jobs', () => {
  it('a→b, a→c with c failing: b finishes, the run fails; restart FAILED re-runs only c', async () => {
    const mark = join(dir, 'c-ran-once');
    await t.createJob({
      name: 'fan-out',
      steps: [
        { name: 'a', command: 'echo step-a' },
        { name: 'b', command: 'echo step-b', dependsOn: ['a'] },
        {
          name: 'c',
          command: `if [ -f ${mark} ]; then echo step-c-ok; else touch ${mark}; echo step-c-fails >&2; exit 1; fi`,
          dependsOn: ['a'],
        },
        { name: 'd', command: 'echo step-d', dependsOn: ['c'] },
      ],
    });
    const runId = await t.start('fan-out');
    expect((await t.waitForRun(runId, ['FAILED', 'FINISHED'])).status).toBe('FAILED');
    const first = await t.graphql({ contract: 'Run' }, { id: runId });
    const status = (run: any) =>
      Object.fromEntries(run.vertices.map((v: any) => [v.name, v.subtasks[0].status]));
    expect(status(first.data!.run)).toEqual({ a: 'FINISHED', b: 'FINISHED', c: 'FAILED', d: 'CANCELED' });
    expect(first.data!.run.exceptions[0]).toMatchObject({
      vertex: 'c',
      message: 'step c exited with code 1',
    });

    const restart = await t.graphql({ contract: 'RestartJob' }, { runId, mode: 'FAILED' });
    expect(restart.errors).toBeUndefined();
    expect(restart.data!.restartJob.run.id).toBe(runId);
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
    const second = await t.graphql({ contract: 'Run' }, { id: runId });
    expect(status(second.data!.run)).toEqual({ a: 'FINISHED', b: 'FINISHED', c: 'FINISHED', d: 'FINISHED' });
    const messages = (await logsOf(runId)).map((l) => l.message);
    expect(messages.filter((m) => m === 'step-a')).toHaveLength(1);
    expect(messages.filter((m) => m === 'step-b')).toHaveLength(1);
    expect(messages).toContain('step-c-ok');
    expect(messages).toContain('step-d');
    const history = await t.graphql(`query($id: ID!) { run(id: $id) { attempt statusHistory { to } } }`, {
      id: runId,
    });
    expect(history.data!.run.attempt).toBe(1);
    expect(history.data!.run.statusHistory.map((h: any) => h.to)).toContain('RESTARTING');
  });

  it('restart FAILED of a finished run is a CONFLICT', async () => {
    await t.createJob({ name: 'fine-steps', steps: [{ name: 'only', command: 'true' }] });
    const runId = await t.start('fine-steps');
    await t.waitForRun(runId, ['FINISHED']);
    const res = await t.graphql({ contract: 'RestartJob' }, { runId, mode: 'FAILED' });
    expect(res.errors![0]!.extensions!.code).toBe('CONFLICT');
  });
});
