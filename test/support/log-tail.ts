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

/** A graphql-ws subscriber on a raw `ws` socket, so a test can stop reading it (pause the socket):
 * a dashboard on a stalled network, as the server sees it. */
export interface RawLogSubscriber {
  /** Seqs received, in order. */
  seqs: number[];
  /** The cursor of the last batch received. */
  cursor(): string | undefined;
  completed(): boolean;
  errors: unknown[];
  /** The close code when the socket closed. */
  closedWith(): number | undefined;
  /** Stops reading the socket: the kernel buffers fill and the server's sends stop completing. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function rawLogSubscriber(
  baseUrl: string,
  token: string,
  variables: Record<string, unknown>,
): Promise<RawLogSubscriber> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const seqs: number[] = [];
  const errors: unknown[] = [];
  let cursor: string | undefined;
  let completed = false;
  let closeCode: number | undefined;
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  ws.on('message', (raw) => {
    const message = JSON.parse(String(raw)) as { type: string; payload?: any };
    if (message.type === 'connection_ack') acked();
    else if (message.type === 'next') {
      if (message.payload.errors) errors.push(...message.payload.errors);
      const batch = (message.payload.data as TailBatch | undefined)?.logs;
      if (batch) {
        for (const line of batch.lines) seqs.push(line.seq);
        cursor = batch.cursor;
      }
    } else if (message.type === 'complete') completed = true;
    else if (message.type === 'error') errors.push(message.payload);
  });
  ws.on('close', (code, reason) => {
    closeCode = code;
    if (code !== 1000 && code !== 1005) errors.push({ message: `closed ${code} ${String(reason)}` });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await ack;
  ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TAIL_LOGS, variables } }));
  // ws keeps its net.Socket in a private field; pausing it is what a client that stops reading does.
  const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return {
    seqs,
    errors,
    cursor: () => cursor,
    completed: () => completed,
    closedWith: () => closeCode,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.terminate();
      await closed;
    },
  };
}
