// Everything the leader of a cluster does each tick, in order. Each duty is one fenced write (or a
// few), so a leader that lost its term stops in the middle of a tick without writing anything more.
import type { Database } from '../../db/client.ts';
import type { Logger } from '../../lib/logger.ts';
import { notifyNodesOfRuns } from '../channels.ts';
import {
  abandonCheckpointsOfStoppedRuns,
  expireCheckpoints,
  pruneCheckpoints,
  triggerDueCheckpoints,
} from '../checkpoints/trigger-checkpoints.ts';
import type { LogAppender } from '../logs/log-appender.ts';
import { fireFollowUps, fireSchedules } from '../schedule/fire-schedules.ts';
import { detectLostNodes } from './detect-lost-nodes.ts';
import type { LeaderFence } from './fence.ts';
import { placeAssignments } from './place-assignments.ts';
import type { Retention } from './retention.ts';

export interface LeaderDutiesOptions {
  database: Database;
  logger: Logger;
  logs: LogAppender;
  heartbeatTimeoutMs: number;
  /** A checkpoint not completed within this long fails. */
  checkpointTimeoutMs: number;
  /** Completed periodic checkpoints each run keeps (savepoints are always kept). */
  checkpointRetention: number;
  /** Config `commandsEnabled`: schedules and follow-ups do not start shell jobs when false. */
  commandsEnabled: boolean;
  retention: Retention;
}

/**
 * Lets the event loop poll I/O between duties. On PGlite a statement answers through a promise
 * alone, so a whole tick would run as one chain of promises and hold the loop until it ended: an
 * HTTP request or a WebSocket frame arriving meanwhile (the first tick after `serve` is ready takes
 * hundreds of milliseconds, its statements all cold) waited for all of it. On PostgreSQL each
 * statement waits on its socket anyway; this costs a turn of the loop per duty.
 */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One leader tick. `spare` is the stall watch's verdict (coordinator.ts): nodes of this process
 * that are alive whatever their heartbeat row says, so lost-node detection passes them over.
 */
export async function runLeaderDuties(
  fence: LeaderFence,
  options: LeaderDutiesOptions,
  spare: string[],
): Promise<void> {
  const { database, logger } = options;
  // Lost nodes first: their assignments are reopened, so this same tick places them elsewhere.
  await detectLostNodes(database, fence, { heartbeatTimeoutMs: options.heartbeatTimeoutMs, logger, spare });
  await yieldToIo();
  // Placement wakes each node it placed work on.
  await placeAssignments(database, fence, {
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    logs: options.logs,
  });

  await yieldToIo();
  const triggered = await triggerDueCheckpoints(database, fence);
  // The nodes running those runs snapshot now rather than at their next poll.
  await notifyNodesOfRuns(
    database,
    triggered.map((c) => c.run_id),
  );
  await expireCheckpoints(database, fence, options.checkpointTimeoutMs);
  await pruneCheckpoints(database, fence, options.checkpointRetention);
  await abandonCheckpointsOfStoppedRuns(database, fence);

  await yieldToIo();
  await fireSchedules(database, fence, { logger, commandsEnabled: options.commandsEnabled });
  await fireFollowUps(database, fence, { logger, commandsEnabled: options.commandsEnabled });

  await yieldToIo();
  // Old events, metric history, log lines and audit rows, one bounded batch per table when due.
  await options.retention.run(fence);
}
