// The state machines refuse what they do not allow: a refused transition writes nothing, whoever
// calls it, and a row that moved since it was read is left alone (the check is in the UPDATE).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignments,
  checkpoints,
  nodes,
  runs,
  runStatusHistory,
  subtasks,
} from '../../src/db/schema/index.ts';
import {
  CHECKPOINT_STATUSES,
  CHECKPOINT_TRANSITIONS,
  CheckpointStatus,
  fromSet,
  NODE_STATUSES,
  NODE_TRANSITIONS,
  NodeStatus,
  RERUNNABLE_SUBTASK_STATUSES,
  RUN_STATUSES,
  RUN_TRANSITIONS,
  RunStatus,
  SUBTASK_STATUSES,
  SUBTASK_TRANSITIONS,
  SubtaskStatus,
  TERMINAL_CHECKPOINT_STATUSES,
  TERMINAL_RUN_STATUSES,
  TERMINAL_SUBTASK_STATUSES,
  type Transitions,
} from '../../src/lib/status.ts';
import { transitionCheckpoints } from '../../src/runtime/checkpoints/transition-checkpoints.ts';
import { transitionNode } from '../../src/runtime/node/transition-node.ts';
import { transitionAssignments, transitionSubtasks } from '../../src/runtime/runs/transition-assignments.ts';
import { transitionRun } from '../../src/runtime/runs/transition-run.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun, type SeededRun } from '../support/fixtures.ts';

describe('the tables', () => {
  const machines: [string, readonly string[], Transitions<string>, readonly string[]][] = [
    ['run', RUN_STATUSES, RUN_TRANSITIONS, TERMINAL_RUN_STATUSES],
    ['subtask', SUBTASK_STATUSES, SUBTASK_TRANSITIONS, TERMINAL_SUBTASK_STATUSES],
    ['node', NODE_STATUSES, NODE_TRANSITIONS, []],
    ['checkpoint', CHECKPOINT_STATUSES, CHECKPOINT_TRANSITIONS, TERMINAL_CHECKPOINT_STATUSES],
  ];

  it.each(machines)(
    '%s: every status has a row, and moves only to statuses of its union',
    (_, all, table) => {
      expect(Object.keys(table).sort()).toEqual([...all].sort());
      for (const to of Object.values(table).flat()) expect(all).toContain(to);
    },
  );

  it.each(machines)(
    '%s: terminal statuses move nowhere but to a new attempt',
    (name, _all, table, terminal) => {
      for (const status of terminal) {
        // A subtask's new attempt may reopen any end: FAILED and CANCELED parts on a restart of what
        // failed, a FINISHED one only on a re-run of named steps (RERUNNABLE_SUBTASK_STATUSES).
        const reopen =
          name === 'subtask' && (RERUNNABLE_SUBTASK_STATUSES as readonly string[]).includes(status);
        expect(table[status]).toEqual(reopen ? [SubtaskStatus.CREATED] : []);
      }
    },
  );

  it('a write that names a from-status the table does not allow is a programming error', () => {
    expect(() => fromSet(SUBTASK_TRANSITIONS, SubtaskStatus.CREATED, [SubtaskStatus.CANCELING])).toThrow(
      /CANCELING → CREATED is not an allowed transition/,
    );
    expect(fromSet(NODE_TRANSITIONS, NodeStatus.DRAINING, [NodeStatus.DRAINING])).toEqual([
      NodeStatus.DRAINING,
    ]);
  });
});

