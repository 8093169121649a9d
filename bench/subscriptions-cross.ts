// A log line written by a node, received by subscribers on gateways that did not write it: two
// `jobgate serve --no-node` processes on the same PostgreSQL database, and the bench as a third
// process playing the node, in two ways: one line per appendLogLines statement (as a node's flush
// of a quiet subtask), timed from the statement; and lines handed to a node's LogAppender (its
// defaults), timed from append(), which adds the appender's flush interval. Subscribers (raw graphql-transport-ws clients in their own processes, as in the fan-out
// bench) tail the run with `after: "HEAD"` on gateway A and on gateway B. The line can only travel
// through PostgreSQL: the writer shares no memory with either gateway.
//
//   node --import tsx bench/subscriptions-cross.ts
//   BENCH_CROSS_CLIENTS=20 (per gateway) BENCH_CROSS_RATE=10 (lines/s) BENCH_CROSS_MEASURE_S=20
import { loadavg } from 'node:os';
import { int, sleep } from './runtime-support.ts';
import {
  createIdleRun,
  createAppenderWriter,
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

/** How the bench writes as a node: appendLogLines per line, or a LogAppender. */
export type CrossWriter = 'statement' | 'appender';

export interface CrossOptions {
  writer: CrossWriter;
  clientsPerGateway: number;
  /** Statements (of one line) per second. */
  rate: number;
  measureMs: number;
}

export const defaultCrossOptions = (writer: CrossWriter = 'statement'): CrossOptions => ({
  writer,
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
  let closeWriter = async () => {};
  try {
    const loadStart = loadavg()[0]!;
    progress('cross-gateway: starting two gateways');
    // One after the other: the first migrates, the second finds the schema in place.
    gateways.push(await startGateway({ databaseUrl: bench.url, dataDir: scratchDir() }));
    gateways.push(await startGateway({ databaseUrl: bench.url, dataDir: scratchDir() }));
    const runId = await createIdleRun(database, `cross-${Date.now()}`);
    const writer =
      options.writer === 'statement'
        ? createLogWriter(database, runId)
        : createAppenderWriter(database, runId);
    closeWriter = () => writer.close();
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
    await closeWriter().catch(() => {});
    for (const s of sets) s.kill();
    for (const g of gateways) await g.stop();
    await database.close().catch(() => {});
    await bench.drop();
  }
}

const WRITER_LABEL: Record<CrossWriter, string> = {
  statement: 'one `appendLogLines` statement per line; from send = the statement was sent',
  appender: "a node's `LogAppender` (flush every 100 ms); from send = `append()` was called",
};

export function crossMarkdown(results: CrossResult[]): string {
  const o = results[0]!.options;
  const rows = results.flatMap((r) =>
    r.gateways.map(
      (g) =>
        `| ${WRITER_LABEL[r.options.writer]} | ${g.name} | ${g.subscribed} | ${int(g.result.measured)} / ${int(r.expectedPerGateway)}` +
        `${g.result.gaps || g.result.duplicates || g.result.errors ? ` (${g.result.gaps} gaps, ${g.result.duplicates} dup., ${g.result.errors} errors)` : ''} | ` +
        `${fmt(g.result.fromSend.percentile(50), 1)} / ${fmt(g.result.fromSend.percentile(99), 1)} / ${fmt(g.result.fromSend.max(), 0)} | ` +
        `${g.result.fromCommit.n ? `${fmt(g.result.fromCommit.percentile(50), 1)} / ${fmt(g.result.fromCommit.percentile(99), 1)}` : '–'} | ` +
        `${r.options.writer === 'statement' ? `${fmt(r.statementP50, 1)} / ${fmt(r.statementP99, 1)}` : '–'} | ` +
        `${g.result.fromSend.percentile(99) < 100 ? 'yes' : '**no**'} | ${fmt(r.loadStart, 1)} → ${fmt(r.loadEnd, 1)} |` +
        (r.completed ? '' : ' not every line arrived within 30 s |'),
    ),
  );
  return [
    "### Subscriptions: a node's log line to subscribers on other gateways",
    '',
    `Two \`jobgate serve --no-node --auth off\` processes (A and B) on one PostgreSQL database (fresh ones for ` +
      `each writer); the bench, a third process, plays the node and writes ${o.rate} lines a second into one run, ` +
      `${o.measureMs / 1000} s measured after a warm-up: either one line per \`appendLogLines\` statement, or ` +
      `through a node's \`LogAppender\` with its defaults (what \`jobgate node\` does with a command's output). ` +
      `${o.clientsPerGateway} subscribers per gateway (one client process each, raw graphql-transport-ws as in the ` +
      `fan-out bench) tail the run with \`after: "HEAD"\`. Latency as in the fan-out bench; "from commit" is ` +
      `from the moment the statement's commit returned to the writer. Target: p99 < 100 ms.`,
    '',
    '| writer | gateway | subscribers | lines delivered / expected | from send p50 / p99 / max ms | from commit p50 / p99 ms | statement round trip p50 / p99 ms | p99 < 100 ms | load |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
    ...rows,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  await runMain(async () =>
    crossMarkdown([
      await crossGatewayBench(defaultCrossOptions('statement')),
      await crossGatewayBench(defaultCrossOptions('appender')),
    ]),
  );
}
