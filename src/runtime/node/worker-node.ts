// A worker node's membership: it registers, heartbeats and deregisters. What it runs is the
// executor's business (runtime/node/executor.ts); this file only keeps the node visible and alive.
import { availableParallelism, freemem, hostname, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { nodes } from '../../db/schema/index.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { NodeStatus, sqlLiteral } from '../../lib/status.ts';
import { VERSION } from '../../lib/version.ts';
import { emitEvent } from '../events.ts';
import { writeNodeMetrics } from '../sql/write-node-metrics.ts';
import { sharedClock, startHeartbeatThread, type HeartbeatThread } from './heartbeat-thread.ts';
import { moveNodeDraining } from './drain-node.ts';
import { transitionNode } from './transition-node.ts';

export interface WorkerNodeOptions {
  database: Database;
  logger: Logger;
  clusterId: string;
  name?: string;
  slots: number;
  tags: Record<string, string>;
  heartbeatIntervalMs: number;
  /** How many slots are busy now (for the node's metrics). */
  slotsUsed?: () => number;
  /** Send the liveness stamp from a worker thread with its own connection (PostgreSQL only; see
   * heartbeat-thread.ts). Default true; false only for tests and measurements of the old way. */
  heartbeatThread?: boolean;
  /** The longest the main event loop may stand still while the thread still vouches for it (config
   * `heartbeatMaxStallMs`, which says why its default is what it is). */
  maxMainStallMs: number;
}

export interface WorkerNodeMembership {
  readonly id: string;
  readonly name: string;
  /** When this process last sent a heartbeat (performance.now() ms): a coordinator in the same
   * process judges its own nodes by this, not by a row that waits behind the process's queries. */
  readonly lastBeatAt: number;
  /** Where the liveness stamp comes from now: the heartbeat thread, or the main event loop (PGlite,
   * the thread switched off, still starting, or failed). */
  readonly heartbeatSource: 'thread' | 'main';
  /** Marks the node DRAINING: it keeps what it runs but takes nothing new. */
  drain(): Promise<void>;
  /** Stops heartbeating and deregisters. */
  stop(): Promise<void>;
}

export async function registerWorkerNode(options: WorkerNodeOptions): Promise<WorkerNodeMembership> {
  const { database, logger } = options;
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const [row] = await database.db
    .insert(nodes)
    .values({
      clusterId: options.clusterId,
      name,
      host: hostname(),
      pid: process.pid,
      slots: options.slots,
      tags: options.tags,
      version: VERSION,
    })
    .returning({ id: nodes.id });
  if (!row) throw new Error('registering the node returned no row');
  const id = row.id;
  const log = logger.child({ nodeId: id, node: name });
  await emitEvent(database, { type: 'node:registered', nodeId: id, payload: { name, slots: options.slots } });
  log.info({ slots: options.slots, tags: options.tags }, 'node registered');

  let stopped = false;
  let cpu = process.cpuUsage();
  let cpuAt = process.hrtime.bigint();
  let beats = 0;
  const metrics = async () => {
    const now = process.hrtime.bigint();
    const used = process.cpuUsage(cpu);
    const elapsedUs = Number(now - cpuAt) / 1000;
    cpu = process.cpuUsage();
    cpuAt = now;
    const memory = process.memoryUsage();
    await writeNodeMetrics(database, id, {
      cpuPercent: elapsedUs > 0 ? (100 * (used.user + used.system)) / elapsedUs : 0,
      memoryRssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      // The machine, for readers that describe a worker's hardware (Flink's TaskManager page).
      cpuCores: availableParallelism(),
      memoryTotalBytes: totalmem(),
      memoryFreeBytes: freemem(),
      slotsTotal: options.slots,
      slotsUsed: options.slotsUsed?.() ?? 0,
    });
  };
  // On PostgreSQL the liveness stamp comes from a thread; the main thread then writes only the
  // metrics, and stamps itself only while the thread is not stamping (still starting, failed or
  // died, or withholding stamps after a long stall that is over now). The thread starts in the
  // background: until its first stamp the main thread's beats keep the node alive, as before.
  const url = database.kind === 'postgres' ? database.connectionUrl?.() : undefined;
  let thread: HeartbeatThread | null = null;
  const threadStarting =
    url && options.heartbeatThread !== false
      ? startHeartbeatThread({
          url,
          nodeId: id,
          intervalMs: options.heartbeatIntervalMs,
          maxMainStallMs: options.maxMainStallMs,
          logger: log,
        }).then((started) => (thread = started))
      : null;
  const threadStamping = () =>
    thread !== null && thread.alive && sharedClock() - thread.lastStampAt() < 3 * options.heartbeatIntervalMs;
  let lastBeatAt = performance.now();
  const heartbeat = async () => {
    lastBeatAt = performance.now();
    try {
      if (!threadStamping()) await stamp();
      // Metrics ride along every few beats (about once a second at the default interval).
      if (beats++ % Math.max(1, Math.round(1000 / options.heartbeatIntervalMs)) === 0) await metrics();
    } catch (err) {
      if (!stopped) log.warn({ err: coerceError(err) }, 'heartbeat failed');
    }
  };
  const stamp = async () => {
    // One statement: a node the coordinator declared DOWN that heartbeats again comes back READY
    // (what it ran was restarted elsewhere and is fenced off; see runs/settle.ts); a deregistered node
    // never does (a beat in flight while stop() runs must not revive it). Stamped with the
    // database clock when it runs, which the coordinator compares with: a beat that waited behind
    // other queries of a busy process is not written as already old.
    await database.db
      .update(nodes)
      .set({
        lastHeartbeatAt: sql`now()`,
        status: sql`case when ${nodes.status} = ${sql.raw(sqlLiteral(NodeStatus.DOWN))} then ${sql.raw(sqlLiteral(NodeStatus.READY))} else ${nodes.status} end`,
      })
      .where(and(eq(nodes.id, id), isNull(nodes.deregisteredAt)));
  };
  const timer = setInterval(() => void heartbeat(), options.heartbeatIntervalMs);
  timer.unref();

  return {
    id,
    name,
    get lastBeatAt() {
      return lastBeatAt;
    },
    get heartbeatSource() {
      return threadStamping() ? 'thread' : 'main';
    },
    drain: async () => {
      await database.db.transaction((tx) =>
        moveNodeDraining(database, tx, id, true, [NodeStatus.READY, NodeStatus.DOWN]),
      );
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await threadStarting;
      await (thread as HeartbeatThread | null)?.stop();
      await transitionNode(database.db, id, NodeStatus.DOWN, {
        from: [NodeStatus.READY, NodeStatus.DRAINING, NodeStatus.DOWN],
        patch: { deregisteredAt: new Date() },
      });
      await emitEvent(database, { type: 'node:deregistered', nodeId: id, payload: { name } });
      log.info('node deregistered');
    },
  };
}
