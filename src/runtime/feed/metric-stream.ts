// The one reader of a run's current metrics on this process, shared by every subscriber of the
// run: one read per tick (at the shortest interval any subscriber asked for) whoever listens. It
// keeps the newest value of each metric and hands each subscriber the ones that changed, coalesced
// by key: a subscriber holds at most one pending value per metric, however slowly it reads.
import type { Database } from '../../db/client.ts';
import type { MetricRow } from '../../db/schema/index.ts';
import { coerceError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { readRunMetrics } from './read-metrics.ts';

export interface MetricSubscriber {
  /** Only these names (all when undefined). */
  names?: ReadonlySet<string>;
  intervalMs: number;
  /** Changed values not yet sent, newest per metric. */
  pending: Map<string, MetricRow>;
  /** Set once it took the stream's snapshot; changes are offered from then on. */
  joined: boolean;
  notify(): void;
}

export interface RunMetricStream {
  readonly runId: string;
  readonly subscribers: Set<MetricSubscriber>;
  /** Resolves after the first read (the snapshot). */
  readonly ready: Promise<void>;
  /** Adds a subscriber with the stream's newest values as its first pending batch. */
  join(subscriber: MetricSubscriber): void;
  /** Removes a subscriber; the tick follows the shortest interval of those left. */
  leave(subscriber: MetricSubscriber): void;
  close(): Promise<void>;
}

/** A metric's identity in a run: its scope instance and its name. */
const metricId = (row: MetricRow) => `${row.key}\u0000${row.name}`;

export function createRunMetricStream(
  database: Database,
  runId: string,
  options: {
    /** How far back each read looks before the newest `at` it saw: a write whose transaction
     * began earlier but committed later still has an `at` inside this window. */
    lookbackMs: number;
    logger?: Logger;
    /** Called before each read (the feed counts them). */
    onRead(): void;
  },
): RunMetricStream {
  const subscribers = new Set<MetricSubscriber>();
  const newest = new Map<string, MetricRow>();
  let newestAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let tickMs = 0;
  let reading: Promise<void> | undefined;
  let closed = false;

  const wants = (subscriber: MetricSubscriber, row: MetricRow) =>
    subscriber.names === undefined || subscriber.names.has(row.name);

  const read = async () => {
    options.onRead();
    const rows = await readRunMetrics(database, runId, newestAt === 0 ? 0 : newestAt - options.lookbackMs);
    if (closed) return;
    const woken = new Set<MetricSubscriber>();
    for (const row of rows) {
      newestAt = Math.max(newestAt, row.at.getTime());
      const id = metricId(row);
      const before = newest.get(id);
      newest.set(id, row);
      if (before && before.value === row.value) continue;
      for (const subscriber of subscribers) {
        if (!subscriber.joined || !wants(subscriber, row)) continue;
        subscriber.pending.set(id, row);
        woken.add(subscriber);
      }
    }
    for (const subscriber of woken) subscriber.notify();
  };

  const tick = () => {
    if (reading || closed) return;
    reading = read()
      .catch((err: unknown) =>
        options.logger?.warn({ err: coerceError(err), runId }, 'metric feed read failed'),
      )
      .finally(() => (reading = undefined));
  };

  /** One timer per stream, at the shortest interval asked for; none without subscribers. */
  const retime = () => {
    const shortest = Math.min(...[...subscribers].map((s) => s.intervalMs));
    if (subscribers.size > 0 && shortest === tickMs && timer) return;
    clearInterval(timer);
    timer = undefined;
    tickMs = 0;
    if (subscribers.size === 0 || closed) return;
    tickMs = shortest;
    timer = setInterval(tick, tickMs);
    timer.unref();
  };

  const ready = read();

  return {
    runId,
    subscribers,
    ready,
    join: (subscriber) => {
      for (const [id, row] of newest) if (wants(subscriber, row)) subscriber.pending.set(id, row);
      subscriber.joined = true;
      subscribers.add(subscriber);
      retime();
    },
    leave: (subscriber) => {
      subscribers.delete(subscriber);
      retime();
    },
    close: async () => {
      closed = true;
      subscribers.clear();
      retime();
      await Promise.allSettled([ready, reading]);
    },
  };
}
