// Fan-out of one log stream to many WebSocket subscribers on ONE gateway: N clients (1,000, 5,000,
// 10,000 by default) in separate processes, each subscribed to `logs(runId, after: "HEAD")` of the
// same run, while the bench, playing a node, appends lines to that run at a steady rate. Per N,
// jobgate (a real `jobgate serve --no-node` child on PostgreSQL) side by side with the ceiling: a bare
// `ws` broadcast process (support/ws-broadcast.ts) fed the same lines by the same writer after each
// commit, to the same clients. Cases alternate (jobgate first, then the baseline, then the other
// way round) so neither gets the better part of a shared machine.
//
//   node --import tsx bench/subscriptions-fanout.ts
//   BENCH_SUB_N=1000,5000,10000 BENCH_SUB_PROCS=4 BENCH_SUB_RATE=2 (statements/s) BENCH_SUB_BATCH=5
//   BENCH_SUB_MEASURE_S=15 BENCH_SUB_WARMUP_S=3 BENCH_SUB_SERVERS=jobgate,ws
import { loadavg } from 'node:os';
import type { Database } from '../src/db/client.ts';
import { int, sleep } from './runtime-support.ts';
import {
  backendPids,
  createIdleRun,
  createLogWriter,
  num,
  percentileOf,
  scratchDir,
  writeSteadily,
  type LogWriter,
  type WrittenBatch,
} from './subscriptions-support.ts';
import { startFanoutServer, type FanoutServer, type ServerKind } from './support/fanout-servers.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import {
  cpuSeconds,
  cpuSecondsOf,
  cpuSecondsSince,
  cpuSnapshot,
  peakRssMb,
  rssMb,
} from './support/proc-stat.ts';
import { createMigratedBenchDatabase } from './support/runtime-env.ts';
import { startSubscribers, type SubscriberResult, type SubscriberSet } from './support/subscribers.ts';

export interface FanoutOptions {
  counts: number[];
  servers: ServerKind[];
  processes: number;
  /** Statements per second, and lines per statement. */
  rate: number;
  batch: number;
  measureMs: number;
  warmupMs: number;
}

export const defaultFanoutOptions = (): FanoutOptions => ({
  counts: (process.env.BENCH_SUB_N ?? '1000,5000,10000')
    .split(',')
    .map(Number)
    .filter((n) => n > 0),
  servers: (process.env.BENCH_SUB_SERVERS ?? 'jobgate,ws').split(',') as ServerKind[],
  processes: num('BENCH_SUB_PROCS', 4),
  rate: num('BENCH_SUB_RATE', 2),
  batch: num('BENCH_SUB_BATCH', 5),
  measureMs: num('BENCH_SUB_MEASURE_S', 15) * 1000,
  warmupMs: num('BENCH_SUB_WARMUP_S', 3) * 1000,
});

export interface FanoutCase {
  server: ServerKind;
  n: number;
  /** What went wrong, when the case could not be measured to the end. */
  failure?: string;
  subscribed: number;
  /** From `connect` until every client had its connection_ack and had sent its subscribe. */
  subscribeMs: number;
  /** From `connect` until every client had received a line (its subscription was live: the writer
   * writes from the last ack on, every 1/rate s). */
  liveMs: number;
  /** CPU of the server, and of the client processes, from `connect` until every client was live. */
  connectServerCpuS: number;
  connectClientCpuS: number;
  /** The load average when connecting started. */
  connectLoad: number;
  /** From the last warm-up statement until every client had its lines. */
  warmupBacklogMs: number;
  expectedLines: number;
  result?: SubscriberResult;
  /** The measured window: first measured statement sent → last client has the last line. */
  windowS: number;
  completed: boolean;
  serverCpuS: number;
  serverIdleCpuPct: number;
  /** CPU of PostgreSQL's client backends serving the server (the writer's own excluded). */
  pgCpuS: number;
  clientCpuS: number;
  rssIdleMb: number;
  rssSubscribedMb: number;
  rssEndMb: number;
  rssPeakMb: number;
  /** appendLogLines round trips of the measured statements, ms. */
  statementP50: number;
  statementP99: number;
  loadStart: number;
  loadEnd: number;
}