describe('against the database', () => {
  let t: TestDatabase;
  let seeded: SeededRun;
  beforeAll(async () => {
    t = await createTestDatabase();
    seeded = await seedRun(t.database, {
      name: 'machines',
      vertices: 2,
      parallelism: 2,
      checkpoints: 1,
      nodes: 2,
    });
  });
  afterAll(() => t.close());

  const runRow = async () => (await t.database.db.select().from(runs).where(eq(runs.id, seeded.runId)))[0]!;
  const history = async () =>
    t.database.db.select().from(runStatusHistory).where(eq(runStatusHistory.runId, seeded.runId));

  it('run: a refused transition writes neither the status nor its history', async () => {
    const before = await runRow();
    const refused = await t.database.db.transaction((tx) =>
      transitionRun(t.database, tx, before, RunStatus.CREATED, 'not allowed'),
    );
    expect(refused).toEqual({ ok: false, status: RunStatus.RUNNING });
    expect((await runRow()).status).toBe(RunStatus.RUNNING);
    expect(await history()).toEqual([]);
  });

  it('run: a transition decided on a stale row is refused by the UPDATE itself', async () => {
    const stale = await runRow();
    await t.database.db.update(runs).set({ status: RunStatus.FINISHED }).where(eq(runs.id, seeded.runId));
    try {
      const refused = await t.database.db.transaction((tx) =>
        transitionRun(t.database, tx, stale, RunStatus.FAILING, 'raced'),
      );
      expect(refused).toEqual({ ok: false, status: RunStatus.FINISHED });
      expect((await runRow()).status).toBe(RunStatus.FINISHED);
      expect(await history()).toEqual([]);
    } finally {
      await t.database.db.update(runs).set({ status: RunStatus.RUNNING }).where(eq(runs.id, seeded.runId));
    }
    // Positive control: the same call on a fresh row moves it and records it.
    const fresh = await runRow();
    const moved = await t.database.db.transaction((tx) =>
      transitionRun(t.database, tx, fresh, RunStatus.FAILING, 'allowed'),
    );
    expect(moved.ok).toBe(true);
    expect((await history()).map((h) => [h.fromStatus, h.toStatus])).toEqual([
      [RunStatus.RUNNING, RunStatus.FAILING],
    ]);
  });

  it('assignments and subtasks: a refused transition writes nothing', async () => {
    const ofRun = eq(assignments.runId, seeded.runId);
    expect(await transitionAssignments(t.database.db, ofRun, SubtaskStatus.SCHEDULED)).toEqual([]);
    expect(
      await transitionSubtasks(t.database.db, eq(subtasks.runId, seeded.runId), SubtaskStatus.CREATED),
    ).toEqual([]);
    const rows = await t.database.db.select({ status: assignments.status }).from(assignments).where(ofRun);
    expect(rows.map((r) => r.status)).toEqual([SubtaskStatus.RUNNING, SubtaskStatus.RUNNING]);
    const subs = await t.database.db
      .select({ status: subtasks.status })
      .from(subtasks)
      .where(eq(subtasks.runId, seeded.runId));
    expect(new Set(subs.map((s) => s.status))).toEqual(new Set([SubtaskStatus.RUNNING]));

    // Positive control, then the ended assignments refuse to be asked to cancel.
    const ended = await transitionAssignments(t.database.db, ofRun, SubtaskStatus.FINISHED);
    expect(ended).toHaveLength(2);
    expect(await transitionAssignments(t.database.db, ofRun, SubtaskStatus.CANCELING)).toEqual([]);
    const after = await t.database.db.select({ status: assignments.status }).from(assignments).where(ofRun);
    expect(after.map((r) => r.status)).toEqual([SubtaskStatus.FINISHED, SubtaskStatus.FINISHED]);
  });

  it('node: a refused transition writes nothing', async () => {
    const id = seeded.nodeIds[0]!;
    const status = async () => (await t.database.db.select().from(nodes).where(eq(nodes.id, id)))[0]!.status;
    expect(await transitionNode(t.database.db, id, NodeStatus.READY)).toBeUndefined();
    expect(await status()).toBe(NodeStatus.READY);
    expect((await transitionNode(t.database.db, id, NodeStatus.DRAINING))?.status).toBe(NodeStatus.DRAINING);
    expect(await status()).toBe(NodeStatus.DRAINING);
  });

  it('checkpoint: a completed one is never failed', async () => {
    const [completed] = seeded.checkpointIds;
    const refused = await transitionCheckpoints(
      t.database.db,
      eq(checkpoints.id, completed!),
      CheckpointStatus.FAILED,
      { failureReason: 'too late' },
    );
    expect(refused).toEqual([]);
    const [row] = await t.database.db.select().from(checkpoints).where(eq(checkpoints.id, completed!));
    expect([row!.status, row!.failureReason]).toEqual([CheckpointStatus.COMPLETED, null]);

    // Positive control: one in progress fails.
    const [open] = await t.database.db
      .insert(checkpoints)
      .values({ runId: seeded.runId, number: 99, kind: 'CHECKPOINT', expectedAcks: 2 })
      .returning({ id: checkpoints.id });
    const failed = await transitionCheckpoints(
      t.database.db,
      eq(checkpoints.id, open!.id),
      CheckpointStatus.FAILED,
      {
        failureReason: 'timed out',
      },
    );
    expect(failed.map((c) => c.status)).toEqual([CheckpointStatus.FAILED]);
  });
});
