// Checkpoints, savepoints and restores through the GraphQL API on the in-process runtime.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpoints } from '../../src/db/schema/index.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

let t: TestRuntime;
const dir = mkdtempSync(join(tmpdir(), 'jobgate-ckpt-'));
beforeAll(async () => {
  t = await createTestRuntime({ slots: 8, fileRoots: [dir] });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const readIds = (path: string) =>
  readdirSync(path).flatMap((f) =>
    readFileSync(join(path, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).id as number),
  );

describe('checkpoints', () => {
  it('a streaming run checkpoints on its interval; every subtask acknowledges; old ones are retained to 3', async () => {
    await t.createJob({
      name: 'ckpt-stream',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 200 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 5000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('ckpt-stream');
    await t.waitForRun(runId, ['RUNNING']);
    await until('5 completed checkpoints', async () => {
      const rows = await t.database.db.select().from(checkpoints).where(eq(checkpoints.runId, runId));
      return (
        Math.max(0, ...rows.map((r) => r.number)) >= 5 &&
        rows.some((r) => r.status === 'COMPLETED' && r.number >= 5)
      );
    });
    await t.graphql({ contract: 'CancelJob' }, { runId });
    await t.waitForRun(runId, ['CANCELED']);
    // Retention is the coordinator's: within a tick or two of the last completion, 3 remain.
    const completedOf = async () => {
      const res = await t.graphql({ contract: 'Run' }, { id: runId });
      return res.data!.run.checkpoints.nodes.filter((c: any) => c.status === 'COMPLETED');
    };
    await until('retention to keep 3', async () => (await completedOf()).length <= 3);
    const completed = await completedOf();
    expect(completed).toHaveLength(3);
    for (const c of completed) {
      expect(c.kind).toBe('CHECKPOINT');
      expect(c.stateSize).toBeGreaterThan(0);
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
      expect(c.completedAt).not.toBeNull();
    }
  });
});

describe('savepoints', () => {
  it('a triggerSavepoint retried three times with one requestId yields one savepoint', async () => {
    await t.createJob({
      name: 'sp-idem',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('sp-idem');
    await t.waitForAllRunning(runId);
    const results = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.graphql(
        { contract: 'TriggerSavepoint' },
        { runId, requestId: 'nightly-2026-11-21' },
      );
      expect(res.errors).toBeUndefined();
      results.push(res.data!.triggerSavepoint.savepoint);
    }
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results[2]).toMatchObject({
      status: 'COMPLETED',
      location: `jobgate://savepoints/${results[0].id}`,
    });
    const rows = await t.database.db
      .select()
      .from(checkpoints)
      .where(and(eq(checkpoints.runId, runId), eq(checkpoints.kind, 'SAVEPOINT')));
    expect(rows).toHaveLength(1);
    // A different request id is a different savepoint.
    const other = await t.graphql({ contract: 'TriggerSavepoint' }, { runId, requestId: 'another' });
    expect(other.data!.triggerSavepoint.savepoint.id).not.toBe(results[0].id);
    await t.graphql({ contract: 'CancelJob' }, { runId });
    await t.waitForRun(runId, ['CANCELED']);
  });

  it('savepoints triggered at the same moment each get their own number, none refused', async () => {
    await t.createJob({
      name: 'sp-race',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 200 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('sp-race');
    await t.waitForAllRunning(runId);
    // Eight requests race for the run's next checkpoint number (and with the periodic checkpoints).
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.graphql({ contract: 'TriggerSavepoint' }, { runId, requestId: `race-${i}` }),
      ),
    );
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const rows = await t.database.db
      .select()
      .from(checkpoints)
      .where(and(eq(checkpoints.runId, runId), eq(checkpoints.kind, 'SAVEPOINT')));
    expect(rows.map((r) => r.requestId).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `race-${i}`).sort(),
    );
    expect(new Set(rows.map((r) => r.number)).size).toBe(8);
    await t.graphql({ contract: 'CancelJob' }, { runId });
    await t.waitForRun(runId, ['CANCELED']);
  });

  it('a savepoint of a run that is not RUNNING is a CONFLICT', async () => {
    await t.createJob({ name: 'sp-done', command: { command: 'true' } });
    const runId = await t.start('sp-done');
    await t.waitForRun(runId, ['FINISHED']);
    const res = await t.graphql({ contract: 'TriggerSavepoint' }, { runId, requestId: 'x' });
    expect(res.errors![0]!.extensions!.code).toBe('CONFLICT');
  });

  it('stop with savepoint ends SUSPENDED; a run from it at another parallelism completes the input exactly', async () => {
    const out = join(dir, 'sp-files');
    await t.createJob({
      name: 'sp-rescale',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2 },
        source: [
          {
            plugin_name: 'FakeSource',
            'row.num': 3000,
            'split.num': 4,
            'rows.per.second': 2000,
            plugin_output: 'src',
          },
        ],
        sink: [{ plugin_name: 'LocalFile', path: out, file_format_type: 'json' }],
      },
    });
    const first = await t.start('sp-rescale');
    await t.waitForAllRunning(first);
    // Stopped once rows are flowing, so the savepoint lies mid-input (readIds throws until the
    // sink has made its directory; until() retries that).
    await until('the first rows in the sink', () => readIds(out).length > 0);
    const stop = await t.graphql({ contract: 'StopJob' }, { runId: first, withSavepoint: true });
    expect(stop.errors).toBeUndefined();
    expect(stop.data!.stopJob.run.status).toBe('SUSPENDED');
    const savepoint = stop.data!.stopJob.savepoint;
    expect(savepoint).toMatchObject({ status: 'COMPLETED' });
    const afterFirst = readIds(out);
    expect(afterFirst.length).toBeGreaterThan(0);
    expect(afterFirst.length).toBeLessThan(12_000);

    const res = await t.graphql(
      `mutation($job: String!, $sp: ID!) { startJob(input: { job: $job, fromSavepoint: $sp, parallelism: 3 }) { run { id restoredFrom { id } } } }`,
      { job: 'sp-rescale', sp: savepoint.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.startJob.run.restoredFrom.id).toBe(savepoint.id);
    const second = res.data!.startJob.run.id;
    await until('all 12,000 rows', async () => readIds(out).length >= 12_000);
    await t.graphql({ contract: 'StopJob' }, { runId: second, withSavepoint: false });
    await t.waitForRun(second, ['CANCELED']);
    const ids = readIds(out);
    expect(ids.length).toBe(12_000);
    expect(new Set(ids).size).toBe(12_000);
  });

  it('a restore at a higher parallelism keeps the savepoint splits: each row once, none invented', async () => {
    // No split.num: the splits default to the first run's parallelism (2), and stay 2 on restore.
    const out = join(dir, 'sp-default-splits');
    await t.createJob({
      name: 'sp-widen',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 3000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'LocalFile', path: out, file_format_type: 'json' }],
      },
    });
    const first = await t.start('sp-widen');
    await t.waitForAllRunning(first);
    await until('the first rows in the sink', () => readIds(out).length > 0);
    const stop = await t.graphql({ contract: 'StopJob' }, { runId: first, withSavepoint: true });
    const savepoint = stop.data!.stopJob.savepoint;
    expect(readIds(out).length).toBeLessThan(6_000);

    const res = await t.graphql(
      `mutation($job: String!, $sp: ID!) { startJob(input: { job: $job, fromSavepoint: $sp, parallelism: 4 }) { run { id } } }`,
      { job: 'sp-widen', sp: savepoint.id },
    );
    expect(res.errors).toBeUndefined();
    const second = res.data!.startJob.run.id;
    // Two splits of 3,000 rows: 6,000 in all, not 3,000 more per new subtask.
    await until('all 6,000 rows', async () => readIds(out).length >= 6_000);
    await t.graphql({ contract: 'StopJob' }, { runId: second, withSavepoint: false });
    await t.waitForRun(second, ['CANCELED']);
    const ids = readIds(out);
    expect(ids.length).toBe(6_000);
    expect(new Set(ids).size).toBe(6_000);
    expect(Math.max(...ids)).toBe(5_999);

    // Options that now plan other splits cannot honour the savepoint: refused before anything runs.
    const updated = await t.graphql(
      `mutation($pipeline: JSON!) { updateJob(input: { name: "sp-widen", pipeline: $pipeline }) { job { name } } }`,
      {
        pipeline: {
          env: { 'job.mode': 'STREAMING', parallelism: 2 },
          source: [{ plugin_name: 'FakeSource', 'row.num': 3000, 'split.num': 5 }],
          sink: [{ plugin_name: 'Blackhole' }],
        },
      },
    );
    expect(updated.errors).toBeUndefined();
    const refused = await t.graphql(
      `mutation($job: String!, $sp: ID!) { startJob(input: { job: $job, fromSavepoint: $sp }) { run { id } } }`,
      { job: 'sp-widen', sp: savepoint.id },
    );
    expect(refused.errors?.[0]).toMatchObject({
      message: expect.stringContaining('was saved with 2 split(s) but its options now give 5'),
      extensions: { code: 'BAD_USER_INPUT', inputPath: 'input.fromSavepoint' },
    });
  });

  it('startJob from an unknown savepoint is NOT_FOUND, from a malformed id BAD_USER_INPUT', async () => {
    const unknown = await t.graphql(
      { contract: 'StartFromSavepoint' },
      { job: 'sp-rescale', savepoint: '00000000-0000-4000-8000-000000000000' },
    );
    expect(unknown.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    const bad = await t.graphql({ contract: 'StartFromSavepoint' }, { job: 'sp-rescale', savepoint: 'nope' });
    expect(bad.errors![0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      inputPath: 'input.fromSavepoint',
    });
  });
});

