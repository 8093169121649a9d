// Shared pieces of the checkpoint benchmarks (bench/checkpoint-*.ts): one migrated bench database
// `jobgate_bench_ck_<random>` whose statements and NOTIFY deliveries can be traced, an empty sink
// database for the Jdbc sinks (the plugin refuses jobgate's own database), in-process runtimes
// (production defaults: no pollMs), jobs, runs, separate observer connections, `jobgate node` child
// processes, and small statistics helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Database } from '../src/db/client.ts';
import {
  createJob,
  requestStop,
  safeBaseEnv,
  startRun,
  startRuntime,
  type JobSettingsInput,
  type Runtime,
} from '../src/runtime/index.ts';
import { createBenchDatabase, type BenchDatabase } from './support/pg.ts';
import { createMigratedBenchDatabase, RUNTIME_DEFAULTS, silent } from './support/runtime-env.ts';
import { running, track } from './support/processes.ts';
import { testSecrets } from '../test/support/secrets.ts';

export { silent };
/** The production defaults the checkpoint benchmarks measure against. */
export const DEFAULTS = RUNTIME_DEFAULTS;

/** One traced event: a statement issued through Drizzle, or a NOTIFY handed to a listener. */
export interface TraceEvent {
  at: number;
  text: string;
}

export interface CheckpointBenchEnv {
  bench: BenchDatabase;
  /** An empty database on the same server for Jdbc sinks: the plugin refuses jobgate's own. */
  sink: BenchDatabase;
  /** The runtime's database (10-connection pool), wrapped so NOTIFY deliveries can be traced. */
  database: Database;
  /** A separate one-connection client for the benchmark's own reads (not the runtime's pool). */
  observer: postgres.Sql;
  /** A one-connection client on the sink database: the sink tables and jobgate_sink_offsets. */
  sinkSql: postgres.Sql;
  /** Set to receive every Drizzle statement and every NOTIFY delivery (undefined: off). */
  trace?: (event: TraceEvent) => void;
  close(): Promise<void>;
}

export async function createCheckpointBenchEnv(): Promise<CheckpointBenchEnv> {
  const hooks: { env?: CheckpointBenchEnv } = {};
  const { bench, database: raw } = await createMigratedBenchDatabase('ck', {
    onStatement: (text) => hooks.env?.trace?.({ at: Date.now(), text }),
  });
  // The same object with listen() wrapped: each payload delivered to a runtime listener is traced
  // (at the moment postgres.js hands it over, before the listener runs).
  const database: Database = {
    ...raw,
    listen: (channel, onPayload) =>
      raw.listen(channel, (payload) => {
        hooks.env?.trace?.({ at: Date.now(), text: `NOTIFY ${channel} ${payload}` });
        onPayload(payload);
      }),
  };
  const sink = await createBenchDatabase('ck_sink').catch(async (err: unknown) => {
    await raw.close().catch(() => {});
    await bench.drop();
    throw err;
  });
  const observer = postgres(bench.url, { max: 1, onnotice: () => {} });
  const sinkSql = postgres(sink.url, { max: 1, onnotice: () => {} });
  const env: CheckpointBenchEnv = {
    bench,
    sink,
    database,
    observer,
    sinkSql,
    async close() {
      await observer.end({ timeout: 5 }).catch(() => {});
      await sinkSql.end({ timeout: 5 }).catch(() => {});
      await raw.close().catch(() => {});
      await bench.drop();
      await sink.drop();
    },
  };
  hooks.env = env;
  return env;
}

/** An in-process runtime on the bench database, with jobgate's default poll intervals. */
export function startBenchRuntime(
  env: CheckpointBenchEnv,
  options: {
    cluster: string;
    /** Slots of an in-process node; omit for a coordinator only (nodes run elsewhere). */
    slots?: number;
    heartbeatIntervalMs?: number;
    heartbeatTimeoutMs?: number;
  },
): Promise<Runtime> {
  return startRuntime({
    database: env.database,
    logger: silent,
    cluster: options.cluster,
    node: options.slots ? { slots: options.slots, tags: {}, name: `bench-${options.cluster}` } : undefined,
    coordinator: true,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
    commandsEnabled: false,
    commandEnv: safeBaseEnv(process.env),
    secrets: testSecrets,
    // pollMs omitted on purpose: the defaults are what is measured.
  });
}

/** Creates a job (actor `bench`) and returns its id. */
export async function benchJob(env: CheckpointBenchEnv, input: JobSettingsInput): Promise<string> {
  return (
    await createJob(
      env.database,
      input,
      { name: 'bench', role: 'admin', commandsEnabled: true },
      { secrets: testSecrets },
    )
  ).id;
}