/** A case with nothing measured yet. */
function emptyCase(server: ServerKind, n: number): FanoutCase {
  return {
    server,
    n,
    subscribed: 0,
    subscribeMs: NaN,
    liveMs: NaN,
    connectServerCpuS: NaN,
    connectClientCpuS: NaN,
    connectLoad: NaN,
    warmupBacklogMs: NaN,
    expectedLines: 0,
    windowS: NaN,
    completed: false,
    serverCpuS: NaN,
    serverIdleCpuPct: NaN,
    pgCpuS: NaN,
    clientCpuS: NaN,
    rssIdleMb: NaN,
    rssSubscribedMb: NaN,
    rssEndMb: NaN,
    rssPeakMb: NaN,
    statementP50: NaN,
    statementP99: NaN,
    loadStart: loadavg()[0]!,
    loadEnd: NaN,
  };
}

interface Phase {
  c: FanoutCase;
  server: FanoutServer;
  subscribers: SubscriberSet;
  writer: LogWriter;
  options: FanoutOptions;
}

/** The server's CPU and memory before any client connected (they are still loading their code). */
async function measureIdle({ c, server }: Phase): Promise<void> {
  await sleep(1000);
  const idle0 = cpuSeconds(server.pid);
  await sleep(2000);
  c.serverIdleCpuPct = ((cpuSeconds(server.pid) - idle0) / 2) * 100;
  c.rssIdleMb = rssMb(server.pid);
}

/** Every client subscribed, a line reached each (and warmupMs passed), and nothing is in flight. */
async function subscribeAndWarm({ c, server, subscribers, writer, options }: Phase): Promise<void> {
  const label = `fan-out ${c.server}, ${int(c.n)}`;
  progress(`${label}: connecting`);
  c.connectLoad = loadavg()[0]!;
  const connectStart = performance.now();
  const cpu0 = { server: cpuSeconds(server.pid), clients: cpuSecondsOf(subscribers.pids) };
  subscribers.connect();
  let warm = false;
  subscribers.warm.then(
    () => {
      warm = true;
      c.liveMs = performance.now() - connectStart;
      c.connectServerCpuS = cpuSeconds(server.pid) - cpu0.server;
      c.connectClientCpuS = cpuSecondsOf(subscribers.pids) - cpu0.clients;
    },
    () => {},
  );
  const subscribed = await subscribers.subscribed;
  c.subscribeMs = performance.now() - connectStart;
  c.subscribed = subscribed.open;
  if (subscribed.open < c.n) {
    progress(`${label}: only ${subscribed.open} subscribed (${subscribed.firstError ?? 'no error'})`);
  }
  if (subscribed.open === 0) throw new Error(`no client subscribed: ${subscribed.firstError}`);
  progress(`${label}: ${int(subscribed.open)} subscribed in ${int(c.subscribeMs)} ms; warming up`);
  const warmStart = performance.now();
  const elapsed = () => performance.now() - warmStart;
  await writeSteadily(
    writer,
    {
      intervalMs: 1000 / options.rate,
      batch: options.batch,
      until: () =>
        Boolean(subscribers.failure()) || (warm && elapsed() >= options.warmupMs) || elapsed() > 90_000,
    },
    (b) => server.onBatch(b),
  );
  if (subscribers.failure()) throw new Error(`a client failed: ${subscribers.failure()}`);
  if (!warm) throw new Error('not every client received a warm-up line within 90 s');
  progress(
    `${label}: every client live ${int(c.liveMs)} ms after connecting started; server CPU ` +
      `${us(c.connectServerCpuS, c.subscribed)} µs per subscriber`,
  );
  // The window opens on a server that has delivered everything so far (no backlog carried in).
  const drainStart = performance.now();
  if (!(await subscribers.reach(writer.nextSeq - 1, 120_000))) {
    throw new Error('the warm-up lines had not reached every client 120 s after the last one');
  }
  c.warmupBacklogMs = performance.now() - drainStart;
  c.rssSubscribedMb = rssMb(server.pid);
}

