// Real graphql-ws clients for the log and metric subscription tests: a client over a real socket
// (the `ws` package), and a subscription whose results are collected as they come.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client of the gateway at `baseUrl` (http://host:port), authenticated with `token`.
 * It connects on the first subscription and never retries: a test sees every close. */
export function wsClient(baseUrl: string, token: string): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazyCloseTimeout: 0,
  });
}

export interface Collected<T> {
  /** Every `data` received, in order. */
  results: T[];
  /** Errors of a `next` (GraphQL errors) or of the sink. */
  errors: { message: string; extensions?: Record<string, unknown> }[];
  /** Resolves when the subscription completes or fails. */
  done: Promise<void>;
  completed(): boolean;
  /** Stops the subscription (the client sends `complete`). */
  stop(): void;
}

/** Subscribes and collects. */
export function collect<T = Record<string, any>>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onData?: (data: T) => void,
): Collected<T> {
  const results: T[] = [];
  const errors: Collected<T>['errors'] = [];
  let finished = false;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const finish = () => {
    finished = true;
    resolve();
  };
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(...(value.errors as Collected<T>['errors']));
        if (value.data) {
          results.push(value.data as T);
          onData?.(value.data as T);
        }
      },
      error: (err) => {
        errors.push({ message: err instanceof Error ? err.message : JSON.stringify(err) });
        finish();
      },
      complete: finish,
    },
  );
  return { results, errors, done, completed: () => finished, stop };
}

export const TAIL_LOGS = `subscription TailLogs($runId: ID!, $after: String, $level: LogLevel, $vertex: String,
    $subtaskIndex: Int, $search: String) {
  logs(runId: $runId, after: $after, level: $level, vertex: $vertex, subtaskIndex: $subtaskIndex,
      search: $search) {
    cursor
    lines { seq at level message vertex subtaskIndex }
  }
}`;

export interface TailBatch {
  logs: {
    cursor: string;
    lines: {
      seq: number;
      level: string;
      message: string;
      vertex: string | null;
      subtaskIndex: number | null;
    }[];
  };
}

/** The seqs of every line received, in order. */
export function seqsOf(results: readonly TailBatch[]): number[] {
  return results.flatMap((r) => r.logs.lines.map((l) => l.seq));
}
