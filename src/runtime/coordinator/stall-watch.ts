// Knowing when this process itself stood still. In embedded mode the gateway, the coordinator and a
// node share one event loop: a request that holds the loop for seconds also holds the node's
// heartbeat timer, and without this watch the coordinator would wake up after the stall, see the
// heartbeat late and declare its own node lost. A timestamp ticker sees the stall (its own timer was
// late by as much) and so does a synchronous check at the moment of a decision (the ticker may not
// have run yet after the stall).
import { performance } from 'node:perf_hooks';

export interface StallWatch {
  /** True while nodes of this process deserve grace: a stall longer than the threshold ended less
   * than `graceMs` ago, or one is being observed right now. */
  inGrace(): boolean;
  /** The longest stall seen so far (ms), for logs and benches. */
  readonly longestStallMs: number;
  stop(): void;
}

const TICK_MS = 50;

export function startStallWatch(options: {
  /** A gap between ticks longer than this (beyond the tick itself) counts as a stall. */
  thresholdMs: number;
  /** How long after a stall the process's own nodes get before they can be judged again. */
  graceMs: number;
  onStall?: (ms: number) => void;
}): StallWatch {
  let last = performance.now();
  let graceUntil = 0;
  let longest = 0;
  const observe = () => {
    const now = performance.now();
    const stall = now - last - TICK_MS;
    if (stall > options.thresholdMs) {
      graceUntil = Math.max(graceUntil, now + options.graceMs);
      longest = Math.max(longest, stall);
      options.onStall?.(stall);
    }
    return now;
  };
  const timer = setInterval(() => {
    last = observe();
  }, TICK_MS);
  timer.unref();
  return {
    inGrace() {
      last = observe();
      return last < graceUntil;
    },
    get longestStallMs() {
      return longest;
    },
    stop: () => clearInterval(timer),
  };
}
