// The parent side of the subscriber processes (ws-subscriber.ts): spreads `total` WebSocket clients
// over `processes` child processes, steps them through subscribe → warm → measure → complete →
// finish over IPC, and merges what they measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHistogram, type Histogram } from './histogram.ts';
import { track } from './processes.ts';
import type { ChildMessage, ClientConfig, ClientResult } from './subscriber-protocol.ts';

const CLIENT = fileURLToPath(new URL('./ws-subscriber.ts', import.meta.url));

/** Raises the soft open-files limit to what is allowed (a WebSocket is a file descriptor), then
 * execs `command`: Node has no setrlimit, so a shell does it. */
export function spawnWithOpenFiles(
  command: string,
  args: string[],
  options: Parameters<typeof spawn>[2],
): ChildProcess {
  const raise = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  return track(spawn('/bin/sh', ['-c', raise, command, ...args], options));
}

export interface SubscriberSet {
  /** The client processes' pids (their CPU is reported too). */
  pids: number[];
  /** With `hold`: resolves once every process has loaded and waits for connect(). */
  loaded: Promise<void>;
  /** With `hold`: every process starts connecting now. */
  connect(): void;
  /** Resolves when every client tried to connect: how many got connection_ack and subscribed, and
   * the longest a process took for its share. */
  subscribed: Promise<{ open: number; errors: number; firstError?: string; ms: number }>;
  /** The first error any client reported, as soon as it happened. */
  failure(): string | undefined;
  /** Resolves when every open client has received a line. */
  warm: Promise<void>;
  /** Resolves true once every open client has received line `seq`, false after `timeoutMs`. */
  reach(seq: number, timeoutMs: number): Promise<boolean>;
  /** Tells every process which seqs are measured; resolves when all have taken it. */
  measure(first: number, last: number): Promise<void>;
  /** Resolves true when every open client has the last measured line, false after `timeoutMs`. */
  complete(timeoutMs: number): Promise<boolean>;
  /** Hands over the commit times, collects and merges the results; the processes then exit. */
  finish(commitAt: number[]): Promise<SubscriberResult>;
  kill(): void;
}

export interface SubscriberResult extends Omit<ClientResult, 'fromSend' | 'fromCommit'> {
  fromSend: Histogram;
  fromCommit: Histogram;
}

/** Waits for one message of `type` from each child. */
function fromEach<T extends ChildMessage['type']>(
  children: ChildProcess[],
  type: T,
): Promise<Extract<ChildMessage, { type: T }>[]> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
          const onMessage = (message: ChildMessage) => {
            if (message.type !== type) return;
            cleanup();
            resolve(message as Extract<ChildMessage, { type: T }>);
          };
          const onExit = (code: number | null) => {
            cleanup();
            reject(new Error(`subscriber process exited (${code}) before '${type}'`));
          };
          const cleanup = () => {
            child.off('message', onMessage);
            child.off('exit', onExit);
          };
          child.on('message', onMessage);
          child.on('exit', onExit);
        }),
    ),
  );
}

export function startSubscribers(options: {
  url: string;
  total: number;
  processes: number;
  runId: string;
  connectionParams?: Record<string, unknown>;
  connectConcurrency?: number;
  /** Processes wait for connect() before opening any connection (default false: they connect as
   * soon as they have loaded). */
  hold?: boolean;
}): SubscriberSet {
  const children: ChildProcess[] = [];
  for (let p = 0; p < options.processes; p++) {
    const clients =
      Math.floor(options.total / options.processes) + (p < options.total % options.processes ? 1 : 0);
    const config: ClientConfig = {
      url: options.url,
      clients,
      runId: options.runId,
      connectionParams: options.connectionParams ?? {},
      connectConcurrency: options.connectConcurrency ?? 50,
      hold: options.hold ?? false,
    };
    children.push(
      spawnWithOpenFiles(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(config)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
  }
  let failure: string | undefined;
  for (const child of children) {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'failed') failure ??= m.error;
    });
  }
  // Listened for before any process could have sent it.
  const loaded = options.hold ? fromEach(children, 'loaded').then(() => undefined) : Promise.resolve();
  loaded.catch(() => {});
  const warm = fromEach(children, 'warm').then(() => undefined);
  warm.catch(() => {}); // observed by whoever awaits it; a crash must not be an unhandled rejection
  const completed = fromEach(children, 'complete');
  completed.catch(() => {});
  return {
    pids: children.map((c) => c.pid!),
    loaded,
    connect() {
      for (const child of children) child.send({ type: 'connect' });
    },
    failure: () => failure,
    subscribed: fromEach(children, 'subscribed').then((all) => ({
      open: all.reduce((n, m) => n + m.open, 0),
      errors: all.reduce((n, m) => n + m.errors, 0),
      firstError: all.find((m) => m.firstError)?.firstError,
      ms: Math.max(...all.map((m) => m.ms)),
    })),
    warm,
    async reach(seq, timeoutMs) {
      const reached = fromEach(children, 'reached');
      reached.catch(() => {});
      for (const child of children) child.send({ type: 'reach', seq });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const ok = await Promise.race([reached.then(() => true as const), timeout]);
      clearTimeout(timer);
      return ok;
    },
    async measure(first, last) {
      const taken = fromEach(children, 'measuring');
      for (const child of children) child.send({ type: 'measure', first, last });
      await taken;
    },
    complete: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        completed.then(
          () => {
            clearTimeout(timer);
            resolve(true);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err as Error);
          },
        );
      }),
    async finish(commitAt) {
      const results = fromEach(children, 'result');
      for (const child of children) child.send({ type: 'finish', commitAt });
      return merge((await results).map((m) => m.result));
    },
    kill() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function merge(results: ClientResult[]): SubscriberResult {
  const fromSend = createHistogram();
  const fromCommit = createHistogram();
  const sum = (key: keyof ClientResult) => results.reduce((n, r) => n + (r[key] as number), 0);
  for (const r of results) {
    fromSend.merge(r.fromSend);
    fromCommit.merge(r.fromCommit);
  }
  return {
    clients: sum('clients'),
    open: sum('open'),
    measured: sum('measured'),
    missing: sum('missing'),
    frames: sum('frames'),
    bytes: sum('bytes'),
    measuredFrames: sum('measuredFrames'),
    measuredBytes: sum('measuredBytes'),
    linesReceived: sum('linesReceived'),
    gaps: sum('gaps'),
    duplicates: sum('duplicates'),
    errors: sum('errors'),
    firstError: results.find((r) => r.firstError)?.firstError,
    unexpectedCloses: sum('unexpectedCloses'),
    fromSend,
    fromCommit,
  };
}
