// The GraphQL surface the Keeper dialect runs on, called directly: restartJob mode STEPS, cancelStep,
// startJob's delaySeconds, and runs and jobs by number, with their refusals and role checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobNumber } from '../../src/lib/ids.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime({ slots: 4 });
  await t.createJob({
    name: 'cap-steps',
    steps: [
      { name: 'first', command: 'true' },
      { name: 'second', command: 'exit 1', dependsOn: ['first'] },
    ],
  });
  await t.createJob({ name: 'cap-long', steps: [{ name: 'wait', command: 'exec sleep 300' }] });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const RESTART = `mutation($input: RestartJobInput!) { restartJob(input: $input) { run { id status } } }`;
const CANCEL_STEP = `mutation($input: CancelStepInput!) { cancelStep(input: $input) { run { id } } }`;
const code = (res: { errors?: { extensions?: { code?: string } }[] }) => res.errors?.[0]?.extensions?.code;

describe('restartJob mode STEPS', () => {
  it('refuses unknown steps, steps without STEPS, STEPS without steps, and a run that is not ended', async () => {
    const runId = await t.start('cap-steps');
    await t.waitForRun(runId, ['FAILED']);
    const unknown = await t.graphql(RESTART, { input: { runId, mode: 'STEPS', steps: ['nope'] } });
    expect(code(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0]!.message).toContain('"nope"');
    expect(code(await t.graphql(RESTART, { input: { runId, mode: 'FAILED', steps: ['first'] } }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(code(await t.graphql(RESTART, { input: { runId, mode: 'STEPS' } }))).toBe('BAD_USER_INPUT');

    const ok = await t.graphql(RESTART, { input: { runId, mode: 'STEPS', steps: ['first'] } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.restartJob.run.id).toBe(runId);
    // second was not named and had failed: the run ends FAILED again, first ran a second time.
    await t.waitForRun(runId, ['FAILED']);
    const attempts = await t.graphql(
      `query($id: ID!) { run(id: $id) { attempt vertices { name subtasks { attempt status } } } }`,
      { id: runId },
    );
    expect(attempts.data!.run.vertices).toEqual([
      { name: 'first', subtasks: [{ attempt: 1, status: 'FINISHED' }] },
      { name: 'second', subtasks: [{ attempt: 0, status: 'FAILED' }] },
    ]);

    const live = await t.start('cap-long');
    const refused = await t.graphql(RESTART, { input: { runId: live, mode: 'STEPS', steps: ['wait'] } });
    expect(code(refused)).toBe('CONFLICT');
    await t.graphql(`mutation($id: ID!) { cancelJob(input: { runId: $id }) { run { id } } }`, { id: live });
    await t.waitForRun(live, ['CANCELED']);
  });
});

describe('cancelStep', () => {
  // The role check (operator and up) is seen with auth on in test/shim/keeper.test.ts.
  it('needs a known step and a running one', async () => {
    const runId = await t.start('cap-long');
    await until('the step running', async () => {
      const res = await t.graphql(`query($id: ID!) { run(id: $id) { vertices { status } } }`, { id: runId });
      return res.data!.run.vertices[0].status === 'RUNNING';
    });
    expect(code(await t.graphql(CANCEL_STEP, { input: { runId, step: 'nope' } }))).toBe('NOT_FOUND');
    const done = await t.graphql(CANCEL_STEP, { input: { runId, step: 'wait' } });
    expect(done.errors).toBeUndefined();
    await t.waitForRun(runId, ['FAILED']);
    expect(code(await t.graphql(CANCEL_STEP, { input: { runId, step: 'wait' } }))).toBe('CONFLICT');
  });
});

describe('startJob delaySeconds and numbers', () => {
  it('refuses a delay over an hour; finds runs and jobs by number', async () => {
    const start = `mutation($d: Int) { startJob(input: { job: "cap-steps", delaySeconds: $d }) { run { id number } } }`;
    expect(code(await t.graphql(start, { d: 3601 }))).toBe('BAD_USER_INPUT');
    expect(code(await t.graphql(start, { d: -1 }))).toBe('BAD_USER_INPUT');
    const res = await t.graphql(start, { d: 0 });
    const run = res.data!.startJob.run;
    const byNumber = await t.graphql(
      `query($n: Int!) { runByNumber(number: $n) { id job { name number } } }`,
      {
        n: run.number,
      },
    );
    expect(byNumber.data!.runByNumber.id).toBe(run.id);
    const number = byNumber.data!.runByNumber.job.number;
    const job = await t.graphql(`query($n: Int!) { jobByNumber(number: $n) { name } }`, { n: number });
    expect(job.data!.jobByNumber.name).toBe('cap-steps');
    const missing = await t.graphql(`query { runByNumber(number: 2000000000) { id } }`);
    expect(code(missing)).toBe('NOT_FOUND');
    await t.waitForRun(run.id, ['FAILED']);
  });

  it('job numbers are positive 31-bit integers, stable for a uuid', () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff']) {
      const n = jobNumber(id);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(2_147_483_647);
      expect(jobNumber(id)).toBe(n);
    }
  });
});
