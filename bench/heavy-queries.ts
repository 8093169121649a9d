// Heavy queries against the embedded shape (gateway, coordinator and node in one process, on
// PostgreSQL): 16 clients send the heaviest query the request limits allow while a streaming run
// checkpoints every second, side by side with the same run without the load. Reported: the longest
// gap between two heartbeats of the node (by the database clock, recorded by a trigger in the bench
// database, so a stalled process cannot hide its own gaps), whether the node was declared lost,
// whether the run ever left RUNNING, and checkpoint durations p50/p99.
//
//   node --import tsx bench/heavy-queries.ts
//   BENCH_HEAVY_ALIASES=25 (aliases of the contract's `Run` query in one document; 25 is the most
//   the request limits allow, 100 with BENCH_HEAVY_NO_LIMITS=1) or BENCH_HEAVY_QUERY=<a GraphQL
//   document without variables>
//   BENCH_HEAVY_CLIENTS=16 BENCH_HEAVY_S=20 BENCH_HEAVY_WARMUP_S=2
//   BENCH_HEAVY_NO_LIMITS=1 (the request limits raised out of the way: the load they now refuse, to
//   see what the heartbeat thread alone holds against)
//   BENCH_HEARTBEAT_THREAD=0 (the node's heartbeat on the main event loop, as before the heartbeat
//   thread, for comparison)
import { sql } from 'drizzle-orm';
import { parse, print, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { hostname, loadavg } from 'node:os';
import { buildApp } from '../src/server/app.ts';
import {
  createEventFeed,
  createLogFeed,
  createMetricFeed,
  createJob,
  requestStop,
  safeBaseEnv,
  startRun,
  startRuntime,
} from '../src/runtime/index.ts';
import type { Database } from '../src/db/client.ts';
import { contractOperation } from '../test/support/contract.ts';
import { seedRun } from '../test/support/fixtures.ts';
import { testSecrets } from '../test/support/secrets.ts';
import { runLoad, summarise } from './support/load.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createMigratedBenchDatabase, RUNTIME_DEFAULTS, silent } from './support/runtime-env.ts';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface HeavyQueryOptions {
  clients: number;
  measureMs: number;
  warmupMs: number;
  /** The document the clients send; by default `aliases` copies of the contract's Run query. */
  query?: string;
  aliases: number;
  /** Raise the request limits out of the way (the pre-limits load). */
  noLimits: boolean;
  /** The node's liveness stamp from its worker thread (default) or from the main event loop. */
  heartbeatThread: boolean;
}

export const defaultHeavyQueryOptions = (): HeavyQueryOptions => ({
  clients: num('BENCH_HEAVY_CLIENTS', 16),
  measureMs: num('BENCH_HEAVY_S', 20) * 1000,
  warmupMs: num('BENCH_HEAVY_WARMUP_S', 2) * 1000,
  query: process.env.BENCH_HEAVY_QUERY || undefined,
  aliases: num('BENCH_HEAVY_ALIASES', process.env.BENCH_HEAVY_NO_LIMITS === '1' ? 100 : 25),
  noLimits: process.env.BENCH_HEAVY_NO_LIMITS === '1',
  heartbeatThread: process.env.BENCH_HEARTBEAT_THREAD !== '0',
});

/** The contract's Run query with its `run` field repeated under `aliases` aliases, for one run id. */
export function aliasedRunQuery(runId: string, aliases: number): string {
  const op = parse(contractOperation('Run')).definitions[0] as OperationDefinitionNode;
  const field = op.selectionSet.selections[0] as FieldNode;
  const selections = Array.from({ length: aliases }, (_, i) => ({
    ...field,
    alias: { kind: 'Name', value: `r${i}` },
    arguments: [
      {
        kind: 'Argument',
        name: { kind: 'Name', value: 'id' },
        value: { kind: 'StringValue', value: runId },
      },
    ],
  }));
  // Fragments the operation uses come along.
  const rest = parse(contractOperation('Run')).definitions.slice(1);
  return print({
    kind: 'Document',
    definitions: [
      {
        ...op,
        name: { kind: 'Name', value: 'Heavy' },
        variableDefinitions: [],
        selectionSet: { kind: 'SelectionSet', selections },
      },
      ...rest,
    ],
  } as never);
}

