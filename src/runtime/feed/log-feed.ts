// The realtime feed over `log_lines`. Rows are the truth, a NOTIFY on LOGS_CHANNEL (sent by the
// append statement, payload the run id) is only a wake-up, and one poll tick while anyone listens is
// the guarantee. Subscribers of one run share one stream (log-stream.ts): each wake-up costs one
// read for all of them. The cursor is a line's seq, the same one the `logLines` query pages by, so a
// client can take it from either to the other and to any gateway.
import type { Database } from '../../db/client.ts';
import { offerDirectDelivery, type Deliver } from '../../lib/direct-delivery.ts';
import type { Logger } from '../../lib/logger.ts';
import { withDefaults } from '../../lib/with-defaults.ts';
import { LOGS_CHANNEL } from '../channels.ts';
import { abortableIterable } from './abortable.ts';
import type { LogFilter } from './log-filter.ts';
import { createRunLogStream, type RunLogStream } from './log-stream.ts';
import { subscribeLogs, type LogBatch, type SubscribeLogsOptions } from './subscribe-logs.ts';

export type { LogBatch, SubscribeLogsOptions } from './subscribe-logs.ts';
export type { FeedLogLine, LogFilter } from './log-filter.ts';

export interface LogFeedOptions {
  /** How often each listened-to run is read, NOTIFY or not (default 1 s). */
  pollMs?: number;
  /** Lines per read and the most lines in one batch (default 500). */
  pageSize?: number;
  /** Lines a subscriber may leave unread before it is paused; it then re-reads from its cursor, so
   * memory stays bounded and nothing is lost (default 2,000). */
  maxBuffered?: number;
  /** How long a run must have ended before its log stream completes (default 2 s). */
  settleMs?: number;
  logger?: Logger;
}

/** What the feed holds right now (tests and /metrics read it). */
export interface LogFeedStats {
  /** Runs with at least one subscriber (each has one shared stream). */
  streams: number;
  subscribers: number;
  /** Subscribers that joined their run's shared read (the others are starting). */
  joined: number;
  /** 1 while the poll timer runs, else 0. */
  timers: number;
  /** Whether the feed LISTENs on LOGS_CHANNEL. */
  listening: boolean;
  /** The most lines any subscriber has had queued since the feed was created (≤ maxBuffered). */
  peakBuffered: number;
  /** How often a subscriber fell maxBuffered lines behind and was paused to catch up from its
   * cursor, since the feed was created. */
  pauses: number;
  /** Subscribers whose batches the stream hands their consumer directly right now
   * (subscribe-logs.ts). */
  direct: number;
  /** How often a consumer refused a batch handed to it directly (its socket was full, or the
   * batch's result had errors to mask) and its subscriber went back to its queue, since the feed
   * was created. */
  refusals: number;
}

export interface LogFeed {
  /** Every line of `runId` matching `filter` after seq `fromSeq`, in batches: the history in
   * pages, then live lines. Its iterator's `return()` ends it at once, also while it waits.
   * Completes when the run has ended and every line was sent, when the run
   * is deleted, when the feed closes, or when the signal fires. It offers direct delivery of its
   * live batches (lib/direct-delivery.ts). */
  subscribe(
    runId: string,
    filter: LogFilter,
    fromSeq: number,
    options?: SubscribeLogsOptions,
  ): AsyncIterable<LogBatch>;
  /**
   * Where `after: "HEAD"` can start for a run this process already reads for other subscribers,
   * without a read of its own: the seq through which that shared read has offered every line, when
   * a read found the run at most 2 × pollMs ago (the stream reads on every NOTIFY and at least every
   * pollMs); undefined otherwise (then ask the database). A reconnect storm of N subscribers of one
   * run then costs one run lookup, not N.
   */
  knownHead(runId: string): number | undefined;
  stats(): LogFeedStats;
  /** Ends every subscription; the feed stops listening. */
  close(): Promise<void>;
}

const DEFAULTS = { pollMs: 1_000, pageSize: 500, maxBuffered: 2_000, settleMs: 2_000 };

/** A feed holds nothing (no timer, no LISTEN) while nobody subscribes. */
export function createLogFeed(database: Database, options: LogFeedOptions = {}): LogFeed {
  const settings = withDefaults<typeof DEFAULTS & { logger?: Logger }>(DEFAULTS, options);
  const streams = new Map<string, RunLogStream>();
  let listening: Promise<() => Promise<void>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let peakBuffered = 0;
  let pauses = 0;
  let refusals = 0;
  let closed = false;

  const startListening = () => {
    const current = database.listen(LOGS_CHANNEL, (runId) => streams.get(runId)?.wake());
    // A failed LISTEN is retried by the next stream; the poll still delivers meanwhile.
    current.catch((err: unknown) => {
      if (listening === current) listening = undefined;
      settings.logger?.warn({ err }, 'log feed could not listen; polling only');
    });
    return current;
  };

  const stopIfIdle = () => {
    if (streams.size > 0) return;
    clearInterval(timer);
    timer = undefined;
    const current = listening;
    listening = undefined;
    void current?.then((unlisten) => unlisten()).catch(() => {});
  };

  const streamFor = (runId: string): RunLogStream => {
    const existing = streams.get(runId);
    if (existing) return existing;
    listening ??= startListening();
    timer ??= setInterval(() => {
      for (const stream of streams.values()) stream.wake();
    }, settings.pollMs);
    timer.unref();
    const stream = createRunLogStream(database, runId, {
      ...settings,
      listening: listening.catch(() => {}),
      onQueued: (length) => (peakBuffered = Math.max(peakBuffered, length)),
      onPaused: () => pauses++,
      onRefused: () => refusals++,
    });
    streams.set(runId, stream);
    return stream;
  };

  const lease = (runId: string) => {
    const stream = streamFor(runId);
    return {
      stream,
      closed: () => closed,
      release: () => {
        if (stream.subscribers.size > 0 || streams.get(runId) !== stream) return;
        streams.delete(runId);
        void stream.close();
        stopIfIdle();
      },
    };
  };

  return {
    subscribe: (runId, filter, fromSeq, subscribeOptions = {}) => {
      let deliver: Deliver<LogBatch> | undefined;
      return offerDirectDelivery(
        abortableIterable(
          (signal) =>
            subscribeLogs(database, () => lease(runId), filter, fromSeq, {
              signal,
              pageSize: settings.pageSize,
              deliver,
            }),
          subscribeOptions.signal,
        ),
        (accepted: Deliver<LogBatch>) => (deliver = accepted),
      );
    },
    knownHead: (runId) => {
      const stream = streams.get(runId);
      const foundAt = stream?.foundAt;
      if (closed || !stream || foundAt === undefined || stream.gone || stream.ended) return undefined;
      return Date.now() - foundAt <= 2 * settings.pollMs ? stream.delivered : undefined;
    },
    stats: () => {
      let subscribers = 0;
      let joined = 0;
      let direct = 0;
      for (const stream of streams.values()) {
        subscribers += stream.subscribers.size;
        for (const subscriber of stream.subscribers) {
          if (!subscriber.joining) joined++;
          if (subscriber.direct) direct++;
        }
      }
      return {
        streams: streams.size,
        subscribers,
        joined,
        timers: timer ? 1 : 0,
        listening: listening !== undefined,
        peakBuffered,
        pauses,
        direct,
        refusals,
      };
    },
    close: async () => {
      closed = true;
      const all = [...streams.values()];
      streams.clear();
      await Promise.all(all.map((stream) => stream.close()));
      stopIfIdle();
    },
  };
}