/** The measured statements, until every client has the last line; CPU and memory over the window. */
async function measureWindow(
  { c, server, subscribers, writer, options }: Phase,
  database: Database,
  writerPid: number,
): Promise<void> {
  const statements = Math.round((options.measureMs / 1000) * options.rate);
  const first = writer.nextSeq;
  const last = first + statements * options.batch - 1;
  c.expectedLines = (last - first + 1) * c.subscribed;
  await subscribers.measure(first, last);
  const pgPids = await backendPids(database, [writerPid]);
  const cpu0 = {
    server: cpuSeconds(server.pid),
    pg: cpuSnapshot(pgPids),
    clients: cpuSecondsOf(subscribers.pids),
    at: performance.now(),
  };
  progress(
    `fan-out ${c.server}, ${int(c.n)}: measuring ${int(statements)} statements of ${options.batch} lines`,
  );
  const batches: WrittenBatch[] = [];
  await writeSteadily(
    writer,
    { intervalMs: 1000 / options.rate, batch: options.batch, until: (w) => w >= statements },
    (b) => {
      batches.push(b);
      server.onBatch(b);
    },
  );
  c.completed = await subscribers.complete(60_000);
  c.windowS = (performance.now() - cpu0.at) / 1000;
  c.serverCpuS = cpuSeconds(server.pid) - cpu0.server;
  // Backends the server opened during the window count in full; ones it closed are lost (rare).
  c.pgCpuS = cpuSecondsSince(cpu0.pg, await backendPids(database, [writerPid]));
  c.clientCpuS = cpuSecondsOf(subscribers.pids) - cpu0.clients;
  c.rssEndMb = rssMb(server.pid);
  c.rssPeakMb = peakRssMb(server.pid);
  c.loadEnd = loadavg()[0]!;
  const trips = batches.map((b) => b.commitAt - b.sentAt);
  c.statementP50 = percentileOf(trips, 50);
  c.statementP99 = percentileOf(trips, 99);
  const commitAt: number[] = [];
  for (const b of batches) for (let s = b.first; s <= b.last; s++) commitAt.push(b.commitAt);
  c.result = await subscribers.finish(commitAt);
  if (!c.completed) c.failure = 'not every client had every line 60 s after the last statement';
}

/** One server, N subscribers: idle, connect, warm up, measure, collect; a failure is reported, not thrown. */
async function runCase(
  database: Database,
  databaseUrl: string,
  dataDir: string,
  writerPid: number,
  kind: ServerKind,
  n: number,
  options: FanoutOptions,
): Promise<FanoutCase> {
  const runId = await createIdleRun(database, `fanout-${kind}-${n}-${Date.now()}`);
  const c = emptyCase(kind, n);
  const server = await startFanoutServer(kind, databaseUrl, dataDir);
  const subscribers = startSubscribers({
    url: server.wsUrl,
    total: n,
    processes: options.processes,
    runId,
    hold: true,
  });
  const phase: Phase = { c, server, subscribers, writer: createLogWriter(database, runId), options };
  try {
    await subscribers.loaded;
    await measureIdle(phase);
    await subscribeAndWarm(phase);
    await measureWindow(phase, database, writerPid);
  } catch (err) {
    c.failure = (err as Error).message;
    progress(`fan-out ${kind}, ${int(n)}: ${c.failure}`);
  } finally {
    subscribers.kill();
    await server.stop();
  }
  return c;
}

export interface FanoutResult {
  options: FanoutOptions;
  cases: FanoutCase[];
}

export async function fanoutBench(options: FanoutOptions = defaultFanoutOptions()): Promise<FanoutResult> {
  const { bench, database } = await createMigratedBenchDatabase('subs', { maxConnections: 1 });
  const dataDir = scratchDir();
  const cases: FanoutCase[] = [];
  try {
    const [{ pid: writerPid }] = (await database.query<{ pid: number }>(
      'select pg_backend_pid() as pid',
      [],
    )) as [{ pid: number }];
    for (const [i, n] of options.counts.entries()) {
      const order = i % 2 === 0 ? options.servers : [...options.servers].reverse();
      for (const kind of order) {
        cases.push(await runCase(database, bench.url, dataDir, Number(writerPid), kind, n, options));
        await sleep(2000); // sockets of the previous case closing
      }
    }
  } finally {
    await database.close().catch(() => {});
    await bench.drop();
  }
  return { options, cases };
}

const us = (seconds: number, count: number) => (count > 0 ? fmt((seconds * 1e6) / count, 1) : 'n/a');

