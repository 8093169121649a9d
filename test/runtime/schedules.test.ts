// Schedules fire exactly once per tick, even with two coordinators acting on one database.
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs, runs, scheduleTicks } from '../../src/db/schema/index.ts';
import { dueTick } from '../../src/runtime/schedule/fire-schedules.ts';
import { safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { silentLogger } from '../support/app.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { testSecrets } from '../support/secrets.ts';
import { until, wholeTicks } from '../support/wait.ts';

let t: TestRuntime;
let second: Runtime;
beforeAll(async () => {
  t = await createTestRuntime({ slots: 4 });
  // A second coordinator on the same database. Only one of the two leads (the advisory lock on
  // PostgreSQL, the database's own lock table on PGlite) and every tick is fenced by the leader's
  // term; the tick table's primary key is the last guard against a double fire.
  second = await startRuntime({
    database: t.database,
    logger: silentLogger,
    cluster: 'default',
    coordinator: true,
    heartbeatIntervalMs: 200,
    heartbeatTimeoutMs: 3000,
    commandsEnabled: true,
    commandEnv: safeBaseEnv(process.env),
    secrets: testSecrets,
    pollMs: 50,
  });
});
afterAll(async () => {
  await second.stop();
  await t.close();
});

const ticksOf = async (name: string) => {
  const [job] = await t.database.db.select().from(jobs).where(eq(jobs.name, name));
  return t.database.db
    .select()
    .from(scheduleTicks)
    .where(eq(scheduleTicks.jobId, job!.id))
    .orderBy(asc(scheduleTicks.tickAt));
};

describe('schedules', () => {
  it('@every 1s with FORBID and a 2.5 s command fires every third tick and records the skips', async () => {
    await t.createJob({
      name: 'every-second',
      schedule: '@every 1s',
      concurrency: 'FORBID',
      command: { command: 'sleep 2.5' },
    });
    // Seven ticks recorded, whatever the wall clock took to get there.
    await until('seven ticks', async () => (await ticksOf('every-second')).length >= 7, {
      timeoutMs: 60_000,
    });
    await t.graphql(
      `mutation { updateJob(input: { name: "every-second", disabled: true }) { job { disabled } } }`,
    );
    const ticks = await ticksOf('every-second');
    const fired = ticks.filter((k) => k.outcome === 'FIRED');
    const skipped = ticks.filter((k) => k.outcome === 'SKIPPED');
    // ticks at 1..7 s (maybe 8): fires at 1 and 4 (each run takes ~2.5 s), maybe 7; the rest are skipped
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired.length).toBeLessThanOrEqual(3);
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    expect(fired.length + skipped.length).toBe(ticks.length);
    expect(new Set(ticks.map((k) => k.tickAt.getTime())).size).toBe(ticks.length);
    for (const k of skipped) expect(k.reason).toMatch(/still active \(concurrency FORBID\)/);
    const [job] = await t.database.db.select().from(jobs).where(eq(jobs.name, 'every-second'));
    const scheduledRuns = await t.database.db.select().from(runs).where(eq(runs.jobId, job!.id));
    expect(scheduledRuns).toHaveLength(fired.length);
    expect(scheduledRuns.every((r) => r.trigger === 'SCHEDULE')).toBe(true);
    expect(new Set(fired.map((k) => k.runId))).toEqual(new Set(scheduledRuns.map((r) => r.id)));
  });

  it('a failed scheduled run is retried up to retries times', async () => {
    const at = new Date(Date.now() + 500).toISOString();
    await t.createJob({ name: 'retried', schedule: `@at ${at}`, retries: 2, command: { command: 'exit 2' } });
    const [job] = await t.database.db.select().from(jobs).where(eq(jobs.name, 'retried'));
    const runsOf = () =>
      t.database.db.select().from(runs).where(eq(runs.jobId, job!.id)).orderBy(asc(runs.num));
    await until('the scheduled run to fail', async () => (await runsOf())[0]?.status === 'FAILED');
    // The positive control: a whole leader tick after a failure is enough to see its retry.
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    expect((await runsOf()).length).toBeGreaterThan(1);
    await until('three failed runs', async () => {
      const list = await runsOf();
      return list.length === 3 && list.every((r) => r.status === 'FAILED');
    });
    // The same wait after the last failure: no fourth run comes.
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    const list = await runsOf();
    expect(list.map((r) => [r.trigger, r.status])).toEqual([
      ['SCHEDULE', 'FAILED'],
      ['RETRY', 'FAILED'],
      ['RETRY', 'FAILED'],
    ]);
    expect(list[1]!.previousRunId).toBe(list[0]!.id);
    expect(list[2]!.previousRunId).toBe(list[1]!.id);
  });

  it('a dependent job starts once when its parent succeeds', async () => {
    await t.createJob({ name: 'parent', command: { command: 'true' } });
    await t.createJob({ name: 'child', parentJob: 'parent', command: { command: 'echo child' } });
    const parentRun = await t.start('parent');
    await t.waitForRun(parentRun, ['FINISHED']);
    const [child] = await t.database.db.select().from(jobs).where(eq(jobs.name, 'child'));
    const childRunsOf = () => t.database.db.select().from(runs).where(eq(runs.jobId, child!.id));
    // A whole leader tick after the parent finished starts the child (the positive control)...
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    expect((await childRunsOf()).length).toBeGreaterThan(0);
    // ...and another one starts no second child.
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    const childRuns = await childRunsOf();
    expect(childRuns).toHaveLength(1);
    expect(childRuns[0]).toMatchObject({ trigger: 'DEPENDENT', previousRunId: parentRun });
  });

  it('a child fires only for parent successes after it depends on the parent, once each', async () => {
    await t.createJob({ name: 'early-parent', command: { command: 'true' } });
    const before = [await t.start('early-parent'), await t.start('early-parent')];
    for (const run of before) await t.waitForRun(run, ['FINISHED']);
    // One child made with the link, one linked later by an update: neither existed as a child when
    // those two runs succeeded.
    await t.createJob({ name: 'late-child', parentJob: 'early-parent', command: { command: 'true' } });
    await t.createJob({ name: 'linked-later', command: { command: 'true' } });
    await t.graphql(
      `mutation { updateJob(input: { name: "linked-later", parentJob: "early-parent" }) { job { name } } }`,
    );
    const runsOf = async (name: string) => {
      const [job] = await t.database.db.select().from(jobs).where(eq(jobs.name, name));
      return t.database.db.select().from(runs).where(eq(runs.jobId, job!.id));
    };
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    expect(await runsOf('late-child')).toEqual([]);
    expect(await runsOf('linked-later')).toEqual([]);
    expect((await ticksOf('late-child')).map((tick) => [tick.outcome, tick.runId])).toEqual(
      expect.arrayContaining([
        ['SKIPPED', before[0]],
        ['SKIPPED', before[1]],
      ]),
    );
    // The positive control: a success after the link starts each child once.
    const after = await t.start('early-parent');
    await t.waitForRun(after, ['FINISHED']);
    await until('both children started', async () => {
      return (await runsOf('late-child')).length > 0 && (await runsOf('linked-later')).length > 0;
    });
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    for (const child of ['late-child', 'linked-later']) {
      const childRuns = await runsOf(child);
      expect(childRuns.map((r) => [r.trigger, r.previousRunId])).toEqual([['DEPENDENT', after]]);
    }
  });

  it('a disabled job does not fire', async () => {
    await t.createJob({ name: 'off', schedule: '@every 1s', disabled: true, command: { command: 'true' } });
    // The positive control: an enabled twin made after it ticks, so the pass over the schedules that
    // would have fired 'off' has come (and, after whole ticks, has gone).
    await t.createJob({ name: 'on', schedule: '@every 1s', command: { command: 'true' } });
    await until("the enabled twin's first tick", async () => (await ticksOf('on')).length > 0);
    await wholeTicks(t.runtime.coordinator, second.coordinator);
    await t.graphql(`mutation { updateJob(input: { name: "on", disabled: true }) { job { disabled } } }`);
    expect(await ticksOf('off')).toEqual([]);
  });
});

