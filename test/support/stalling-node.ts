// A worker node in a child process whose main event loop a test can block: started with
// `node --import tsx test/support/stalling-node.ts`, it registers a node (no coordinator) on the
// PostgreSQL database of STALL_DATABASE_URL and prints `node <id>`; each stdin line `stall <ms>`
// busy-loops the main thread that long (as a heavy request would) and then prints `stalled <ms>`.
// STALL_CLUSTER, STALL_HEARTBEAT_THREAD=0 (main-thread heartbeat), STALL_MAX_STALL_MS,
// STALL_INTERVAL_MS (200), STALL_TIMEOUT_MS (1000).
import { createInterface } from 'node:readline';
import { createDatabase } from '../../src/db/client.ts';
import { safeBaseEnv, startRuntime } from '../../src/runtime/index.ts';
import { pino } from 'pino';
import { testSecrets } from './secrets.ts';

const env = process.env;
// Warnings to stderr, where the test shows them when something fails.
const logger = pino({ level: 'warn' }, pino.destination(2));
const database = await createDatabase({ url: env.STALL_DATABASE_URL!, maxConnections: 3 });
const runtime = await startRuntime({
  database,
  logger,
  cluster: env.STALL_CLUSTER ?? 'stall',
  node: { slots: 1, tags: {}, name: `stalling-${process.pid}` },
  coordinator: false,
  heartbeatIntervalMs: Number(env.STALL_INTERVAL_MS ?? 200),
  heartbeatTimeoutMs: Number(env.STALL_TIMEOUT_MS ?? 1000),
  heartbeatThread: env.STALL_HEARTBEAT_THREAD !== '0',
  heartbeatMaxStallMs: env.STALL_MAX_STALL_MS ? Number(env.STALL_MAX_STALL_MS) : undefined,
  commandsEnabled: false,
  commandEnv: safeBaseEnv(process.env),
  secrets: testSecrets,
  pollMs: 100,
});
// Ready once the stamps come from where the test expects them.
const source = env.STALL_HEARTBEAT_THREAD === '0' ? 'main' : 'thread';
while (runtime.node!.heartbeatSource !== source) await new Promise((r) => setTimeout(r, 20));
console.log(`node ${runtime.node!.id}`);

const stop = async () => {
  await runtime.stop();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());

for await (const line of createInterface({ input: process.stdin })) {
  const match = /^stall (\d+)$/.exec(line.trim());
  if (!match) continue;
  const ms = Number(match[1]);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Holding the event loop, as a request that computes a huge answer does.
  }
  console.log(`stalled ${ms}`);
}
