// The node's liveness stamp, sent from a worker thread with a connection of its own, so a request
// that holds the main event loop for seconds cannot make the node look lost to a coordinator in
// another process (see heartbeat-thread.ts for the rules). Plain JavaScript on purpose: a worker
// thread does not inherit the TypeScript loader the process was started with.
//
// workerData: { url, nodeId, intervalMs, maxMainStallMs, clock: SharedArrayBuffer, statuses }
// statuses: { down, ready }, the node statuses from lib/node-status.ts (this file cannot import it).
// clock (BigInt64Array): [0] the main thread's last tick, [1] this thread's last successful stamp,
// both in ms of `performance.timeOrigin + performance.now()` (the same clock in every thread).
// Messages out: ready (first stamp written), failed { message, code }, paused { stallMs }, resumed,
// stopped. Message in: stop.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import postgres from 'postgres';

const { url, nodeId, intervalMs, maxMainStallMs, clock, statuses } = workerData;
const ticks = new BigInt64Array(clock);
const now = () => performance.timeOrigin + performance.now();

// One connection that is never recycled; a statement that hangs is cut after the heartbeat timeout
// would have passed anyway, so a stuck connection shows up as failed stamps, not silence.
const session = postgres(url, {
  max: 1,
  idle_timeout: 0,
  max_lifetime: null,
  connect_timeout: 10,
  onnotice: () => {},
  connection: { application_name: 'jobgate-heartbeat', statement_timeout: Math.max(1_000, 5 * intervalMs) },
});

let stopping = false;
let inFlight = null;
let ready = false;
let paused = false;

const stamp = async () => {
  const mainAge = now() - Number(Atomics.load(ticks, 0));
  if (mainAge > maxMainStallMs) {
    // The main thread has stood still too long to be called alive: withhold the stamp, so a
    // coordinator declares the node lost as it would a dead process.
    if (!paused) parentPort.postMessage({ type: 'paused', stallMs: Math.round(mainAge) });
    paused = true;
    return;
  }
  if (paused) parentPort.postMessage({ type: 'resumed' });
  paused = false;
  try {
    // The same rules as the main thread's heartbeat (worker-node.ts): a node declared DOWN that beats
    // again comes back READY (what it ran was restarted elsewhere and is fenced off), a deregistered
    // node never does, and the stamp is the database's clock when the statement runs.
    await session`
      update nodes set last_heartbeat_at = now(),
        status = case when status = ${statuses.down} then ${statuses.ready} else status end
      where id = ${nodeId}::uuid and deregistered_at is null`;
    Atomics.store(ticks, 1, BigInt(Math.round(now())));
    if (!ready) parentPort.postMessage({ type: 'ready' });
    ready = true;
  } catch (err) {
    if (!stopping) {
      // The message only: a connection error never carries the URL's password, but a whole error
      // object could carry options.
      parentPort.postMessage({ type: 'failed', message: String(err?.message ?? err), code: err?.code });
    }
  }
};

const beat = () => {
  if (stopping || inFlight) return;
  inFlight = stamp().finally(() => (inFlight = null));
};

const timer = setInterval(beat, intervalMs);
beat();

parentPort.on('message', async (message) => {
  if (message?.type !== 'stop' || stopping) return;
  stopping = true;
  clearInterval(timer);
  await inFlight;
  await session.end({ timeout: 1 }).catch(() => {});
  parentPort.postMessage({ type: 'stopped' });
  parentPort.close();
});
