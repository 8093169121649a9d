// Leadership that cannot split, and a runtime that does not share fate with the API.
// - On PostgreSQL: killing the leader's lock session makes it stop acting at once and another process
//   lead with a newer term; a write carrying the old term is refused, even one already in flight.
// - On both databases: a write with a stale term writes nothing; a process whose event loop stands
//   still for twice the heartbeat timeout does not declare its own node lost, and its streaming run
//   never leaves RUNNING, while a node that really went silent is declared lost by the same wait.
import { performance } from 'node:perf_hooks';
import { desc, eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.ts';
import {
  assignments,
  checkpoints,
  clusters,
  events,
  nodes,
  runs,
  runStatusHistory,
} from '../../src/db/schema/index.ts';
import {
  fenced,
  StaleLeaderError,
  takeLeaderTerm,
  type LeaderFence,
} from '../../src/runtime/coordinator/fence.ts';
import { placeAssignments } from '../../src/runtime/coordinator/place-assignments.ts';
import { createLogAppender } from '../../src/runtime/logs/log-appender.ts';
import { safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { silentLogger } from '../support/app.ts';
import { testSecrets } from '../support/secrets.ts';
import { usingPostgres } from '../support/db.ts';
import { databaseUrlFor } from '../support/db-names.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until, wholeTicks } from '../support/wait.ts';

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of opened.reverse()) await o.close();
});

const fenceOf = (clusterId: string, term: number): LeaderFence => ({
  clusterId,
  term,
  signal: new AbortController().signal,
});

const termOf = async (database: Database, clusterId: string) =>
  (
    await database.db.select({ term: clusters.leaderTerm }).from(clusters).where(eq(clusters.id, clusterId))
  )[0]!.term;

/** A second connection pool to the same PostgreSQL database, as another process would have. */
async function secondDatabase(t: TestRuntime): Promise<Database> {
  const [row] = await t.database.execute<{ name: string }>(sql`select current_database() as name`);
  const database = await createDatabase({
    url: databaseUrlFor(process.env.TEST_DATABASE_URL!, row!.name),
    maxConnections: 3,
  });
  opened.push({ close: () => database.close() });
  return database;
}

/** A run whose assignment waits in CREATED, and a READY node with a free slot for it (no running
 * coordinator: the test drives placement itself). */
async function waitingAssignment(t: TestRuntime, name: string) {
  await t.createJob({ name, command: { command: 'true' } });
  const runId = await t.start(name);
  await t.database.db.insert(nodes).values({
    clusterId: t.runtime.clusterId,
    name: `${name}-node`,
    host: 'elsewhere.invalid',
    slots: 1,
    version: 'test',
  });
  const status = async () =>
    (await t.database.db.select().from(assignments).where(eq(assignments.runId, runId)))[0]!.status;
  return { runId, status };
}

describe('fencing term (both databases)', () => {
  it('a coordinator write with a stale term is refused and writes nothing; with the current term it writes', async () => {
    const t = await createTestRuntime({ node: false });
    opened.push(t);
    const clusterId = t.runtime.clusterId;
    const term = t.runtime.coordinator!.term()!;
    expect(term).toBe(await termOf(t.database, clusterId));
    // The running coordinator would place the work itself; this test is the only leader from here on.
    await t.runtime.coordinator!.stop();
    const newer = await takeLeaderTerm(t.database, clusterId);
    expect(newer).toBe(term + 1);

    const countEvents = async () =>
      (await t.database.db.select().from(events).where(eq(events.type, 'schedule:skipped'))).length;
    const before = await countEvents();
    const write = (fence: LeaderFence) =>
      fenced(t.database, fence, (tx) =>
        tx.insert(events).values({ type: 'schedule:skipped', payload: { by: fence.term } }),
      );
    await expect(write(fenceOf(clusterId, term))).rejects.toBeInstanceOf(StaleLeaderError);
    expect(await countEvents()).toBe(before);
    await write(fenceOf(clusterId, newer)); // positive control: the same write with the current term
    expect(await countEvents()).toBe(before + 1);

    // Placement, the write that matters most: the stale term places nothing, the current one places.
    const { status } = await waitingAssignment(t, 'fenced-placement');
    const logs = createLogAppender({
      database: t.database,
      logger: silentLogger,
      node: { id: null, name: null },
    });
    opened.push({ close: () => logs.close() });
    const options = { heartbeatTimeoutMs: 60_000, logs };
    await expect(placeAssignments(t.database, fenceOf(clusterId, term), options)).rejects.toBeInstanceOf(
      StaleLeaderError,
    );
    expect(await status()).toBe('CREATED');
    expect(await placeAssignments(t.database, fenceOf(clusterId, newer), options)).toBe(1);
    expect(await status()).toBe('SCHEDULED');

    // A coordinator that learned it lost its lock (its signal aborted) does not even start a write.
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      fenced(t.database, { clusterId, term: newer, signal: aborted.signal }, async () => 'wrote'),
    ).rejects.toBeInstanceOf(StaleLeaderError);
  });
});

