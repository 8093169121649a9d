// The coordinator of one cluster: leader by advisory lock, so any number of processes can host one
// and exactly one acts. Winning the lock takes a new fencing term, and every write carries it
// (fence.ts): the moment the lock's session ends the coordinator stops acting, and a leader that
// did not notice in time still cannot write. A NOTIFY wakes it early; the tick is the guarantee.
// What a leader does each tick is listed, in order, in leader-duties.ts.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AdvisoryLock, Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { WORK_CHANNEL } from '../channels.ts';
import { StaleLeaderError, takeLeaderTerm, type LeaderFence } from './fence.ts';
import { runLeaderDuties } from './leader-duties.ts';
import { createRetention, type RetentionSettings } from './retention.ts';
import { startStallWatch } from './stall-watch.ts';

export interface CoordinatorOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  clusterId: string;
  heartbeatTimeoutMs: number;
  /** The heartbeat interval of nodes (sets how long a stall of this process must be before its own
   * nodes get a fresh timeout); default a fifth of the timeout. */
  heartbeatIntervalMs?: number;
  tickMs?: number;
  /** The worker nodes hosted by this same process, with when each last sent a heartbeat
   * (performance.now() ms). */
  ownNodes?: () => { id: string; lastBeatAt: number }[];
  /** A checkpoint not completed within this long fails. */
  checkpointTimeoutMs: number;
  /** Completed periodic checkpoints each run keeps (savepoints are always kept). */
  checkpointRetention: number;
  /** Config `commandsEnabled`: when false, schedules and follow-ups start no shell job. */
  commandsEnabled: boolean;
  /** How long events, metric history, log lines and audit rows are kept. */
  retention: RetentionSettings;
  /** Start without ticking (no first tick, no timer, wake-ups ignored) until `resume()`. `jobgate
   * serve` resumes once its API listens, so ready does not wait for the first leader tick, the
   * coldest one (every statement of every duty planned for the first time: 0.7 to 0.9 s on PGlite
   * at a load of 7). Default false: the first tick runs before startCoordinator returns. */
  paused?: boolean;
}

export interface Coordinator {
  isLeader(): boolean;
  /** The term this coordinator leads with, or null when it does not lead. */
  term(): number | null;
  /** Runs one tick now (tests, and wake-ups). */
  tick(): Promise<void>;
  /** Starts ticking a coordinator started `paused` (a no-op otherwise); resolves after its first
   * tick. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** A stable 31-bit advisory lock key per cluster. */
function lockKey(clusterId: string): number {
  return createHash('sha256').update(`jobgate:coordinator:${clusterId}`).digest().readUInt32BE(0) >>> 1;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const { database, logger } = options;
  const log = logger.child({ component: 'coordinator', clusterId: options.clusterId });
  /** Set while leading: the lock, and the fence (term + abort signal) every write carries. */
  let leading: { lock: AdvisoryLock; fence: LeaderFence; abort: AbortController } | null = null;
  let stopped = false;
  let paused = options.paused ?? false;
  let running: Promise<void> | null = null;
  let again = false;
  const intervalMs = options.heartbeatIntervalMs ?? options.heartbeatTimeoutMs / 5;
  const stalls = startStallWatch({
    // A stall this long can make this process's nodes look silent for their whole timeout.
    thresholdMs: Math.max(100, Math.min(intervalMs, (options.heartbeatTimeoutMs - intervalMs) / 2)),
    graceMs: options.heartbeatTimeoutMs,
    onStall: (ms) =>
      log.warn(
        { stallMs: Math.round(ms) },
        'this process stalled; its own nodes get a fresh heartbeat timeout',
      ),
  });
  /**
   * The nodes of this process that are alive whatever their row says. A node in the same process as
   * its coordinator cannot be lost while the coordinator runs: its row can only look old because the
   * process stood still (every timer late, so after a stall each gets a fresh full timeout) or its
   * heartbeat waited behind the process's own queries. So an own node is judged only when its
   * heartbeat loop itself stopped beating (by this process's monotonic clock). Nodes of other
   * processes are judged by their rows and the database clock.
   */
  const spared = (): string[] => {
    const own = options.ownNodes?.() ?? [];
    if (own.length === 0) return [];
    if (stalls.inGrace()) return own.map((n) => n.id);
    const now = performance.now();
    return own.filter((n) => now - n.lastBeatAt < options.heartbeatTimeoutMs).map((n) => n.id);
  };

  /** Stops acting at once: aborts the fence (in-flight fenced transactions roll back) and drops the lock. */
  const resign = (why: string) => {
    const was = leading;
    if (!was) return;
    leading = null;
    was.abort.abort();
    if (!stopped) log.warn({ term: was.fence.term }, `lost coordinator leadership (${why})`);
    void was.lock.release().catch(() => {});
  };

  const lead = async (): Promise<LeaderFence | null> => {
    if (leading) return leading.fence;
    const lock = await database.tryAdvisoryLock(lockKey(options.clusterId));
    if (!lock) return null;
    let term: number;
    try {
      term = await takeLeaderTerm(database, options.clusterId);
    } catch (err) {
      await lock.release().catch(() => {});
      throw err;
    }
    const abort = new AbortController();
    const fence: LeaderFence = { clusterId: options.clusterId, term, signal: abort.signal };
    const mine = { lock, fence, abort };
    leading = mine;
    void lock.lost.then(() => {
      if (leading === mine) resign('its lock session closed');
    });
    log.info({ term }, 'became coordinator leader');
    return fence;
  };

  const duties = {
    database,
    logger: log,
    logs: options.logs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    checkpointTimeoutMs: options.checkpointTimeoutMs,
    checkpointRetention: options.checkpointRetention,
    commandsEnabled: options.commandsEnabled,
    retention: createRetention(database, options.retention),
  };
  const work = async () => {
    const fence = await lead();
    if (!fence) return;
    await runLeaderDuties(fence, duties, spared());
  };

  /** One tick at a time; a wake-up during a tick runs one more right after it. */
  const tick = (): Promise<void> => {
    if (stopped || paused) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = work()
      .catch((err: unknown) => {
        // Another process took a newer term: whatever this one believed, it no longer leads.
        if (err instanceof StaleLeaderError) resign(`term ${err.term} is stale`);
        else log.error({ err: coerceError(err) }, 'coordinator tick failed');
      })
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void tick();
        }
      });
    return running;
  };

  const timer = setInterval(() => void tick(), options.tickMs ?? 250);
  timer.unref();
  const unlisten = await database.listen(WORK_CHANNEL, () => void tick());
  // The first tick before returning: a coordinator that can lead does lead once started (or resumed).
  await tick();

  return {
    isLeader: () => leading !== null,
    term: () => leading?.fence.term ?? null,
    tick,
    resume: () => {
      paused = false;
      return tick();
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      stalls.stop();
      await unlisten().catch(() => {});
      await running;
      const was = leading;
      leading = null;
      was?.abort.abort();
      await was?.lock.release();
    },
  };
}
