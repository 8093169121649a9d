// The executor's pieces on their own, over a real database: the run-control watcher, the claim
// loop, the checkpoint barrier and the metric rates. The whole executor is exercised end to end by
// the runtime tests (commands-e2e, pipelines-e2e, checkpoints, chaos, nodes).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignments, checkpoints, runs, subtasks } from '../../src/db/schema/index.ts';
import { createEventFeed } from '../../src/runtime/index.ts';
import { CheckpointBarrier, queueCheckpoints } from '../../src/runtime/node/checkpoint-barrier.ts';
import { startClaimLoop } from '../../src/runtime/node/claim-loop.ts';
import { MetricRates } from '../../src/runtime/node/metric-rates.ts';
import { RunningAssignment } from '../../src/runtime/node/running-assignment.ts';
import { runControlSignal, watchRunControl } from '../../src/runtime/node/watch-run-control.ts';
import { silentLogger } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

const running = (id: string, runId: string, attempt = 0) =>
  new RunningAssignment({ id, run_id: runId, name: 'a', index: 0, attempt });

describe('run-control watcher', () => {
  const row = { id: 'a', status: 'RUNNING', stop_requested: null, node_id: 'n', attempt: 2 };

  it('tells a fence, a cancel and a stop apart', () => {
    expect(runControlSignal(row, 'n', 2)).toBeUndefined();
    expect(runControlSignal({ ...row, node_id: 'other' }, 'n', 2)).toBe('fenced');
    expect(runControlSignal(row, 'n', 3)).toBe('fenced');
    expect(runControlSignal({ ...row, status: 'CANCELING' }, 'n', 2)).toBe('cancel');
    expect(runControlSignal({ ...row, stop_requested: 'CANCEL' }, 'n', 2)).toBe('cancel');
    expect(runControlSignal({ ...row, stop_requested: 'STOP' }, 'n', 2)).toBe('stop');
    // A fence wins over a stop: the attempt no longer owns the assignment.
    expect(runControlSignal({ ...row, stop_requested: 'STOP', attempt: 3 }, 'n', 2)).toBe('fenced');
  });

  it('signals the running assignments the database asks to end', async () => {
    const seeded = await seedRun(t.database, {
      name: 'watch',
      vertices: 2,
      parallelism: 2,
      checkpoints: 0,
      nodes: 1,
    });
    const nodeId = seeded.nodeIds[0]!;
    const rows = await t.database.db
      .select({ id: assignments.id })
      .from(assignments)
      .where(eq(assignments.runId, seeded.runId))
      .orderBy(assignments.index);
    const own = running(rows[0]!.id, seeded.runId);
    const stale = running(rows[1]!.id, seeded.runId, 1); // the row says attempt 0: taken over
    const map = new Map([own, stale].map((e) => [e.assignmentId, e]));

    await watchRunControl(t.database, silentLogger, nodeId, map);
    expect(stale.cancel.signal.aborted).toBe(true);
    expect(stale.cancelRequested).toBe(true);
    expect(own.cancel.signal.aborted).toBe(false);
    expect(own.stop.signal.aborted).toBe(false);

    await t.database.db.update(runs).set({ stopRequested: 'STOP' }).where(eq(runs.id, seeded.runId));
    await watchRunControl(t.database, silentLogger, nodeId, map);
    expect(own.stop.signal.aborted).toBe(true);
    expect(own.cancel.signal.aborted).toBe(false);

    await t.database.db.update(runs).set({ stopRequested: 'CANCEL' }).where(eq(runs.id, seeded.runId));
    await watchRunControl(t.database, silentLogger, nodeId, map);
    expect(own.cancel.signal.aborted).toBe(true);
  });
});

describe('claim loop', () => {
  it('claims into the free slots only, runs the watchers first, and claims nothing once shut down', async () => {
    const seeded = await seedRun(t.database, {
      name: 'claim',
      vertices: 2,
      parallelism: 3,
      checkpoints: 0,
      nodes: 1,
    });
    const nodeId = seeded.nodeIds[0]!;
    await t.database.db
      .update(assignments)
      .set({ status: 'SCHEDULED' })
      .where(eq(assignments.runId, seeded.runId));
    const map = new Map<string, RunningAssignment>();
    const finish = new Map<string, () => void>();
    const shutdown = new AbortController();
    let looks = 0;
    const loop = await startClaimLoop({
      database: t.database,
      log: silentLogger,
      node: { id: nodeId, slots: 2 },
      pollMs: 50,
      running: map,
      execute: (entry) => new Promise<void>((resolve) => finish.set(entry.assignmentId, resolve)),
      beforeClaim: async () => {
        looks++;
      },
      shutdown: shutdown.signal,
    });
    try {
      await expect.poll(() => finish.size).toBe(2);
      expect(map.size).toBe(2);
      expect(looks).toBeGreaterThan(0);
      // The third waits for a slot, whatever the number of polls; an ending frees one.
      await expect.poll(() => looks).toBeGreaterThan(3);
      expect(finish.size).toBe(2);
      finish.values().next().value!();
      await expect.poll(() => finish.size).toBe(3);

      // Shut down with every slot free: a new placement is not claimed, though the loop still
      // looks at what runs.
      for (const done of finish.values()) done();
      await expect.poll(() => map.size).toBe(0);
      shutdown.abort();
      await t.database.db
        .update(assignments)
        .set({ status: 'SCHEDULED' })
        .where(eq(assignments.id, [...finish.keys()][0]!));
      const seen = looks;
      loop.wake();
      await expect.poll(() => looks).toBeGreaterThan(seen + 1);
      expect(finish.size).toBe(3);
      const [left] = await t.database.db
        .select({ status: assignments.status })
        .from(assignments)
        .where(eq(assignments.id, [...finish.keys()][0]!));
      expect(left!.status).toBe('SCHEDULED');
    } finally {
      await loop.close();
      for (const done of finish.values()) done();
    }
  });
});