interface PhaseResult {
  label: string;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxHeartbeatGapMs: number;
  nodeLost: boolean;
  leftRunning: string[];
  checkpoints: number;
  checkpointP50Ms: number;
  checkpointP99Ms: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

export async function heavyQueryBench(
  options: HeavyQueryOptions = defaultHeavyQueryOptions(),
): Promise<string> {
  const loadStart = loadavg()[0] ?? NaN;
  const { bench, database } = await createMigratedBenchDatabase('heavy');
  progress(`heavy queries: database ${bench.name} migrated`);
  // Every heartbeat, by the database clock: a trigger in this throwaway database records the gap.
  await database.execute(sql`
    create table bench_heartbeats (node_id uuid, at timestamptz default clock_timestamp(), gap_ms double precision)`);
  await database.execute(sql`
    create function bench_heartbeat() returns trigger language plpgsql as $$ begin
      if new.last_heartbeat_at is distinct from old.last_heartbeat_at then
        insert into bench_heartbeats (node_id, gap_ms)
        values (new.id, extract(epoch from new.last_heartbeat_at - old.last_heartbeat_at) * 1000);
      end if;
      return new;
    end $$`);
  await database.execute(sql`
    create trigger bench_heartbeat after update on nodes for each row execute function bench_heartbeat()`);
  const seeded = await seedRun(database, {
    name: 'heavy-target',
    vertices: 5,
    parallelism: 8,
    checkpoints: 50,
  });
  await database.execute(sql`analyze`);

  const app = buildApp({
    database,
    logger: silent,
    settings: {
      authEnabled: false,
      commandsEnabled: true,
      heartbeatTimeoutMs: RUNTIME_DEFAULTS.heartbeatTimeoutMs,
      events: createEventFeed(database),
      logFeed: createLogFeed(database),
      metricFeed: createMetricFeed(database),
    },
    host: '127.0.0.1',
    port: 0,
    secrets: testSecrets,
    limits: options.noLimits
      ? {
          maxDocumentLength: 10_000_000,
          maxTokens: 1e9,
          maxDepth: 1_000,
          maxAliases: 1e9,
          maxDirectives: 1e9,
          maxCost: 1e12,
        }
      : undefined,
  });
  const runtime = await startRuntime({
    database,
    logger: silent,
    cluster: 'heavy',
    node: { slots: 4, tags: {}, name: `heavy-${hostname()}` },
    coordinator: true,
    heartbeatIntervalMs: RUNTIME_DEFAULTS.heartbeatIntervalMs,
    heartbeatTimeoutMs: RUNTIME_DEFAULTS.heartbeatTimeoutMs,
    heartbeatThread: options.heartbeatThread,
    commandsEnabled: false,
    commandEnv: safeBaseEnv(process.env),
    secrets: testSecrets,
    // Keep every checkpoint of the measured runs: the default retention (3) would prune all but the
    // last few before their durations are read.
    checkpointRetention: 1000,
  });
  const base = await app.start();
  const url = `${base}/graphql`;
  try {
    const query = options.query ?? aliasedRunQuery(seeded.runId, options.aliases);
    const body = JSON.stringify({ query });
    const probe = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const probeText = await probe.text();
    if (probe.status !== 200 || probeText.includes('"errors"'))
      throw new Error(`the heavy query is refused: ${probe.status} ${probeText.slice(0, 300)}`);
    const expectBytes = Buffer.byteLength(probeText);
    progress(`heavy queries: ${Buffer.byteLength(query)} byte document, ${expectBytes} byte answer`);

    const job = await createJob(
      database,
      {
        name: 'heavy-stream',
        cluster: 'heavy',
        pipeline: {
          env: { 'job.mode': 'STREAMING', 'checkpoint.interval': 1000 },
          source: [{ plugin_name: 'FakeSource', 'row.num': 100_000_000, 'rows.per.second': 5000 }],
          sink: [{ plugin_name: 'Blackhole' }],
        },
      } as never,
      { name: 'bench', role: 'admin', commandsEnabled: true },
      { secrets: testSecrets },
    );

    const phase = async (label: string, load: boolean): Promise<PhaseResult> => {
      const started = await startRun(database, {
        jobId: job.id,
        trigger: 'API',
        actor: 'bench',
        commandsEnabled: true,
      });
      await waitFor(database, started.id, ['RUNNING']);
      const [from] = await database.execute<{ at: string }>(sql`select clock_timestamp()::text as at`);
      const sample = load
        ? await runLoad({
            url,
            body,
            concurrency: options.clients,
            warmupMs: options.warmupMs,
            measureMs: options.measureMs,
            expectBytes,
          })
        : await new Promise<null>((res) => setTimeout(() => res(null), options.warmupMs + options.measureMs));
      const [gap] = await database.execute<{ max: number | null }>(sql`
        select max(gap_ms)::float8 as max from bench_heartbeats where at >= ${from!.at}::timestamptz
          and node_id = ${runtime.node!.id}::uuid`);
      const lost = await database.execute(sql`
        select 1 from events where type = 'node:lost' and node_id = ${runtime.node!.id}::uuid
          and at >= ${from!.at}::timestamptz`);
      const history = await database.execute<{ to_status: string }>(sql`
        select to_status from run_status_history where run_id = ${started.id} and to_status not in ('CREATED', 'INITIALIZING', 'RUNNING')`);
      const durations = (
        await database.execute<{ ms: number }>(sql`
          select extract(epoch from completed_at - triggered_at)::float8 * 1000 as ms from checkpoints
          where run_id = ${started.id} and status = 'COMPLETED' and triggered_at >= ${from!.at}::timestamptz`)
      ).map((d) => Number(d.ms));
      await requestStop(database, started.id, 'CANCEL', 'bench');
      await waitFor(database, started.id, ['CANCELED', 'FAILED', 'FINISHED']);
      const summary = sample ? summarise([sample]) : null;
      return {
        label,
        requests: summary?.requests ?? 0,
        errors: summary?.errors ?? 0,
        p50Ms: summary?.p50 ?? NaN,
        p99Ms: summary?.p99 ?? NaN,
        maxHeartbeatGapMs: Number(gap?.max ?? NaN),
        nodeLost: lost.length > 0,
        leftRunning: history.map((h) => h.to_status),
        checkpoints: durations.length,
        checkpointP50Ms: percentile(durations, 50),
        checkpointP99Ms: percentile(durations, 99),
      };
    };

    progress('heavy queries: the streaming run alone');
    const quiet = await phase('no query load', false);
    progress(`heavy queries: the streaming run with ${options.clients} clients of the heavy query`);
    const loaded = await phase(`${options.clients} clients, heavy query`, true);
    return markdown(options, [quiet, loaded], Buffer.byteLength(query), loadStart);
  } finally {
    await runtime.stop();
    await app.stop();
    await database.close();
    await bench.drop();
  }
}

async function waitFor(database: Database, runId: string, statuses: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [r] = await database.execute<{ status: string }>(sql`select status from runs where id = ${runId}`);
    if (r && statuses.includes(r.status)) return;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} did not reach ${statuses.join('/')} (${r?.status})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function markdown(
  options: HeavyQueryOptions,
  rows: PhaseResult[],
  queryBytes: number,
  loadStart: number,
): string {
  return [
    '### Heavy queries beside a streaming run (embedded: gateway, coordinator and node in one process)',
    '',
    `PostgreSQL; heartbeat ${RUNTIME_DEFAULTS.heartbeatIntervalMs} ms, timeout ${RUNTIME_DEFAULTS.heartbeatTimeoutMs} ms, stamped from ${
      options.heartbeatThread ? 'the heartbeat thread' : 'the main event loop'
    };`,
    `checkpoint every 1 s; ${options.measureMs / 1000} s measured per case; query ${
      options.query ? 'from BENCH_HEAVY_QUERY' : `${options.aliases} aliases of the contract Run query`
    } (${queryBytes} bytes)${options.noLimits ? ', request limits raised out of the way' : ''}; load average at start ${fmt(loadStart, 2)}.`,
    '',
    '| case | requests | errors | p50 ms | p99 ms | longest heartbeat gap ms | node lost | run left RUNNING | checkpoints | checkpoint p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.requests} | ${r.errors} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.maxHeartbeatGapMs, 0)} | ${
          r.nodeLost ? 'yes' : 'no'
        } | ${r.leftRunning.length ? r.leftRunning.join(', ') : 'no'} | ${r.checkpoints} | ${fmt(r.checkpointP50Ms)} | ${fmt(
          r.checkpointP99Ms,
        )} |`,
    ),
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => heavyQueryBench());