export function fanoutMarkdown(r: FanoutResult): string {
  const o = r.options;
  const label = (k: ServerKind) => (k === 'jobgate' ? '**jobgate**' : 'bare `ws`');
  const rows = r.cases.map((c) => {
    const res = c.result;
    const delivered = res?.measured ?? 0;
    const perLine = (s: number) => us(s, delivered);
    return (
      `| ${int(c.n)} | ${label(c.server)} | ${int(c.subscribed)}: ${fmt(c.subscribeMs / 1000, 1)} s / ${fmt(c.liveMs / 1000, 1)} s (load ${fmt(c.connectLoad, 1)}) | ` +
      `${us(c.connectServerCpuS, c.subscribed)} / ${us(c.connectClientCpuS, c.subscribed)} | ${int(delivered)} / ${int(c.expectedLines)}` +
      `${res && (res.gaps || res.duplicates || res.errors) ? ` (${res.gaps} gaps, ${res.duplicates} dup., ${res.errors} errors)` : ''} | ` +
      `${res ? `${fmt(res.fromSend.percentile(50), 1)} / ${fmt(res.fromSend.percentile(99), 1)} / ${fmt(res.fromSend.max(), 0)}` : 'n/a'} | ` +
      `${res ? `${fmt(res.fromCommit.percentile(50), 1)} / ${fmt(res.fromCommit.percentile(99), 1)}` : 'n/a'} | ` +
      `${fmt((c.serverCpuS / c.windowS) * 100, 0)}% (idle ${fmt(c.serverIdleCpuPct, 0)}%) | ${perLine(c.serverCpuS)} | ${perLine(c.serverCpuS + c.pgCpuS)} (PG ${fmt(c.pgCpuS, 2)} s) | ` +
      `${fmt((c.serverCpuS * 1000) / c.windowS / Math.max(1, c.subscribed), 3)} | ` +
      `${fmt(c.rssIdleMb, 0)} / ${fmt(c.rssSubscribedMb, 0)} / ${fmt(c.rssPeakMb, 0)} | ` +
      `${fmt(((c.rssSubscribedMb - c.rssIdleMb) * 1024) / Math.max(1, c.subscribed), 1)} | ` +
      `${res ? fmt(res.measuredFrames / Math.max(1, c.subscribed), 1) : 'n/a'} / ${res && res.measuredFrames ? int(res.measuredBytes / res.measuredFrames) : 'n/a'} | ` +
      `${fmt((c.clientCpuS / c.windowS) * 100, 0)}% | ${fmt(c.windowS, 1)} s, drain before ${fmt(c.warmupBacklogMs / 1000, 1)} s | ${fmt(c.loadStart, 1)} → ${fmt(c.loadEnd, 1)} |` +
      (c.failure ? ` ${c.failure} |` : ' |')
    );
  });
  const lines = o.rate * o.batch;
  return [
    '### Subscriptions: fan-out of one log stream to N WebSocket subscribers',
    '',
    `One server process, N clients spread over ${o.processes} client processes (raw \`ws\` connections speaking ` +
      `graphql-transport-ws by hand: connection_init, one \`subscribe\` of the contract's TailLogs with ` +
      `\`after: "HEAD"\`, pong to ping). All subscribe to the same run while the bench, playing a node, appends ` +
      `${o.batch} lines ${o.rate} times a second (${lines} lines/s, messages of 80 characters) with the runtime's ` +
      `\`appendLogLines\` on its own PostgreSQL connection. After every client has received a warm-up line (and ` +
      `${o.warmupMs / 1000} s at least), ${o.measureMs / 1000} s of statements are measured; the window ends when ` +
      `every client has the last measured line (or 60 s later). **jobgate**: \`jobgate serve --no-node --auth off\` ` +
      `on PostgreSQL (a fresh process per case). **bare \`ws\`**: support/ws-broadcast.ts, a \`ws\` server that ` +
      `acks, remembers each subscription id, and, when the writer hands it a committed statement's lines over ` +
      `IPC, builds the same \`next\` frame once and sends it to every subscriber; no auth, no GraphQL, no ` +
      `database. Latency is receive time minus the writer's timestamp taken just before it sent the statement ` +
      `(in every message), and minus the time the statement's commit returned to the writer; same machine clock, ` +
      `sub-millisecond (\`performance.timeOrigin + now()\`), histogram buckets of 0.1 ms below 100 ms. ` +
      `Connecting: every client process has loaded before any connects (${o.processes} × 50 connections ` +
      `opening at once); "acked" is when every client had its connection_ack and had sent its subscribe, ` +
      `"live" when every client had received a line (so its subscription was running: from the last ack on ` +
      `the writer writes every ${fmt(1000 / o.rate, 0)} ms), both from the start of connecting; the CPU of the ` +
      `server and of the client processes from then until live is given per subscriber. CPU is ` +
      `user+sys from /proc/<pid>/stat over the window; "with PG" adds the CPU of the PostgreSQL backends the ` +
      `server holds (the writer's excluded). RSS idle is before any client connected, subscribed is after ` +
      `the warm-up; memory per subscriber is their difference over N. "load" is the 1-minute load average.`,
    '',
    '| N | server | subscribed: acked / live | connect CPU µs per subscriber: server / clients | lines delivered / expected | latency from send p50 / p99 / max ms | from commit p50 / p99 ms | server CPU (idle before clients) | CPU µs per line delivered | with PG µs | CPU ms/s per subscriber | RSS idle / subscribed / peak MB | KB per subscriber | measured frames per client / bytes per frame | client procs CPU | window, warm-up drain | load | notes |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|',
    ...rows,
    '',
    ...comparison(r),
  ].join('\n');
}

