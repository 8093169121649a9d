// The contract `Run` query against PostgreSQL: jobgate's GraphQL endpoint side by side, in the same
// run, with a hand-written baseline (support/baseline.ts: node:http + one SQL statement building the
// same JSON). Both are checked to answer the same document first; then each is loaded by the same
// closed-loop client in a separate process, in alternating slices (ABBA) so that neither gets the
// better part of a shared machine.
//
//   node --import tsx bench/run-query.ts
//   BENCH_CONCURRENCY=16 BENCH_WARMUP_S=3 BENCH_SLICE_S=5 BENCH_DATABASE_URL=postgres://...
//   BENCH_RUNS=16: each client asks for a run of its own (of the same shape) instead of all for one
import { sql } from 'drizzle-orm';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { createDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../src/runtime/index.ts';
import { buildApp } from '../src/server/app.ts';
import { contractOperation } from '../test/support/contract.ts';
import { seedRun } from '../test/support/fixtures.ts';
import { createBaselineServer } from './support/baseline.ts';
import type { LoadConfig, LoadSample } from './support/load-client.ts';
import { runLoad, summarise, type LoadSummary } from './support/load.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createBenchDatabase } from './support/pg.ts';
import { testSecrets } from '../test/support/secrets.ts';

const SHAPE = { vertices: 5, parallelism: 8, checkpoints: 50 };
/** Other runs in the database, so the query has rows to skip (same shape, 10 checkpoints each). */
const OTHER_RUNS = 20;
const POOL = 10;

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface RunQueryOptions {
  concurrency: number;
  warmupMs: number;
  /** Length of one measured slice; each server gets two (ABBA), after a short unrecorded ramp. */
  sliceMs: number;
  /** Runs of the measured shape; client i asks for run i % runs. With 1 every client asks for the
   * same run, so concurrent requests read the same rows. */
  runs: number;
}

export const defaultRunQueryOptions = (): RunQueryOptions => ({
  concurrency: num('BENCH_CONCURRENCY', 16),
  warmupMs: num('BENCH_WARMUP_S', 3) * 1000,
  sliceMs: num('BENCH_SLICE_S', 5) * 1000,
  runs: Math.floor(num('BENCH_RUNS', 1)),
});

interface RunDoc {
  data?: {
    run?: {
      id: string;
      vertices: { subtasks: unknown[] }[];
      checkpoints: { nodes: unknown[] };
      exceptions: unknown[];
    } | null;
  };
  errors?: unknown[];
}

async function fetchRun(base: string, body: string): Promise<{ text: string; doc: RunDoc }> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${base}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return { text, doc: JSON.parse(text) as RunDoc };
}

