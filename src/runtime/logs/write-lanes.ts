// The LogAppender's writers: a few lanes, each writing its share of a flush's runs as one statement,
// one statement after the other. Lanes run side by side and do not wait for each other, so one slow
// statement holds back only its own lane (flushes chained as a whole ran at 53% of a bare COPY with
// four runs, one statement per flush alone at less; see bench/runtime-logs.ts).
import type { LogLineInput, RunLogLines } from '../sql/append-log-lines.ts';

interface Lane {
  tail: Promise<void>;
  /** Lines handed to this lane and not yet written. */
  queued: number;
}

export interface WriteLanes {
  /** Queues a flush: each run's lines go to the lane that still writes that run, or else to the
   * least busy lane, so a run's batches are written in the order they were queued. Resolves once
   * everything queued so far is written. */
  write(batch: Map<string, LogLineInput[]>): Promise<void>;
}

/** `writeShare` handles its own errors: a rejection would stop its lane. */
export function createWriteLanes(
  count: number,
  writeShare: (share: RunLogLines[]) => Promise<void>,
): WriteLanes {
  const lanes: Lane[] = Array.from({ length: Math.max(1, count) }, () => ({
    tail: Promise.resolve(),
    queued: 0,
  }));
  /** Runs with batches queued or being written, and their lane. */
  const busy = new Map<string, { lane: Lane; batches: number }>();

  return {
    write(batch) {
      const shares = new Map<Lane, RunLogLines[]>();
      for (const [runId, lines] of [...batch].sort((a, b) => b[1].length - a[1].length)) {
        let entry = busy.get(runId);
        if (!entry) {
          const lane = lanes.reduce((a, b) => (b.queued < a.queued ? b : a));
          busy.set(runId, (entry = { lane, batches: 0 }));
        }
        entry.batches++;
        entry.lane.queued += lines.length;
        const share = shares.get(entry.lane);
        if (share) share.push({ runId, lines });
        else shares.set(entry.lane, [{ runId, lines }]);
      }
      for (const [lane, share] of shares) {
        lane.tail = lane.tail.then(async () => {
          try {
            await writeShare(share);
          } finally {
            for (const { runId, lines } of share) {
              lane.queued -= lines.length;
              const entry = busy.get(runId)!;
              if (--entry.batches === 0) busy.delete(runId);
            }
          }
        });
      }
      return Promise.all(lanes.map((l) => l.tail)).then(() => {});
    },
  };
}