function comparison(r: FanoutResult): string[] {
  const out: string[] = [];
  for (const n of r.options.counts) {
    const j = r.cases.find((c) => c.n === n && c.server === 'jobgate');
    const w = r.cases.find((c) => c.n === n && c.server === 'ws');
    if (!j?.result || !w?.result) continue;
    const cpuJ = j.serverCpuS / Math.max(1, j.result.measured);
    const cpuJpg = (j.serverCpuS + j.pgCpuS) / Math.max(1, j.result.measured);
    const cpuW = w.serverCpuS / Math.max(1, w.result.measured);
    const frameJ = j.serverCpuS / Math.max(1, j.result.measuredFrames);
    const frameW = w.serverCpuS / Math.max(1, w.result.measuredFrames);
    const p99 = j.result.fromSend.percentile(99) / w.result.fromSend.percentile(99);
    const p50 = j.result.fromSend.percentile(50) / w.result.fromSend.percentile(50);
    const ok = (x: number) => (x <= 1.5 ? 'within 1.5×' : '**over 1.5×**');
    const connectJ = j.connectServerCpuS / Math.max(1, j.subscribed);
    const connectW = w.connectServerCpuS / Math.max(1, w.subscribed);
    out.push(
      `- N = ${int(n)}, connecting: jobgate/bare ws time until every client was live ` +
        `${fmt(j.liveMs / w.liveMs, 2)}× (${fmt(j.liveMs / 1000, 1)} vs ${fmt(w.liveMs / 1000, 1)} s), ` +
        `until acked ${fmt(j.subscribeMs / w.subscribeMs, 2)}×; server CPU per subscriber ` +
        `${fmt(connectJ * 1e6, 0)} vs ${fmt(connectW * 1e6, 0)} µs, ${fmt(connectJ / connectW, 2)}×.`,
    );
    out.push(
      `- N = ${int(n)}: jobgate/bare ws CPU per delivered line ${fmt(cpuJ / cpuW, 2)}× (${ok(cpuJ / cpuW)}; ` +
        `${fmt(cpuJpg / cpuW, 2)}× with its PostgreSQL backends; per frame ${fmt(frameJ * 1e6, 0)} vs ` +
        `${fmt(frameW * 1e6, 0)} µs, ${fmt(frameJ / frameW, 2)}×), latency p50 ${fmt(p50, 2)}×, p99 ${fmt(p99, 2)}× ` +
        `(${ok(p99)}); jobgate p99 ${fmt(j.result.fromSend.percentile(99), 0)} ms ` +
        `${j.result.fromSend.percentile(99) < 1000 ? '< 1 s' : '**≥ 1 s**'}, ` +
        `${j.result.measured === j.expectedLines && j.subscribed === n ? 'every line delivered' : '**lines missing**'}.`,
    );
  }
  return out;
}

if (isMain(import.meta.url)) await runMain(async () => fanoutMarkdown(await fanoutBench()));
