// A node's claim loop. On every wake-up (a notification, the poll, an assignment ending) it first
// lets the executor look at what runs, then claims the assignments placed on this node into its
// free slots and starts them. LISTEN/NOTIFY only wakes it; the poll is the guarantee. Passes never
// overlap: a wake-up that comes while one is under way runs one more pass right after it (however
// many came), because the pass under way may have read before what woke it was committed. (Joining
// the pass under way instead left such a checkpoint or placement to the next poll: it was most of
// the checkpoint duration's p99 in BENCHMARKS.md.) The poll does not ask for a pass more: when a
// pass outlasts the poll interval, the next one simply follows the next poll.
import type { Database } from '../../db/client.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { nodeChannel } from '../channels.ts';
import { claimAssignments } from '../sql/claim-assignments.ts';
import { RunningAssignment } from './running-assignment.ts';

export interface ClaimLoopOptions {
  database: Database;
  log: Logger;
  node: { id: string; slots: number };
  pollMs: number;
  /** The assignments this node runs, by id: the loop adds what it claims and removes what ends. */
  running: Map<string, RunningAssignment>;
  /** Runs a claimed assignment until it is settled. */
  execute: (entry: RunningAssignment) => Promise<void>;
  /** What must see the running assignments before each claim (stop and cancel requests,
   * checkpoints). Runs on every wake-up, during shutdown too. */
  beforeClaim: () => Promise<void>;
  /** Aborted when the node shuts down: nothing more is claimed. */
  shutdown: AbortSignal;
}

export interface ClaimLoop {
  wake(): void;
  /** No more wake-ups from the poll or notifications; resolves once the pass under way ended. */
  close(): Promise<void>;
}

/** The channels that wake this node's loop; returns what stops listening. */
async function listenForWork(
  database: Database,
  nodeId: string,
  wake: () => void,
): Promise<() => Promise<void>> {
  // Only this node's channel: it hears of work placed on it, not of every run started anywhere.
  return database.listen(nodeChannel(nodeId), wake);
}

export async function startClaimLoop(options: ClaimLoopOptions): Promise<ClaimLoop> {
  const { database, log, node, running, shutdown } = options;
  let ticking: Promise<void> | null = null;
  let again = false;
  let closed = false;

  const claim = async () => {
    if (shutdown.aborted) return;
    const claimed = await claimAssignments(database, node.id, node.slots - running.size);
    for (const a of claimed) {
      const entry = new RunningAssignment(a);
      running.set(a.id, entry);
      entry.done = options.execute(entry).finally(() => {
        running.delete(a.id);
        void tick();
      });
    }
  };

  /** One pass at a time; `wanted` (a wake-up, not the poll) asks for one more after a pass under way. */
  const tick = (wanted = true): Promise<void> => {
    if (ticking) {
      again ||= wanted;
      return ticking;
    }
    ticking = (async () => {
      try {
        await options.beforeClaim();
        await claim();
      } catch (err) {
        if (!shutdown.aborted) log.warn({ err: coerceError(err) }, 'executor tick failed');
      }
    })().finally(() => {
      ticking = null;
      if (again && !closed) {
        again = false;
        void tick();
      }
    });
    return ticking;
  };

  const timer = setInterval(() => void tick(false), options.pollMs);
  timer.unref();
  const unlisten = await listenForWork(database, node.id, () => void tick());
  void tick();

  return {
    wake: () => void tick(),
    close: async () => {
      closed = true;
      clearInterval(timer);
      await unlisten().catch(() => {});
      await ticking;
    },
  };
}
