// The Flink dialect's cost over GraphQL on PostgreSQL: `GET /jobs/:jobid` through the shim against
// the GraphQL document the shim runs for it (run-data.ts RUN), posted to /graphql directly, for the
// same run in the same process. The shim adds the REST routing, the in-process execution and the
// reshaping into Flink's JobDetailsInfo; the direct query pays the HTTP body parse and its own
// serialisation instead. Each side is loaded by the same closed-loop client in a separate process,
// in alternating slices (ABBA) so that neither gets the better part of a shared machine.
//
//   node --import tsx bench/flink-shim.ts
//   BENCH_CONCURRENCY=16 BENCH_WARMUP_S=3 BENCH_SLICE_S=5 BENCH_DATABASE_URL=postgres://...
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { createDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../src/runtime/index.ts';
import { buildApp } from '../src/server/app.ts';
import { RUN } from '../src/shim/flink/run-data.ts';
import { seedRun } from '../test/support/fixtures.ts';
import { testSecrets } from '../test/support/secrets.ts';
import type { LoadConfig, LoadSample } from './support/load-client.ts';
import { runLoad, summarise, type LoadSummary } from './support/load.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createBenchDatabase } from './support/pg.ts';

/** The run the job details describe: 5 vertices × 8 subtasks, with metrics and checkpoints. */
const SHAPE = { vertices: 5, parallelism: 8, checkpoints: 20 };
const POOL = 10;

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface FlinkShimOptions {
  concurrency: number;
  warmupMs: number;
  /** Length of one measured slice; each side gets two (ABBA), after a short unrecorded ramp. */
  sliceMs: number;
}

export const defaultFlinkShimOptions = (): FlinkShimOptions => ({
  concurrency: num('BENCH_CONCURRENCY', 16),
  warmupMs: num('BENCH_WARMUP_S', 3) * 1000,
  sliceMs: num('BENCH_SLICE_S', 5) * 1000,
});

type Side = 'shim' | 'graphql';

/** One answer of each side, checked to describe the run; returns its byte length. */
async function verify(side: Side, config: Pick<LoadConfig, 'url' | 'method' | 'body'>, runId: string) {
  const response = await fetch(config.url, {
    method: config.method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: config.method === 'POST' ? (config.body as string) : undefined,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${side}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { jid?: string; vertices?: unknown[]; data?: { run?: { id: string } } };
  const id = side === 'shim' ? body.jid : body.data?.run?.id;
  if (id !== runId) throw new Error(`${side} answered about ${id}, not ${runId}: ${text.slice(0, 300)}`);
  return Buffer.byteLength(text);
}

export async function flinkShimBench(options: FlinkShimOptions = defaultFlinkShimOptions()): Promise<string> {
  const bench = await createBenchDatabase('flink');
  const database = await createDatabase({ url: bench.url, maxConnections: POOL });
  const app = buildApp({
    database,
    logger: pino({ level: 'silent' }),
    settings: {
      authEnabled: false,
      commandsEnabled: true,
      heartbeatTimeoutMs: 5_000,
      events: createEventFeed(database),
      logFeed: createLogFeed(database),
      metricFeed: createMetricFeed(database),
    },
    secrets: testSecrets,
    host: '127.0.0.1',
    port: 0,
    dialectPorts: { flink: 0 },
  });
  try {
    progress(`flink shim: migrating and seeding ${bench.name}`);
    await migrateDatabase(database, bench.url);
    const run = await seedRun(database, { name: 'bench', ...SHAPE });
    await database.execute(sql`analyze`);
    const base = await app.start();
    const targets: Record<Side, Pick<LoadConfig, 'url' | 'method' | 'body'>> = {
      shim: { url: `${base}/compat/flink/jobs/${run.runId}`, method: 'GET', body: '' },
      graphql: {
        url: `${base}/graphql`,
        method: 'POST',
        body: JSON.stringify({ query: RUN, variables: { id: run.runId } }),
      },
    };
    const bytes = {} as Record<Side, number>;
    for (const side of ['shim', 'graphql'] as const)
      bytes[side] = await verify(side, targets[side], run.runId);
    progress(`flink shim: both answer (${bytes.shim} / ${bytes.graphql} bytes)`);

    const slices: Record<Side, { sample: LoadSample; cpuMsPerRequest: number }[]> = { shim: [], graphql: [] };
    const slice = async (side: Side, warmupMs: number, measureMs: number, record: boolean) => {
      progress(
        `flink shim: ${record ? 'measuring' : 'warming up'} ${side} (${(warmupMs + measureMs) / 1000} s)`,
      );
      const cpu0 = process.cpuUsage();
      const sample = await runLoad({
        ...targets[side],
        concurrency: options.concurrency,
        warmupMs,
        measureMs,
        expectBytes: bytes[side],
      });
      const cpu = process.cpuUsage(cpu0);
      if (sample.errors)
        throw new Error(`${side}: ${sample.errors} failed requests, first: ${sample.firstError}`);
      if (record) {
        const answered = sample.completed + sample.warmupCompleted + sample.errors;
        slices[side].push({ sample, cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / answered });
      }
    };
    await slice('shim', options.warmupMs, 1, false);
    await slice('graphql', options.warmupMs, 1, false);
    for (const side of ['shim', 'graphql', 'graphql', 'shim'] as const)
      await slice(side, 500, options.sliceMs, true);

    const measured = (side: Side) => ({
      summary: summarise(slices[side].map((s) => s.sample)),
      cpuMsPerRequest: slices[side].reduce((sum, s) => sum + s.cpuMsPerRequest, 0) / slices[side].length,
    });
    return report(options, measured('shim'), measured('graphql'), bytes);
  } finally {
    await app.stop().catch(() => {});
    await database.close().catch(() => {});
    await bench.drop();
  }
}

interface Measured {
  summary: LoadSummary;
  cpuMsPerRequest: number;
}

function report(options: FlinkShimOptions, shim: Measured, graphql: Measured, bytes: Record<Side, number>) {
  const row = (name: string, m: Measured) =>
    `| ${name} | ${fmt(m.summary.rps, 0)} | ${fmt(m.summary.p50, 2)} | ${fmt(m.summary.p90, 2)} | ` +
    `${fmt(m.summary.p99, 2)} | ${fmt(m.cpuMsPerRequest, 2)} | ${m.summary.requests} | ` +
    `${m.summary.sliceRps.map((r) => fmt(r, 0)).join(' / ')} |`;
  const ratio = shim.summary.rps / graphql.summary.rps;
  return [
    '### Flink shim: GET /jobs/:jobid against the same GraphQL query, on PostgreSQL',
    '',
    `A run of ${SHAPE.vertices} vertices × ${SHAPE.parallelism} subtasks with ${SHAPE.checkpoints} checkpoints. ` +
      `The shim answers Flink's JobDetailsInfo (${bytes.shim} bytes); the direct side posts the document the ` +
      `shim runs (${bytes.graphql} bytes). Closed loop: ${options.concurrency} requests in flight from a separate ` +
      `Node process over keep-alive connections; ${options.warmupMs / 1000} s warm-up each, then ` +
      `2 × ${options.sliceMs / 1000} s measured per side in ABBA order, auth off, a ${POOL}-connection pool.`,
    '',
    '| side | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | requests | req/s per slice |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    row('Flink shim (GET /jobs/:jobid)', shim),
    row('GraphQL over HTTP (same document)', graphql),
    '',
    `**shim / direct GraphQL throughput: ${fmt(ratio * 100, 0)}%** (target ≥ 75%).`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => flinkShimBench());