describe.skipIf(!usingPostgres)(
  'leadership on PostgreSQL (skipped on PGlite: one process, no second session)',
  () => {
    it('killing the leader lock session: the leader stops at once, one coordinator leads with term + 1, the old term writes nothing', async () => {
      const t = await createTestRuntime({ node: false });
      opened.push(t);
      const clusterId = t.runtime.clusterId;
      const otherDb = await secondDatabase(t);
      const other: Runtime = await startRuntime({
        database: otherDb,
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
      opened.push({ close: () => other.stop() });
      const first = t.runtime.coordinator!;
      const second = other.coordinator!;
      expect([first.isLeader(), second.isLeader()]).toEqual([true, false]);
      const term = first.term()!;
      expect(await termOf(t.database, clusterId)).toBe(term);

      // Kill only the session that holds the lock (a standby's short-lived try shares its application
      // name), as a network cut or an admin would.
      const killed = await t.database.execute<{ pid: number }>(sql`
      select a.pid, pg_terminate_backend(a.pid) from pg_stat_activity a
      join pg_locks l on l.pid = a.pid and l.locktype = 'advisory' and l.granted
      where a.application_name = 'jobgate-coordinator-lock' and a.datname = current_database()`);
      expect(killed).toHaveLength(1);
      // The first one learns from the connection's close, not from a probe (that would take ~1 s),
      // and stops leading; either process may then win the lock (the first tries again at its next
      // tick), so the fact to wait for is a leader with the next term, not a moment without one.
      const leader = await until('a coordinator to lead with the next term', () =>
        [first, second].find((c) => c.isLeader() && c.term() === term + 1),
      );
      const leaders = () => [first, second].filter((c) => c.isLeader());
      expect(leaders()).toHaveLength(1);
      expect(first.term()).not.toBe(term);
      expect(await termOf(t.database, clusterId)).toBe(term + 1);
      // One session holds the lock: the old one did not come back behind our back.
      const holders = await t.database.execute<{ n: number }>(sql`
      select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and a.application_name = 'jobgate-coordinator-lock'
        and a.datname = current_database()`);
      expect(holders[0]!.n).toBe(1);

      // A write with the old term (what a stale leader would attempt) is refused and writes nothing.
      const before = (await t.database.db.select().from(events)).length;
      await expect(
        fenced(t.database, fenceOf(clusterId, term), (tx) =>
          tx.insert(events).values({ type: 'schedule:skipped', payload: { stale: true } }),
        ),
      ).rejects.toBeInstanceOf(StaleLeaderError);
      expect((await t.database.db.select().from(events)).length).toBe(before);

      // The cluster keeps working under the new leader.
      await t.createJob({ name: 'after-split-attempt', command: { command: 'echo placed' } });
      const node = await startRuntime({
        database: otherDb,
        logger: silentLogger,
        cluster: 'default',
        node: { slots: 1, tags: {}, name: 'after-failover-node' },
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 3000,
        commandsEnabled: true,
        commandEnv: safeBaseEnv(process.env),
        secrets: testSecrets,
        pollMs: 50,
      });
      opened.push({ close: () => node.stop() });
      const runId = await t.start('after-split-attempt');
      expect((await t.waitForRun(runId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
      // Still the one leader: no second one came up beside it.
      expect(leaders()).toHaveLength(1);
      expect(leaders()[0]).toBe(leader);
    });

    it('a stale leader transaction in flight when the term changes: the new term waits for it, and its next placement is refused', async () => {
      const t = await createTestRuntime({ node: false });
      opened.push(t);
      const clusterId = t.runtime.clusterId;
      await t.runtime.coordinator!.stop();
      const term = await takeLeaderTerm(t.database, clusterId);
      const otherDb = await secondDatabase(t);
      const { status } = await waitingAssignment(t, 'in-flight');
      const logs = createLogAppender({
        database: t.database,
        logger: silentLogger,
        node: { id: null, name: null },
      });
      opened.push({ close: () => logs.close() });

      // The old leader's tick is inside a fenced transaction (it passed the check) and pauses there.
      let resume!: () => void;
      const paused = new Promise<void>((r) => (resume = r));
      let inside = false;
      const inFlight = fenced(t.database, fenceOf(clusterId, term), async (tx) => {
        inside = true;
        await paused;
        await tx.insert(events).values({ type: 'schedule:skipped', payload: { before: 'new term' } });
      });
      await until('the stale transaction to pass its fence', () => inside);

      // A new leader takes the next term: it must wait for the transaction that already holds the old one.
      let newTerm: number | null = null;
      const taking = takeLeaderTerm(otherDb, clusterId).then((n) => (newTerm = n));
      await until('the new term to wait on the row lock', async () => {
        const [row] = await t.database.execute<{ n: number }>(sql`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%leader_term + 1%'`);
        return row!.n === 1;
      });
      expect(newTerm).toBeNull();

      // Meanwhile the old leader's placement starts: its fence queues behind the new term. Its outcome
      // is held as a value: it may be refused before the test gets to look, and an unobserved
      // rejection would be reported as unhandled.
      const placing = placeAssignments(t.database, fenceOf(clusterId, term), {
        heartbeatTimeoutMs: 60_000,
        logs,
      }).then(
        (placed) => placed,
        (err: unknown) => err,
      );
      await until('the stale placement to queue behind the new term', async () => {
        const [row] = await t.database.execute<{ n: number }>(sql`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like '%for no key update%'`);
        return row!.n === 1;
      });
      resume();
      await inFlight; // began before the new term: it commits, and the term change is ordered after it
      await taking;
      expect(newTerm).toBe(term + 1);
      expect(await placing).toBeInstanceOf(StaleLeaderError);
      expect(await status()).toBe('CREATED');
      // Positive control: the new leader places the same assignment.
      expect(
        await placeAssignments(otherDb, fenceOf(clusterId, term + 1), { heartbeatTimeoutMs: 60_000, logs }),
      ).toBe(1);
      expect(await status()).toBe('SCHEDULED');
    });
  },
);

describe('runtime isolation from a stalled event loop (both databases)', () => {
  it('the process stalls for twice the heartbeat timeout: its own node is not lost and its streaming run stays RUNNING; a silent node is lost by the same wait', async () => {
    const timeoutMs = 1_000;
    const t = await createTestRuntime({ heartbeatTimeoutMs: timeoutMs });
    opened.push(t);
    await t.createJob({
      name: 'stream-through-stall',
      pipeline: {
        env: { 'job.mode': 'STREAMING', 'checkpoint.interval': 1000 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 10_000_000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('stream-through-stall');
    await t.waitForRun(runId, ['RUNNING']);
    const ownNode = t.runtime.node!.id;

    // The positive control, with no slots so nothing is placed on it: a node of another process whose
    // heartbeat stops now. The same wait must see it declared lost.
    const [remote] = await t.database.db
      .insert(nodes)
      .values({
        clusterId: t.runtime.clusterId,
        name: 'silent-remote',
        host: 'elsewhere.invalid',
        pid: 1,
        slots: 0,
        version: 'test',
      })
      .returning();

    // The stall: this process (gateway, coordinator and node alike) does nothing for 2 × the timeout.
    const end = performance.now() + 2 * timeoutMs;
    while (performance.now() < end) {
      // busy: no timer, no I/O, no heartbeat
    }

    const statusOf = async (id: string) =>
      (await t.database.db.select({ status: nodes.status }).from(nodes).where(eq(nodes.id, id)))[0]!.status;
    await until(
      'the silent remote node to be declared lost',
      async () => (await statusOf(remote!.id)) === 'DOWN',
    );
    // Time is the subject here: the coordinator spares its own nodes for one heartbeat timeout after
    // a stall, and a run hurt by the stall would restart within a few. So the facts are read once
    // three timeouts have passed since the stall (by this process's clock) and the coordinator has
    // run whole ticks begun after that, and once the run has completed a checkpoint triggered after
    // the stall (it is working, not merely left alone).
    const runCheckpoints = () =>
      t.database.db
        .select({ number: checkpoints.number, status: checkpoints.status })
        .from(checkpoints)
        .where(eq(checkpoints.runId, runId))
        .orderBy(desc(checkpoints.number));
    const afterStall = (await runCheckpoints())[0]?.number ?? 0;
    await until('three heartbeat timeouts since the stall', () => performance.now() > end + 3 * timeoutMs);
    await wholeTicks(t.runtime.coordinator);
    await until('a checkpoint triggered after the stall to complete', async () =>
      (await runCheckpoints()).some((c) => c.number > afterStall && c.status === 'COMPLETED'),
    );

    const lostEvents = await t.database.db.select().from(events).where(eq(events.type, 'node:lost'));
    expect(lostEvents.map((e) => e.nodeId)).toEqual([remote!.id]);
    expect(await statusOf(ownNode)).toBe('READY');
    const history = await t.database.db
      .select({ to: runStatusHistory.toStatus })
      .from(runStatusHistory)
      .where(eq(runStatusHistory.runId, runId));
    expect(history.map((h) => h.to)).toContain('RUNNING');
    expect(history.filter((h) => ['RESTARTING', 'FAILING', 'FAILED'].includes(h.to))).toEqual([]);
    expect((await t.database.db.select().from(runs).where(eq(runs.id, runId)))[0]!.status).toBe('RUNNING');
    await t.graphql({ contract: 'CancelJob' }, { runId });
    await t.waitForRun(runId, ['CANCELED']);
  });

  it("its own node's row lagging behind (a heartbeat queued behind the process's own queries) does not make it lost; another node's does", async () => {
    const t = await createTestRuntime({ heartbeatTimeoutMs: 1_000 });
    opened.push(t);
    const own = t.runtime.node!.id;
    const [remote] = await t.database.db
      .insert(nodes)
      .values({
        clusterId: t.runtime.clusterId,
        name: 'lagging-remote',
        host: 'elsewhere.invalid',
        slots: 0,
        version: 'test',
      })
      .returning();
    // Both rows an hour old at once, as a coordinator would read them if their heartbeats had waited.
    await t.database.execute(sql`
      update nodes set last_heartbeat_at = now() - interval '1 hour'
      where id in (${own}::uuid, ${remote!.id}::uuid)`);
    const lost = async () =>
      (await t.database.db.select().from(events).where(eq(events.type, 'node:lost'))).map((e) => e.nodeId);
    await until('the other node to be declared lost', async () => (await lost()).includes(remote!.id));
    await t.runtime.coordinator!.tick();
    expect(await lost()).toEqual([remote!.id]);
  });
});
