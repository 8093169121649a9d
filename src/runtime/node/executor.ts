// A node's executor: claims the assignments placed on it, runs them, watches for stop and cancel
// requests, and reports metrics. It composes single-purpose pieces around one map of what runs:
// the claim loop (claim-loop.ts) wakes on notifications and a poll, and on each wake-up first runs
// the run-control watcher (watch-run-control.ts) and queues checkpoints for the running pipelines'
// barriers (checkpoint-barrier.ts), then claims; each claimed assignment is executed and settled
// (execute-assignment.ts); a timer reports the pipelines' metric rates (metric-rates.ts).
import { eq } from 'drizzle-orm';
import { assignments } from '../../db/schema/index.ts';
import { SubtaskStatus } from '../../lib/status.ts';
import { transitionAssignments } from '../runs/transition-assignments.ts';
import { queueCheckpoints } from './checkpoint-barrier.ts';
import { startClaimLoop } from './claim-loop.ts';
import { executeAssignment } from './execute-assignment.ts';
import { DEFAULT_METRICS_INTERVAL_MS, type ExecutorOptions } from './executor-options.ts';
import { reportMetricRates } from './metric-rates.ts';
import type { RunningAssignment } from './running-assignment.ts';
import { watchRunControl } from './watch-run-control.ts';

export { DEFAULT_CANCEL_GRACE_MS, type ExecutorOptions } from './executor-options.ts';

export interface Executor {
  readonly running: number;
  wake(): void;
  /** Stops taking work; cancels what runs and waits for it to settle. */
  stop(): Promise<void>;
}

export async function startExecutor(options: ExecutorOptions): Promise<Executor> {
  const { database, logger, node } = options;
  const log = logger.child({ component: 'executor', nodeId: node.id });
  const running = new Map<string, RunningAssignment>();
  const shutdown = new AbortController();

  const metricsTimer = setInterval(
    () => void reportMetricRates(database, log, running.values()),
    options.metricsIntervalMs ?? DEFAULT_METRICS_INTERVAL_MS,
  );
  metricsTimer.unref();
  const loop = await startClaimLoop({
    database,
    log,
    node,
    pollMs: options.pollMs ?? 200,
    running,
    execute: (entry) => executeAssignment(options, log, entry, shutdown.signal),
    beforeClaim: async () => {
      await watchRunControl(database, log, node.id, running);
      await queueCheckpoints(database, running.values());
    },
    shutdown: shutdown.signal,
  });

  return {
    get running() {
      return running.size;
    },
    wake: () => loop.wake(),
    stop: async () => {
      shutdown.abort();
      clearInterval(metricsTimer);
      await loop.close();
      for (const entry of running.values()) entry.cancel.abort();
      await Promise.all([...running.values()].map((e) => e.done));
      // Anything claimed but not started is handed back for placement elsewhere.
      await transitionAssignments(
        database.db,
        eq(assignments.nodeId, node.id),
        SubtaskStatus.CREATED,
        { nodeId: null },
        { from: [SubtaskStatus.SCHEDULED] },
      ).catch(() => {});
    },
  };
}
