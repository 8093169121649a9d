// A log line written by a node, received by subscribers on gateways that did not write it: two
// `jobgate serve --no-node` processes on the same PostgreSQL database, and the bench as a third
// process playing the node (appendLogLines, one line per statement, as a node's flush of a quiet
// subtask). Subscribers (raw graphql-transport-ws clients in their own processes, as in the fan-out
// bench) tail the run with `after: "HEAD"` on gateway A and on gateway B. The line can only travel
// through PostgreSQL: the writer shares no memory with either gateway.
//
//   node --import tsx bench/subscriptions-cross.ts
//   BENCH_CROSS_CLIENTS=20 (per gateway) BENCH_CROSS_RATE=10 (lines/s) BENCH_CROSS_MEASURE_S=20
import { loadavg } from 'node:os';
import { int, sleep } from './runtime-support.ts';
import {
  createIdleRun,
  createLogWriter,
  num,
  percentileOf,
  scratchDir,
  startGateway,
  writeSteadily,
  type Gateway,
  type WrittenBatch,
} from './subscriptions-support.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createMigratedBenchDatabase } from './support/runtime-env.ts';
import { startSubscribers, type SubscriberResult, type SubscriberSet } from './support/subscribers.ts';

export interface CrossOptions {
  clientsPerGateway: number;
  /** Statements (of one line) per second. */
  rate: number;
  measureMs: number;
}

export const defaultCrossOptions = (): CrossOptions => ({
  clientsPerGateway: num('BENCH_CROSS_CLIENTS', 20),
  rate: num('BENCH_CROSS_RATE', 10),
  measureMs: num('BENCH_CROSS_MEASURE_S', 20) * 1000,
});

export interface CrossResult {
  options: CrossOptions;
  gateways: { name: string; subscribed: number; result: SubscriberResult }[];
  expectedPerGateway: number;
  completed: boolean;
  statementP50: number;
  statementP99: number;
  loadStart: number;
  loadEnd: number;
}

export async function crossGatewayBench(options: CrossOptions = defaultCrossOptions()): Promise<CrossResult> {
  const { bench, database } = await createMigratedBenchDatabase('subx', { maxConnections: 1 });
  const gateways: Gateway[] = [];
  const sets: SubscriberSet[] = [];
  try {
    const loadStart = loadavg()[0]!;
    progress('cross-gateway: starting two gateways');
    // One after the other: the first migrates, the second finds the schema in place.
    gateways.push(await startGateway({ databaseUrl: bench.url, dataDir: scratchDir() }));
    gateways.push(await startGateway({ databaseUrl: bench.url, dataDir: scratchDir() }));
    const runId = await createIdleRun(database, `cross-${Date.now()}`);
    const writer = createLogWriter(database, runId);
    for (const gateway of gateways) {
      sets.push(
        startSubscribers({ url: gateway.wsUrl, total: options.clientsPerGateway, processes: 1, runId }),
      );
    }
    const subscribed = await Promise.all(sets.map((s) => s.subscribed));
    for (const [i, s] of subscribed.entries()) {
      if (s.open < options.clientsPerGateway)
        throw new Error(`gateway ${i ? 'B' : 'A'}: ${s.open} subscribed (${s.firstError ?? 'no error'})`);
    }
    progress('cross-gateway: subscribed; warming up');
    let warm = false;
    Promise.all(sets.map((s) => s.warm)).then(
      () => (warm = true),
      () => {},
    );
    const warmStart = performance.now();
    await writeSteadily(
      writer,
      {
        intervalMs: 1000 / options.rate,
        batch: 1,
        until: () =>
          sets.some((s) => s.failure()) ||
          (warm && performance.now() - warmStart > 2000) ||
          performance.now() - warmStart > 60_000,
      },
      () => {},
    );
    const failed = sets.map((s) => s.failure()).find(Boolean);
    if (failed) throw new Error(`a client failed: ${failed}`);
    if (!warm) throw new Error('not every client received a warm-up line within 60 s');
    await sleep(500);
    const statements = Math.round((options.measureMs / 1000) * options.rate);
    const first = writer.nextSeq;
    const last = first + statements - 1;
    await Promise.all(sets.map((s) => s.measure(first, last)));
    progress(`cross-gateway: measuring ${int(statements)} lines`);
    const batches: WrittenBatch[] = [];
    await writeSteadily(
      writer,
      { intervalMs: 1000 / options.rate, batch: 1, until: (w) => w >= statements },
      (b) => batches.push(b),
    );
    const completed = (await Promise.all(sets.map((s) => s.complete(30_000)))).every(Boolean);
    const commitAt = batches.map((b) => b.commitAt);
    const results = await Promise.all(sets.map((s) => s.finish(commitAt)));
    const trips = batches.map((b) => b.commitAt - b.sentAt);
    return {
      options,
      gateways: results.map((result, i) => ({
        name: i ? 'B' : 'A',
        subscribed: subscribed[i]!.open,
        result,
      })),
      expectedPerGateway: statements * options.clientsPerGateway,
      completed,
      statementP50: percentileOf(trips, 50),
      statementP99: percentileOf(trips, 99),
      loadStart,
      loadEnd: loadavg()[0]!,
    };
  } finally {
    for (const s of sets) s.kill();
    for (const g of gateways) await g.stop();
    await database.close().catch(() => {});
    await bench.drop();
  }
}

export function crossMarkdown(r: CrossResult): string {
  const o = r.options;
  return [
    "### Subscriptions: a node's log line to subscribers on other gateways",
    '',
    `Two \`jobgate serve --no-node --auth off\` processes (A and B) on one PostgreSQL database; the bench, a ` +
      `third process, plays the node: one line per \`appendLogLines\` statement, ${o.rate} a second, ` +
      `${o.measureMs / 1000} s measured after a warm-up. ${o.clientsPerGateway} subscribers per gateway (one client ` +
      `process each, raw graphql-transport-ws as in the fan-out bench) tail the run with \`after: "HEAD"\`. ` +
      `Latency as in the fan-out bench: receive time minus the writer's timestamp taken before it sent the ` +
      `statement, and minus the time its commit returned (statement round trip p50 ${fmt(r.statementP50, 1)} ms, ` +
      `p99 ${fmt(r.statementP99, 1)} ms). Load average ${fmt(r.loadStart, 1)} → ${fmt(r.loadEnd, 1)}. Target: p99 < 100 ms.`,
    '',
    '| gateway | subscribers | lines delivered / expected | from send p50 / p99 / max ms | from commit p50 / p99 ms | p99 < 100 ms |',
    '|---|---:|---:|---:|---:|---|',
    ...r.gateways.map(
      (g) =>
        `| ${g.name} | ${g.subscribed} | ${int(g.result.measured)} / ${int(r.expectedPerGateway)}` +
        `${g.result.gaps || g.result.duplicates || g.result.errors ? ` (${g.result.gaps} gaps, ${g.result.duplicates} dup., ${g.result.errors} errors)` : ''} | ` +
        `${fmt(g.result.fromSend.percentile(50), 1)} / ${fmt(g.result.fromSend.percentile(99), 1)} / ${fmt(g.result.fromSend.max(), 0)} | ` +
        `${fmt(g.result.fromCommit.percentile(50), 1)} / ${fmt(g.result.fromCommit.percentile(99), 1)} | ` +
        `${g.result.fromSend.percentile(99) < 100 ? 'yes' : '**no**'} |`,
    ),
    ...(r.completed ? [] : ['', '**Not every subscriber had every line 30 s after the last statement.**']),
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(async () => crossMarkdown(await crossGatewayBench()));
