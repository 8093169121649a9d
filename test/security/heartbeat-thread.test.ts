// Runtime isolation from the API (issue 7, build item 6): on PostgreSQL a node's liveness stamp comes
// from a worker thread with a connection of its own, so a main event loop held for seconds (as a
// heavy request holds it) does not make a coordinator in another process declare the node lost;
// a main loop that hangs past the configured bound still does. A child process runs the node (a
// blocked thread cannot watch itself); this process watches its row from another connection and
// hosts the cluster's coordinator.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { and, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client.ts';
import { events, nodes } from '../../src/db/schema/index.ts';
import { safeBaseEnv, startRuntime, type Runtime } from '../../src/runtime/index.ts';
import { silentLogger } from '../support/app.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { createTestRuntime } from '../support/runtime.ts';
import { testSecrets } from '../support/secrets.ts';
import { until, wholeTicks } from '../support/wait.ts';

const SCRIPT = fileURLToPath(new URL('../support/stalling-node.ts', import.meta.url));
const INTERVAL_MS = 200;
const TIMEOUT_MS = 1_000;

const runtimeDefaults = {
  logger: silentLogger,
  heartbeatIntervalMs: INTERVAL_MS,
  heartbeatTimeoutMs: TIMEOUT_MS,
  commandsEnabled: false,
  commandEnv: safeBaseEnv(process.env),
  secrets: testSecrets,
  pollMs: 50,
};

let url = '';
let watcher: Database;
const children = new Set<ChildProcess>();
const stops: (() => Promise<void>)[] = [];

describe.runIf(!usingPostgres)('heartbeat on PGlite', () => {
  it.skip('the heartbeat thread needs PostgreSQL (TEST_DATABASE_URL): a thread cannot reach a PGlite database, which lives on the main thread', () => {});
  it('stays on the main thread, as before', async () => {
    const t = await createTestRuntime();
    try {
      expect(t.runtime.node!.heartbeatSource).toBe('main');
      const stampOf = async () =>
        (
          await t.database.db.select().from(nodes).where(eq(nodes.id, t.runtime.node!.id))
        )[0]!.lastHeartbeatAt.getTime();
      const before = await stampOf();
      await until('a newer stamp', async () => (await stampOf()) > before);
      expect(t.runtime.node!.heartbeatSource).toBe('main');
    } finally {
      await t.close();
    }
  });
});