/** The first path where two JSON values differ, for a loud failure message. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const diff = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
      if (diff) return diff;
    }
  }
  return `${path}: jobgate ${JSON.stringify(a)} vs baseline ${JSON.stringify(b)}`;
}

function shapeOf(doc: RunDoc) {
  const run = doc.data?.run;
  if (doc.errors || !run) throw new Error(`no run in the answer: ${JSON.stringify(doc).slice(0, 500)}`);
  return {
    id: run.id,
    vertices: run.vertices.length,
    subtasks: run.vertices.reduce((n, v) => n + v.subtasks.length, 0),
    checkpoints: run.checkpoints.nodes.length,
    exceptions: run.exceptions.length,
  };
}

/** Both servers answer the same document; fails loudly otherwise. Returns each body's byte length. */
async function verify(jobgate: string, baseline: string, body: string, runId: string) {
  const [a, b] = await Promise.all([fetchRun(jobgate, body), fetchRun(baseline, body)]);
  const expected = {
    id: runId,
    vertices: SHAPE.vertices,
    subtasks: SHAPE.vertices * SHAPE.parallelism,
    checkpoints: 20,
    exceptions: 1,
  };
  for (const [who, doc] of [
    ['jobgate', a.doc],
    ['baseline', b.doc],
  ] as const) {
    const shape = shapeOf(doc);
    if (!isDeepStrictEqual(shape, expected)) {
      throw new Error(
        `${who} answered the wrong shape: ${JSON.stringify(shape)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }
  const diff = firstDifference(a.doc, b.doc);
  if (diff)
    throw new Error(`jobgate and the baseline answer different documents; first difference at ${diff}`);
  return { jobgateBytes: Buffer.byteLength(a.text), baselineBytes: Buffer.byteLength(b.text) };
}

interface Measured {
  summary: LoadSummary;
  /** CPU of the server process (this one) per request, user + system. */
  cpuMsPerRequest: number;
  statementsPerRequest?: number;
}

export async function runQueryBench(options: RunQueryOptions = defaultRunQueryOptions()): Promise<string> {
  const bench = await createBenchDatabase('query');
  const database = await createDatabase({ url: bench.url, maxConnections: POOL });
  const appOptions = {
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
  };
  const app = buildApp(appOptions);
  // The same app with every request through yoga's HTTP layer: what the fast path (graphql-post.ts) saves.
  const yogaApp = buildApp({ ...appOptions, graphqlPostFastPath: false });
  const baseline = createBaselineServer({ url: bench.url, maxConnections: POOL });
  try {
    progress(`run query: migrating and seeding ${bench.name}`);
    await migrateDatabase(database, bench.url);
    for (let i = 0; i < OTHER_RUNS; i++) {
      await seedRun(database, {
        name: `other-${i}`,
        vertices: SHAPE.vertices,
        parallelism: SHAPE.parallelism,
        checkpoints: 10,
      });
    }
    const seeded = [];
    for (let i = 0; i < options.runs; i++) {
      // Names of one length, so that every run's answer has the same size.
      const name = options.runs === 1 ? 'bench' : `bench-${String(i).padStart(3, '0')}`;
      seeded.push(await seedRun(database, { name, ...SHAPE }));
    }
    await database.execute(sql`analyze`);

    const targets = {
      jobgate: await app.start(),
      yoga: await yogaApp.start(),
      baseline: await baseline.start(),
    };
    const bodies = seeded.map((run) =>
      JSON.stringify({ query: contractOperation('Run'), variables: { id: run.runId } }),
    );
    const sizes: { jobgateBytes: number; baselineBytes: number }[] = [];
    for (const [i, run] of seeded.entries()) {
      sizes.push(await verify(targets.jobgate, targets.baseline, bodies[i]!, run.runId));
      const viaYoga = await verify(targets.yoga, targets.baseline, bodies[i]!, run.runId);
      if (viaYoga.jobgateBytes !== sizes[i]!.jobgateBytes)
        throw new Error('the two jobgate paths answer differently');
    }
    const bytes = sizes[0]!;
    progress(
      `run query: both answer the same document (${bytes.jobgateBytes} / ${bytes.baselineBytes} bytes)` +
        (seeded.length > 1 ? ` for each of ${seeded.length} runs` : ''),
    );

    const config = (who: keyof typeof targets, warmupMs: number, measureMs: number): LoadConfig => ({
      url: `${targets[who]}/graphql`,
      body: bodies,
      concurrency: options.concurrency,
      warmupMs,
      measureMs,
      expectBytes: sizes.map((b) => (who === 'baseline' ? b.baselineBytes : b.jobgateBytes)),
    });
    const slices: Record<
      keyof typeof targets,
      { sample: LoadSample; cpuMsPerRequest: number; statementsPerRequest: number }[]
    > = {
      jobgate: [],
      yoga: [],
      baseline: [],
    };
    const slice = async (who: keyof typeof targets, warmupMs: number, measureMs: number, record: boolean) => {
      progress(
        `run query: ${record ? 'measuring' : 'warming up'} ${who} (${(warmupMs + measureMs) / 1000} s)`,
      );
      const cpu0 = process.cpuUsage();
      const statements0 = database.stats.statements;
      const sample = await runLoad(config(who, warmupMs, measureMs));
      const cpu = process.cpuUsage(cpu0);
      if (sample.errors)
        throw new Error(`${who}: ${sample.errors} failed requests, first: ${sample.firstError}`);
      if (record) {
        // The server's CPU and statements over the whole slice, shared by every request it answered.
        const answered = sample.completed + sample.warmupCompleted + sample.errors;
        slices[who].push({
          sample,
          cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / answered,
          statementsPerRequest: (database.stats.statements - statements0) / answered,
        });
      }
    };
    await slice('jobgate', options.warmupMs, 1, false);
    await slice('yoga', options.warmupMs, 1, false);
    await slice('baseline', options.warmupMs, 1, false);
    const ramp = 500;
    for (const who of ['jobgate', 'yoga', 'baseline', 'baseline', 'yoga', 'jobgate'] as const)
      await slice(who, ramp, options.sliceMs, true);

    const measured = (who: keyof typeof targets): Measured => {
      const summary = summarise(slices[who].map((s) => s.sample));
      const mean = (pick: (s: (typeof slices)[typeof who][number]) => number) =>
        slices[who].reduce((sum, s) => sum + pick(s), 0) / slices[who].length;
      return {
        summary,
        cpuMsPerRequest: mean((s) => s.cpuMsPerRequest),
        statementsPerRequest: who !== 'baseline' ? mean((s) => s.statementsPerRequest) : 1,
      };
    };
    return report(options, measured('jobgate'), measured('yoga'), measured('baseline'), bytes);
  } finally {
    await app.stop().catch(() => {});
    await yogaApp.stop().catch(() => {});
    await baseline.stop().catch(() => {});
    await database.close().catch(() => {});
    await bench.drop();
  }
}

function report(
  options: RunQueryOptions,
  jobgate: Measured,
  viaYoga: Measured,
  baseline: Measured,
  bytes: { jobgateBytes: number; baselineBytes: number },
): string {
  const row = (name: string, m: Measured) =>
    `| ${name} | ${fmt(m.summary.rps, 0)} | ${fmt(m.summary.p50, 2)} | ${fmt(m.summary.p90, 2)} | ${fmt(m.summary.p99, 2)} | ` +
    `${fmt(m.cpuMsPerRequest, 2)} | ${fmt(m.statementsPerRequest ?? NaN, 1)} | ${m.summary.requests} | ` +
    `${m.summary.sliceRps.map((r) => fmt(r, 0)).join(' / ')} |`;
  const ratio = jobgate.summary.rps / baseline.summary.rps;
  return [
    `### Run query (contract \`Run\`) on PostgreSQL` + (options.runs === 1 ? '' : `, ${options.runs} runs`),
    '',
    (options.runs === 1
      ? `A run of ${SHAPE.vertices} vertices × ${SHAPE.parallelism} subtasks (parallelism ${SHAPE.parallelism}) with ` +
        `${SHAPE.checkpoints} checkpoints (the query asks for the 20 newest), among ${OTHER_RUNS} other runs; every ` +
        `client asks for that run. `
      : `${options.runs} runs of ${SHAPE.vertices} vertices × ${SHAPE.parallelism} subtasks (parallelism ` +
        `${SHAPE.parallelism}) with ${SHAPE.checkpoints} checkpoints each (the query asks for the 20 newest), among ` +
        `${OTHER_RUNS} other runs; client i asks for run i mod ${options.runs}. `) +
      `Closed loop: ${options.concurrency} requests in flight from a separate Node process over keep-alive ` +
      `connections; ${options.warmupMs / 1000} s warm-up each, then 2 × ${options.sliceMs / 1000} s measured per ` +
      `server in mirrored order (jobgate, jobgate through yoga, baseline, baseline, through yoga, jobgate), each slice after a 0.5 s unrecorded ramp. ` +
      `All three servers run in the bench process (only the loaded one is busy) with a ${POOL}-connection postgres.js pool. ` +
      `Response: ${bytes.jobgateBytes} bytes (jobgate), ${bytes.baselineBytes} bytes (baseline), same JSON document.`,
    '',
    '| server | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req | SQL statements/req | requests | req/s per slice |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    row('jobgate (GraphQL)', jobgate),
    row("jobgate, every request through yoga's HTTP layer (before)", viaYoga),
    row('baseline (node:http + one SQL statement)', baseline),
    '',
    `**jobgate / baseline throughput: ${fmt(ratio * 100, 0)}%** (target ≥ 75%); through yoga's HTTP layer ` +
      `${fmt((viaYoga.summary.rps / baseline.summary.rps) * 100, 0)}%; ` +
      `p50 latency ratio ${fmt(jobgate.summary.p50 / baseline.summary.p50, 2)}×.`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => runQueryBench());
