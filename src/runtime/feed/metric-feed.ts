// The realtime feed over `metrics_current`: a subscriber of a run gets the newest values of its
// metrics, coalesced, at most once per interval and only when something changed. Subscribers of one
// run share one stream (metric-stream.ts) and its one read per tick; a slow subscriber holds at most
// one value per metric, so memory stays bounded whatever it does.
import type { Database } from '../../db/client.ts';
import type { MetricRow } from '../../db/schema/index.ts';
import type { Logger } from '../../lib/logger.ts';
import { abortableIterable } from './abortable.ts';
import { createRunMetricStream, type MetricSubscriber, type RunMetricStream } from './metric-stream.ts';
import { deferred } from './wait-for-events.ts';

/** The values that changed since the last update (all of them in the first), at `at`. */
export interface MetricUpdate {
  at: Date;
  values: MetricRow[];
}

export interface WatchMetricsOptions {
  /** Only these metric names (default: all). */
  names?: readonly string[];
  /** At most one update per this many ms (default 1,000; raised to the feed's floor). */
  intervalMs?: number;
  signal?: AbortSignal;
}

export interface MetricFeedOptions {
  /** The shortest interval a subscriber may ask for (default 250 ms). */
  minIntervalMs?: number;
  /** See createRunMetricStream (default 5 s). */
  lookbackMs?: number;
  logger?: Logger;
}

export interface MetricFeedStats {
  /** Runs with at least one subscriber (each has one shared stream and one timer). */
  streams: number;
  subscribers: number;
  /** Reads of metrics_current since the feed was created (one per stream per tick). */
  reads: number;
}

export interface MetricFeed {
  /** The shortest interval a subscriber may ask for. */
  readonly minIntervalMs: number;
  /** Updates of a run's metrics until the signal fires or the feed closes; its iterator's
   * `return()` ends it at once, also while it waits. */
  watch(runId: string, options?: WatchMetricsOptions): AsyncIterable<MetricUpdate>;
  stats(): MetricFeedStats;
  close(): Promise<void>;
}

export const DEFAULT_METRIC_INTERVAL_MS = 1_000;

export function createMetricFeed(database: Database, options: MetricFeedOptions = {}): MetricFeed {
  const minIntervalMs = options.minIntervalMs ?? 250;
  const lookbackMs = options.lookbackMs ?? 5_000;
  const streams = new Map<string, RunMetricStream>();
  let closed = false;
  let reads = 0;

  async function* watch(runId: string, watchOptions: WatchMetricsOptions): AsyncGenerator<MetricUpdate> {
    let signalled = deferred<void>();
    const subscriber: MetricSubscriber = {
      names: watchOptions.names ? new Set(watchOptions.names) : undefined,
      intervalMs: Math.max(minIntervalMs, watchOptions.intervalMs ?? DEFAULT_METRIC_INTERVAL_MS),
      pending: new Map(),
      joined: false,
      notify: () => signalled.resolve(),
    };
    let stream = streams.get(runId);
    if (!stream) {
      stream = createRunMetricStream(database, runId, {
        lookbackMs,
        logger: options.logger,
        onRead: () => reads++,
      });
      streams.set(runId, stream);
    }
    const own = stream;
    own.subscribers.add(subscriber);
    const onAbort = () => subscriber.notify();
    const ended = () => closed || watchOptions.signal?.aborted === true;
    watchOptions.signal?.addEventListener('abort', onAbort, { once: true });
    let pause: NodeJS.Timeout | undefined;
    try {
      await own.ready;
      own.join(subscriber);
      let lastSent = 0;
      while (!ended()) {
        const wait = lastSent + subscriber.intervalMs - Date.now();
        if (subscriber.pending.size === 0 || wait > 0) {
          signalled = deferred<void>();
          if (subscriber.pending.size > 0) pause = setTimeout(subscriber.notify, wait);
          await signalled.promise;
          clearTimeout(pause);
          continue;
        }
        const values = [...subscriber.pending.values()];
        subscriber.pending.clear();
        lastSent = Date.now();
        yield { at: new Date(lastSent), values };
      }
    } finally {
      clearTimeout(pause);
      watchOptions.signal?.removeEventListener('abort', onAbort);
      own.leave(subscriber);
      if (own.subscribers.size === 0 && streams.get(runId) === own) {
        streams.delete(runId);
        void own.close();
      }
    }
  }

  return {
    minIntervalMs,
    watch: (runId, watchOptions = {}) =>
      abortableIterable((signal) => watch(runId, { ...watchOptions, signal }), watchOptions.signal),
    stats: () => {
      let subscribers = 0;
      for (const stream of streams.values()) subscribers += stream.subscribers.size;
      return { streams: streams.size, subscribers, reads };
    },
    close: async () => {
      closed = true;
      const all = [...streams.values()];
      streams.clear();
      for (const stream of all) for (const subscriber of stream.subscribers) subscriber.notify();
      await Promise.all(all.map((stream) => stream.close()));
    },
  };
}