describe('recovery', () => {
  it('a failed subtask restarts under a fixed-delay strategy and the run finishes, with the restart in its history', async () => {
    const mark = join(dir, 'fails-once');
    await t.createJob({
      name: 'flaky',
      command: { command: `if [ -f ${mark} ]; then echo second-try; else touch ${mark}; exit 1; fi` },
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 100 },
    });
    const runId = await t.start('flaky');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
    const res = await t.graphql(
      `query($id: ID!) { run(id: $id) { attempt statusHistory { to cause } exceptions { message global } } }`,
      { id: runId },
    );
    expect(res.data!.run.attempt).toBe(1);
    const restart = res.data!.run.statusHistory.find((h: any) => h.to === 'RESTARTING');
    expect(restart.cause).toMatch(/restart 1 of 2 in 100 ms after: command exited with code 1/);
    // The failure was restarted: it did not end the run.
    expect(res.data!.run.exceptions).toEqual([{ message: 'command exited with code 1', global: false }]);
  });

  it('when attempts run out the run FAILS with the cause', async () => {
    await t.createJob({
      name: 'always-fails',
      command: { command: 'exit 7' },
      restartStrategy: { type: 'exponential-delay', attempts: 2, delayMs: 50 },
    });
    const runId = await t.start('always-fails');
    expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FAILED');
    const res = await t.graphql(
      `query($id: ID!) { run(id: $id) { attempt statusHistory { to cause } exceptions { message global } } }`,
      { id: runId },
    );
    expect(res.data!.run.attempt).toBe(2);
    // Three failures, two restarted; only the last ended the run.
    expect(res.data!.run.exceptions.map((e: any) => e.global).sort()).toEqual([false, false, true]);
    expect(res.data!.run.statusHistory.filter((h: any) => h.to === 'RESTARTING')).toHaveLength(2);
    expect(res.data!.run.statusHistory.at(-1)).toMatchObject({
      to: 'FAILED',
      cause: 'command exited with code 7',
    });
  });
});
