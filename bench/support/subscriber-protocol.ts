// The messages between the subscription benchmarks and their subscriber processes (ws-subscriber.ts),
// over Node's IPC channel.
import type { HistogramData } from './histogram.ts';

export interface ClientConfig {
  /** ws://host:port/graphql */
  url: string;
  clients: number;
  runId: string;
  /** connection_init payload (e.g. an authorization). */
  connectionParams: Record<string, unknown>;
  /** Connections being opened at once, per process. */
  connectConcurrency: number;
  /** Wait for the parent's `connect` before opening any connection (the parent then knows when
   * connecting starts, and can measure the server idle with every client process loaded). */
  hold: boolean;
}

export type ParentMessage =
  /** Start connecting (sent once, to a process started with `hold`). */
  | { type: 'connect' }
  /** Answered by `reached` once every open client has received the line `seq` (or a later one). */
  | { type: 'reach'; seq: number }
  /** Lines with seq in [first, last] are measured; answered by `measuring`. */
  | { type: 'measure'; first: number; last: number }
  /** Per measured seq (index seq - first): when the writer saw its statement commit. */
  | { type: 'finish'; commitAt: number[] };

export type ChildMessage =
  /** The process has loaded and waits for `connect` (only with `hold`). */
  | { type: 'loaded' }
  /** Every connection was tried; `open` got connection_ack and sent its subscribe, in `ms` from the
   * first connect. */
  | { type: 'subscribed'; open: number; errors: number; firstError?: string; ms: number }
  /** Every open client has received at least one line. */
  | { type: 'warm' }
  /** The first error a client met (sent once; the counts come with the result). */
  | { type: 'failed'; error: string }
  | { type: 'reached' }
  | { type: 'measuring' }
  /** Every open client has received the last measured line. */
  | { type: 'complete' }
  | { type: 'result'; result: ClientResult };

export interface ClientResult {
  clients: number;
  /** Clients still open at the end. */
  open: number;
  /** Measured (client, line) pairs received, and those never received. */
  measured: number;
  missing: number;
  frames: number;
  bytes: number;
  /** Frames that carried at least one measured line, and their bytes. */
  measuredFrames: number;
  measuredBytes: number;
  linesReceived: number;
  /** A line whose seq skipped past the one expected next, or repeated one already seen. */
  gaps: number;
  duplicates: number;
  errors: number;
  firstError?: string;
  unexpectedCloses: number;
  /** Receive time minus the writer's timestamp in the message (taken just before the statement). */
  fromSend: HistogramData;
  /** Receive time minus the time the writer saw its statement commit. */
  fromCommit: HistogramData;
}