export async function startBenchRun(env: CheckpointBenchEnv, jobId: string): Promise<string> {
  return (await startRun(env.database, { jobId, trigger: 'API', actor: 'bench', commandsEnabled: true })).id;
}

export interface RunRow {
  status: string;
  /** runs.started_at / ended_at as epoch ms (PostgreSQL and Node share the machine's clock). */
  startedAt: number | null;
  endedAt: number | null;
}

export async function readRun(env: CheckpointBenchEnv, runId: string): Promise<RunRow> {
  const [row] = await env.observer<{ status: string; started: number | null; ended: number | null }[]>`
    select status, (extract(epoch from started_at) * 1000)::float8 as started,
           (extract(epoch from ended_at) * 1000)::float8 as ended
    from runs where id = ${runId}`;
  if (!row) throw new Error(`run ${runId} not found`);
  return { status: row.status, startedAt: row.started, endedAt: row.ended };
}

const TERMINAL = ['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'];

/** Polls (every 20 ms, bounded) until the run has one of `statuses`; a terminal status that is not
 * wanted fails with the run's exceptions. */
export async function waitRun(
  env: CheckpointBenchEnv,
  runId: string,
  statuses: string[],
  timeoutMs: number,
): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await readRun(env, runId);
    if (statuses.includes(run.status)) return run;
    if (TERMINAL.includes(run.status)) {
      const errors = await env.observer<{ message: string }[]>`
        select message from run_exceptions where run_id = ${runId} order by id`;
      throw new Error(`run ${runId} ended ${run.status}: ${errors.map((e) => e.message).join('; ')}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`run ${runId} not ${statuses.join('/')} after ${timeoutMs} ms (${run.status})`);
    }
    await sleep(20);
  }
}

/** Cancels a run that is still going and waits until it has ended. */
export async function cancelRun(env: CheckpointBenchEnv, runId: string, timeoutMs = 20_000): Promise<void> {
  const run = await readRun(env, runId);
  if (TERMINAL.includes(run.status)) return;
  await requestStop(env.database, runId, 'CANCEL', 'bench');
  await waitRun(env, runId, TERMINAL, timeoutMs);
}

// ---------------------------------------------------------------------------------------------
// `jobgate node` child processes

const BIN = fileURLToPath(new URL('../bin/jobgate.mjs', import.meta.url));

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/** Spawns `jobgate node` (1 slot) and resolves once it prints its ready line. */
export async function startNodeProcess(options: {
  url: string;
  cluster: string;
  name: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  slots?: number;
}): Promise<NodeProcess> {
  const child = track(
    spawn(
      process.execPath,
      [
        BIN,
        'node',
        '--database-url',
        options.url,
        '--cluster',
        options.cluster,
        '--slots',
        String(options.slots ?? 1),
        '--name',
        options.name,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          JOBGATE_LOG_LEVEL: 'warn',
          JOBGATE_HEARTBEAT_INTERVAL_MS: String(options.heartbeatIntervalMs),
          JOBGATE_HEARTBEAT_TIMEOUT_MS: String(options.heartbeatTimeoutMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`node ${options.name} not ready after 60 s:\n${out}`)),
      60_000,
    );
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(`jobgate node ${options.name} ready`)) finish();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) =>
      finish(new Error(`node ${options.name} exited (${code}) before ready:\n${out}`)),
    );
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { name: options.name, child, exited, output: () => out };
}

/** SIGTERM (a graceful stop), SIGKILL after `timeoutMs`; resolves with the exit code. */
export async function stopNodeProcess(node: NodeProcess, timeoutMs = 10_000): Promise<number | null> {
  if (!running(node.child)) return node.child.exitCode;
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => running(node.child) && node.child.kill('SIGKILL'), timeoutMs);
  const code = await node.exited;
  clearTimeout(timer);
  return code;
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

/** Nearest-rank percentile (p99 of 100 samples is the 99th smallest). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const mean = (values: number[]): number =>
  values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN;

/** 1234567 → "1,234,567" */
export const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';

export const ms = (n: number): string => (Number.isFinite(n) ? String(Math.round(n)) : 'n/a');

export const signedPct = (ratio: number): string =>
  Number.isFinite(ratio) ? `${ratio >= 0 ? '+' : '−'}${Math.abs(ratio * 100).toFixed(1)}%` : 'n/a';

export const sleep = (millis: number) => new Promise<void>((r) => setTimeout(r, millis));

export const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