describe('dueTick', () => {
  const base = { timezone: null, updatedAt: new Date('2026-01-01T00:00:00Z') };
  it('takes the latest due cron tick, collapsing missed ones', () => {
    expect(dueTick({ ...base, schedule: '*/5 * * * *' }, null, new Date('2026-01-01T00:17:00Z'))).toEqual(
      new Date('2026-01-01T00:15:00Z'),
    );
    expect(
      dueTick(
        { ...base, schedule: '*/5 * * * *' },
        new Date('2026-01-01T00:15:00Z'),
        new Date('2026-01-01T00:17:00Z'),
      ),
    ).toBeNull();
  });
  it('understands 6-field cron with seconds and a time zone', () => {
    expect(
      dueTick(
        { ...base, schedule: '30 0 9 * * *', timezone: 'Asia/Shanghai' },
        null,
        new Date('2026-01-01T02:00:00Z'),
      ),
    ).toEqual(new Date('2026-01-01T01:00:30Z'));
  });
  it('@at fires once, @manually never', () => {
    expect(
      dueTick({ ...base, schedule: '@at 2026-01-01T00:10:00Z' }, null, new Date('2026-01-01T00:11:00Z')),
    ).toEqual(new Date('2026-01-01T00:10:00Z'));
    expect(
      dueTick(
        { ...base, schedule: '@at 2026-01-01T00:10:00Z' },
        new Date('2026-01-01T00:10:00Z'),
        new Date('2026-01-02T00:00:00Z'),
      ),
    ).toBeNull();
    expect(dueTick({ ...base, schedule: '@manually' }, null, new Date('2027-01-01T00:00:00Z'))).toBeNull();
  });
});