describe.runIf(usingPostgres)('heartbeat thread (PostgreSQL)', () => {
  beforeAll(async () => {
    url = await createPostgresDatabase();
    watcher = await createDatabase({ url, maxConnections: 4 });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    for (const child of children) child.kill('SIGKILL');
    await until('children to exit', () =>
      [...children].every((c) => c.exitCode !== null || c.signalCode !== null),
    );
    children.clear();
  });
  afterAll(async () => {
    await watcher?.close();
  });

  /** A node in a child process whose main loop can be blocked, watched by a coordinator here. */
  async function stallingNode(env: Record<string, string>) {
    const cluster = `hb-${randomBytes(4).toString('hex')}`;
    const coordinator: Runtime = await startRuntime({
      ...runtimeDefaults,
      database: watcher,
      cluster,
      coordinator: true,
    });
    stops.push(() => coordinator.stop());
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        STALL_DATABASE_URL: url,
        STALL_CLUSTER: cluster,
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    stops.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await until('the node to stop', () => child.exitCode !== null || child.signalCode !== null, {
          timeoutMs: 15_000,
        }).catch(() => child.kill('SIGKILL'));
      }
    });
    await until(
      `the node to start (output: ${out})`,
      () => /node [0-9a-f-]{36}/.test(out) || child.exitCode !== null,
    );
    const match = /node ([0-9a-f-]{36})/.exec(out);
    if (!match) throw new Error(`the node did not start: ${out}`);
    const nodeId = match[1]!;
    const age = async () => {
      const [row] = await watcher.execute<{ age: number; status: string }>(sql`
        select (extract(epoch from clock_timestamp() - last_heartbeat_at) * 1000)::float8 as age, status
        from nodes where id = ${nodeId}::uuid`);
      return row!;
    };
    const lostEvents = async () =>
      (
        await watcher.db
          .select()
          .from(events)
          .where(and(eq(events.type, 'node:lost'), eq(events.nodeId, nodeId)))
      ).length;

    return {
      nodeId,
      output: () => out,
      lostEvents,
      age,
      /** Blocks the node's main loop for `ms` and watches its heartbeat meanwhile (and until the
       * coordinator here has judged the node after the stall): the oldest its stamp got, and whether
       * the row was ever DOWN. */
      async stall(ms: number) {
        // Stamps flow before the stall (the first ones after start may be the main thread's).
        await until('fresh heartbeats', async () => (await age()).age < 2 * INTERVAL_MS);
        let oldest = 0;
        let sawDown = false;
        const outBefore = out.length;
        child.stdin!.write(`stall ${ms}\n`);
        const watch = async () => {
          const row = await age();
          oldest = Math.max(oldest, row.age);
          if (row.status === 'DOWN') sawDown = true;
        };
        await until(
          'the stall to end',
          async () => {
            await watch();
            return out.slice(outBefore).includes('stalled');
          },
          // Sampled often: the oldest stamp seen is the measurement.
          { timeoutMs: ms + 60_000, intervalMs: 25 },
        );
        // A verdict on the stall may still be on its way: whole coordinator ticks begun after the
        // stall ended have judged the node on every stamp it wrote or withheld, and a node:lost event
        // stays even when the next stamp revives the row.
        await wholeTicks(coordinator.coordinator);
        await watch();
        return { oldest, sawDown };
      },
    };
  }

  it('a main loop held for 2.5 s keeps its heartbeat: the stamps come from the thread and the node is not declared lost', async () => {
    const node = await stallingNode({});
    const { oldest, sawDown } = await node.stall(2_500);
    expect(oldest, node.output()).toBeLessThan(TIMEOUT_MS);
    expect(sawDown).toBe(false);
    expect(await node.lostEvents()).toBe(0);
    // The stamps came from the thread's own session.
    const sessions = await watcher.execute<{ query: string }>(sql`
      select query from pg_stat_activity where datname = current_database() and application_name = 'jobgate-heartbeat'`);
    expect(sessions.length).toBe(1);
    expect(sessions[0]!.query).toMatch(/update nodes set last_heartbeat_at/);
  });

  it('positive control: the same stall with the heartbeat on the main loop leaves a gap past the timeout and the node is declared lost', async () => {
    const node = await stallingNode({ STALL_HEARTBEAT_THREAD: '0' });
    const { oldest } = await node.stall(2_500);
    expect(oldest).toBeGreaterThan(TIMEOUT_MS);
    await until('the node declared lost', async () => (await node.lostEvents()) > 0);
    // It comes back once its loop runs again (a node declared DOWN that beats again is READY).
    await until('the node back to READY', async () => (await node.age()).status === 'READY');
  });

  it('a main loop that stands still past the bound stops the stamps, and the node is declared lost', async () => {
    const node = await stallingNode({ STALL_MAX_STALL_MS: '400' });
    const { oldest, sawDown } = await node.stall(4_000);
    expect(oldest).toBeGreaterThan(TIMEOUT_MS);
    expect(sawDown).toBe(true);
    expect(await node.lostEvents()).toBeGreaterThan(0);
    await until('the node back to READY', async () => (await node.age()).status === 'READY');
    // The thread said why it withheld the stamps.
    await until('the warning', () => node.output().includes('heartbeat stamps withheld'));
  });

  it('the thread ends with the node: its session closes and a deregistered node is never revived', async () => {
    const database = await createDatabase({ url, maxConnections: 3 });
    stops.push(() => database.close());
    const runtime = await startRuntime({
      ...runtimeDefaults,
      database,
      cluster: `hb-${randomBytes(4).toString('hex')}`,
      node: { slots: 1, tags: {}, name: 'threaded' },
    });
    const sessions = async () =>
      (
        await watcher.execute(sql`
          select 1 from pg_stat_activity where datname = current_database() and application_name = 'jobgate-heartbeat'`)
      ).length;
    await until('the heartbeat session', async () => (await sessions()) === 1);
    await until('stamps from the thread', () => runtime.node!.heartbeatSource === 'thread');
    const nodeId = runtime.node!.id;
    await runtime.stop();
    // No heartbeat session is left, so nothing can stamp the row after this (the stop waited for a
    // stamp in flight): what the row says now is final, with no pause needed to let one land.
    expect(await sessions()).toBe(0);
    const [row] = await watcher.db.select().from(nodes).where(eq(nodes.id, nodeId));
    expect(row!.status).toBe('DOWN');
    expect(row!.deregisteredAt).not.toBeNull();
  });

  it('a thread that cannot connect leaves the heartbeat to the main thread, with a warning that never shows the URL', async () => {
    const database = await createDatabase({ url, maxConnections: 3 });
    stops.push(() => database.close());
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    // The runtime's own database works; the thread is handed a server that refuses it.
    const unreachable = { ...database, connectionUrl: () => 'postgres://nobody:s3cret-pw@127.0.0.1:1/none' };
    const runtime = await startRuntime({
      ...runtimeDefaults,
      logger,
      database: unreachable,
      cluster: `hb-${randomBytes(4).toString('hex')}`,
      node: { slots: 1, tags: {}, name: 'fallback' },
    });
    stops.push(() => runtime.stop());
    await until('the warning', () => /heartbeat thread failed to start/.test(lines.join('\n')));
    // Its heartbeat still stamps the row, from the main thread.
    expect(runtime.node!.heartbeatSource).toBe('main');
    const stampOf = async () =>
      (
        await watcher.db.select().from(nodes).where(eq(nodes.id, runtime.node!.id))
      )[0]!.lastHeartbeatAt.getTime();
    const before = await stampOf();
    await until('a newer stamp', async () => (await stampOf()) > before);
    expect(lines.join('\n')).not.toContain('s3cret-pw');
  });
});