describe('claim loop wake-ups', () => {
  it('runs one more pass after a wake-up that came during a pass, and none for the poll', async () => {
    const seeded = await seedRun(t.database, {
      name: 'wake',
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
      nodes: 1,
    });
    const shutdown = new AbortController();
    let passes = 0;
    let release: (() => void) | undefined;
    const loop = await startClaimLoop({
      database: t.database,
      log: silentLogger,
      node: { id: seeded.nodeIds[0]!, slots: 0 },
      // No poll during the test: every pass comes from a wake-up.
      pollMs: 3_600_000,
      running: new Map(),
      execute: async () => {},
      beforeClaim: async () => {
        passes++;
        if (passes === 2) await new Promise<void>((resolve) => (release = resolve));
      },
      shutdown: shutdown.signal,
    });
    try {
      await expect.poll(() => passes).toBe(1); // the first pass, at start
      loop.wake();
      await expect.poll(() => release).toBeDefined(); // the second pass is under way and held
      // Three wake-ups while it is held: what woke them may have been committed after it read.
      loop.wake();
      loop.wake();
      loop.wake();
      expect(passes).toBe(2);
      release!();
      // Exactly one pass more, however many wake-ups came during the held one.
      await expect.poll(() => passes).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(passes).toBe(3);
    } finally {
      shutdown.abort();
      release?.();
      await loop.close();
    }
  });
});

describe('checkpoint barrier', () => {
  /** A run of one subtask with checkpoints `numbers` pending, and a running entry with a barrier. */
  async function barrierFor(name: string, numbers: number[]) {
    const seeded = await seedRun(t.database, { name, vertices: 2, parallelism: 1, checkpoints: 0, nodes: 1 });
    const [subtask] = await t.database.db
      .select({ id: subtasks.id })
      .from(subtasks)
      .where(eq(subtasks.vertexId, seeded.vertexIds[0]!));
    const inserted = await t.database.db
      .insert(checkpoints)
      .values(
        numbers.map((number) => ({
          runId: seeded.runId,
          number,
          kind: 'CHECKPOINT' as const,
          expectedAcks: 1,
        })),
      )
      .returning({ id: checkpoints.id });
    const entry = running(name, seeded.runId);
    const barrier = new CheckpointBarrier({
      database: t.database,
      events: createEventFeed(t.database),
      log: silentLogger,
      ackAs: { subtaskId: subtask!.id, index: 0 },
      cancel: entry.cancel.signal,
      stopRun: () => entry.requestStop(),
    });
    entry.barrier = barrier;
    return { seeded, entry, barrier, checkpointIds: inserted.map((c) => c.id) };
  }

  it('queues a checkpoint once and acknowledges it at the next boundary', async () => {
    const { entry, barrier, checkpointIds } = await barrierFor('barrier', [1]);
    // Commands have no barrier and are left out.
    const command = running('command', entry.runId);
    await queueCheckpoints(t.database, [entry, command]);
    await queueCheckpoints(t.database, [entry, command]);

    let snapshots = 0;
    await barrier.atBoundary(async () => {
      snapshots++;
      return { sources: { v0: { 0: { offset: 7 } } }, durable: Promise.resolve(true) };
    });
    await barrier.acked();
    expect(snapshots).toBe(1);
    const [row] = await t.database.db.select().from(checkpoints).where(eq(checkpoints.id, checkpointIds[0]!));
    expect(row!.status).toBe('COMPLETED');
    expect(entry.stop.signal.aborted).toBe(false);
  });

  it('does not acknowledge a checkpoint whose sink commit failed; the next one completes', async () => {
    const { seeded, entry, barrier } = await barrierFor('barrier-lost', [1, 2]);
    await queueCheckpoints(t.database, [entry]);

    // The first snapshot counts on a commit that fails, the second on one that lands.
    const outcomes = [false, true];
    const flushes: boolean[] = [];
    await barrier.atBoundary(async ({ flush }) => {
      flushes.push(flush);
      return { sources: { v0: { 0: { offset: 7 } } }, durable: Promise.resolve(outcomes.shift()!) };
    });
    await barrier.acked();
    // Periodic checkpoints do not ask the sinks to flush.
    expect(flushes).toEqual([false, false]);
    const rows = await t.database.db
      .select({ number: checkpoints.number, status: checkpoints.status })
      .from(checkpoints)
      .where(eq(checkpoints.runId, seeded.runId))
      .orderBy(checkpoints.number);
    expect(rows).toEqual([
      { number: 1, status: 'IN_PROGRESS' },
      { number: 2, status: 'COMPLETED' },
    ]);
  });
});

describe('metric rates', () => {
  it('adds a per-second rate for each record counter, from the previous report', () => {
    let total = 100;
    const rates = new MetricRates(
      () => [
        { runId: 'r', vertexId: 'v', subtaskIndex: 0, name: 'numRecordsIn', value: total },
        { runId: 'r', vertexId: 'v', subtaskIndex: 0, name: 'numBytesOut', value: 5 },
      ],
      2_000,
    );
    const rateOf = (samples: ReturnType<MetricRates['sample']>) =>
      samples.find((s) => s.name === 'numRecordsInPerSecond')?.value;
    const first = rates.sample();
    expect(rateOf(first)).toBe(50);
    expect(first.some((s) => s.name === 'numBytesOutPerSecond')).toBe(false);
    total = 160;
    expect(rateOf(rates.sample())).toBe(30);
    total = 10; // a restarted counter never gives a negative rate
    expect(rateOf(rates.sample())).toBe(0);
  });
});
