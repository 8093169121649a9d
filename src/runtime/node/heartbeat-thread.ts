// The node's liveness stamp from a worker thread (PostgreSQL only). The main event loop serves
// requests; one that holds it for seconds (a heavy GraphQL query, a big JSON answer) used to hold the
// heartbeat timer too, and a coordinator in another process saw the node silent and declared it lost
// (a 3.8 s gap at a 1 s interval under 16 clients of heavy queries). A thread with a connection of its
// own stamps `last_heartbeat_at` on time whatever the main loop is doing.
//
// It must not keep a hung process alive, though: the main thread ticks a shared timestamp every
// MAIN_TICK_MS, and the thread stamps only while that tick is younger than `maxMainStallMs`. A
// request-induced stall of a few seconds passes unnoticed; a loop that stands still longer stops the
// stamps, and the node is declared lost one heartbeat timeout later, as a dead process would be.
// (PGlite is not served: its database lives on the main thread, so there is nothing to stamp from
// elsewhere.)
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger.ts';
import { NodeStatus } from '../../lib/status.ts';

const MAIN_TICK_MS = 100;
const WORKER_FILE = new URL('./heartbeat-thread-worker.mjs', import.meta.url);

/** One clock for every thread (each thread's performance.now() has its own origin). */
export const sharedClock = () => performance.timeOrigin + performance.now();

export interface HeartbeatThread {
  /** When the thread last wrote a stamp (sharedClock ms); 0 before the first. */
  lastStampAt(): number;
  /** False once the thread died; the caller then heartbeats from the main thread. */
  readonly alive: boolean;
  /** Stops stamping, closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

export interface HeartbeatThreadOptions {
  /** The database URL (it may hold a password: handed to the thread, never logged). */
  url: string;
  nodeId: string;
  intervalMs: number;
  maxMainStallMs: number;
  logger: Logger;
  /** How long the first stamp may take before the thread counts as failed (default 10 s). */
  startTimeoutMs?: number;
}

type ThreadMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'paused'; stallMs: number }
  | { type: 'resumed' }
  | { type: 'stopped' };

/** Starts the thread and waits for its first stamp; null (with a warning) if it cannot start or
 * cannot write, so the caller keeps heartbeating from the main thread. */
export async function startHeartbeatThread(options: HeartbeatThreadOptions): Promise<HeartbeatThread | null> {
  const { logger: log } = options;
  const clock = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  const ticks = new BigInt64Array(clock);
  const tick = () => Atomics.store(ticks, 0, BigInt(Math.round(sharedClock())));
  tick();
  const ticker = setInterval(tick, MAIN_TICK_MS);
  ticker.unref();

  let worker: Worker;
  try {
    worker = new Worker(WORKER_FILE, {
      workerData: {
        url: options.url,
        nodeId: options.nodeId,
        intervalMs: options.intervalMs,
        maxMainStallMs: options.maxMainStallMs,
        clock,
        statuses: { down: NodeStatus.DOWN, ready: NodeStatus.READY },
      },
      // The thread needs no loader: it is plain JavaScript (a tsx loader may not reach workers).
      execArgv: [],
    });
  } catch (err) {
    clearInterval(ticker);
    log.warn({ err: describe(err) }, 'heartbeat thread did not start; heartbeating from the main thread');
    return null;
  }
  worker.unref();

  let alive = true;
  let stopping = false;
  const started = await new Promise<true | string>((resolve) => {
    const timer = setTimeout(() => resolve('no first stamp in time'), options.startTimeoutMs ?? 10_000);
    const done = (outcome: true | string) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(outcome);
    };
    const onMessage = (m: ThreadMessage) => {
      if (m.type === 'ready') done(true);
      else if (m.type === 'failed') done(m.message);
    };
    const onError = (err: Error) => done(err.message);
    const onExit = (code: number) => done(`exited with code ${code}`);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  if (started !== true) {
    clearInterval(ticker);
    worker.postMessage({ type: 'stop' });
    await worker.terminate().catch(() => {});
    log.warn({ reason: started }, 'heartbeat thread failed to start; heartbeating from the main thread');
    return null;
  }

  worker.on('message', (m: ThreadMessage) => {
    if (m.type === 'failed') log.warn({ reason: m.message, code: m.code }, 'heartbeat thread: stamp failed');
    else if (m.type === 'paused')
      log.warn(
        { stallMs: m.stallMs, maxMainStallMs: options.maxMainStallMs },
        'the main thread stood still too long: heartbeat stamps withheld until it runs again',
      );
    else if (m.type === 'resumed') log.info('the main thread runs again: heartbeat stamps resumed');
  });
  worker.on('error', (err) => {
    alive = false;
    log.warn({ err: describe(err) }, 'heartbeat thread failed; heartbeating from the main thread');
  });
  worker.on('exit', (code) => {
    alive = false;
    if (!stopping) log.warn({ code }, 'heartbeat thread ended; heartbeating from the main thread');
  });

  return {
    lastStampAt: () => Number(Atomics.load(ticks, 1)),
    get alive() {
      return alive;
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      clearInterval(ticker);
      if (alive) {
        const stopped = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3_000);
          worker.on('message', (m: ThreadMessage) => {
            if (m.type === 'stopped') {
              clearTimeout(timer);
              resolve();
            }
          });
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        worker.postMessage({ type: 'stop' });
        await stopped;
      }
      await worker.terminate().catch(() => {});
    },
  };
}

/** An error's message and name only: a thread's error could echo its workerData (the URL). */
function describe(err: unknown): { name?: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
}
