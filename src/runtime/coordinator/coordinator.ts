// The coordinator of one cluster: leader by advisory lock, so any number of processes can host one
// and exactly one acts. A NOTIFY wakes it early; the tick is the guarantee.
import { createHash } from 'node:crypto';
import type { AdvisoryLock, Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { PLACED_CHANNEL, WORK_CHANNEL } from '../runs/start-run.ts';
import { detectLostNodes } from './detect-lost-nodes.ts';
import { placeAssignments } from './place-assignments.ts';

export interface CoordinatorOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  clusterId: string;
  heartbeatTimeoutMs: number;
  tickMs?: number;
  /** Extra work each leader tick does (checkpoints, schedules). */
  onTick?: () => Promise<void>;
}

export interface Coordinator {
  isLeader(): boolean;
  /** Runs one tick now (tests, and wake-ups). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** A stable 31-bit advisory lock key per cluster. */
function lockKey(clusterId: string): number {
  return createHash('sha256').update(`jobgate:coordinator:${clusterId}`).digest().readUInt32BE(0) >>> 1;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const { database, logger } = options;
  const log = logger.child({ component: 'coordinator', clusterId: options.clusterId });
  let lock: AdvisoryLock | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;

  const work = async () => {
    if (!lock) {
      lock = await database.tryAdvisoryLock(lockKey(options.clusterId));
      if (!lock) return;
      log.info('became coordinator leader');
      void lock.lost.then(() => {
        log.warn('lost coordinator leadership (its connection closed)');
        lock = null;
      });
    }
    await detectLostNodes(database, {
      clusterId: options.clusterId,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      logger: log,
    });
    const placed = await placeAssignments(database, {
      clusterId: options.clusterId,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      logs: options.logs,
    });
    // Wake the nodes now rather than at their next poll (startJob to RUNNING: p50 175 ms -> see
    // BENCHMARKS.md).
    if (placed > 0) await database.notify(PLACED_CHANNEL, '').catch(() => {});
    await options.onTick?.();
  };

  /** One tick at a time; a wake-up during a tick runs one more right after it. */
  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = work()
      .catch((err: unknown) => log.error({ err: coerceError(err) }, 'coordinator tick failed'))
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
  void tick();

  return {
    isLeader: () => lock !== null,
    tick,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await unlisten().catch(() => {});
      await running;
      await lock?.release();
      lock = null;
    },
  };
}
