// Shared pieces of the runtime benchmarks (bench/runtime-*.ts): one migrated bench database, an
// empty sink database for the Jdbc sink (the plugin refuses jobgate's own database), an
// in-process runtime (coordinator + one node, production defaults: no pollMs), jobs, waiting for a
// run, and small statistics helpers.
import type { Database } from '../src/db/client.ts';
import {
  createJob,
  safeBaseEnv,
  startRun,
  startRuntime,
  type JobSettingsInput,
  type Runtime,
} from '../src/runtime/index.ts';
import { createBenchDatabase, type BenchDatabase } from './support/pg.ts';
import { createMigratedBenchDatabase, RUNTIME_DEFAULTS, silent } from './support/runtime-env.ts';
import { testSecrets } from '../test/support/secrets.ts';

export { silent, RUNTIME_DEFAULTS };

export interface RuntimeBenchEnv {
  bench: BenchDatabase;
  /** An empty database on the same server for Jdbc sinks: the plugin refuses jobgate's own. */
  sink: BenchDatabase;
  database: Database;
  /** Started by startNode(); undefined before. */
  runtime?: Runtime;
  startNode(slots: number): Promise<Runtime>;
  close(): Promise<void>;
}

export async function createRuntimeBenchEnv(): Promise<RuntimeBenchEnv> {
  const { bench, database } = await createMigratedBenchDatabase('rt');
  const sink = await createBenchDatabase('rt_sink').catch(async (err: unknown) => {
    await database.close().catch(() => {});
    await bench.drop();
    throw err;
  });
  const env: RuntimeBenchEnv = {
    bench,
    sink,
    database,
    async startNode(slots) {
      if (env.runtime) return env.runtime;
      env.runtime = await startRuntime({
        database,
        logger: silent,
        cluster: 'default',
        node: { slots, tags: {}, name: 'bench-node' },
        coordinator: true,
        heartbeatIntervalMs: RUNTIME_DEFAULTS.heartbeatIntervalMs,
        heartbeatTimeoutMs: RUNTIME_DEFAULTS.heartbeatTimeoutMs,
        commandsEnabled: true,
        commandEnv: safeBaseEnv(process.env),
        secrets: testSecrets,
        // pollMs omitted on purpose: the defaults are what is measured.
      });
      return env.runtime;
    },
    async close() {
      await env.runtime?.stop().catch((err: unknown) => console.error('runtime stop failed:', err));
      await database.close().catch(() => {});
      await bench.drop();
      await sink.drop();
    },
  };
  return env;
}

export interface RunTimes {
  id: string;
  status: string;
  /** Wall clock (ms since epoch) of the startRun call, in this process. */
  calledAt: number;
  /** When this process first saw the run terminal (polling every POLL_MS). */
  observedEndAt: number;
  /** runs.started_at / ended_at as epoch ms (PostgreSQL and Node share the machine's clock). */
  startedAt: number;
  endedAt: number;
}

const POLL_MS = 10;

/** Creates a job (actor `bench`) and returns its id. */
export async function benchJob(database: Database, input: JobSettingsInput): Promise<string> {
  return (
    await createJob(
      database,
      input,
      { name: 'bench', role: 'admin', commandsEnabled: true },
      { secrets: testSecrets },
    )
  ).id;
}

/** Starts a run of `jobId` and waits (bounded) until it is terminal. */
export async function runToEnd(database: Database, jobId: string, timeoutMs: number): Promise<RunTimes> {
  const calledAt = Date.now();
  const run = await startRun(database, { jobId, trigger: 'API', actor: 'bench', commandsEnabled: true });
  return waitTerminal(database, run.id, calledAt, timeoutMs);
}

export async function waitTerminal(
  database: Database,
  runId: string,
  calledAt: number,
  timeoutMs: number,
): Promise<RunTimes> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await database.query<{ status: string; started: string | null; ended: string | null }>(
      `select status, (extract(epoch from started_at) * 1000)::float8 as started,
              (extract(epoch from ended_at) * 1000)::float8 as ended
       from runs where id = $1`,
      [runId],
    );
    if (row && ['FINISHED', 'FAILED', 'CANCELED'].includes(row.status)) {
      const observedEndAt = Date.now();
      if (row.status !== 'FINISHED') {
        const errors = await database.query<{ message: string }>(
          `select message from run_exceptions where run_id = $1 order by id`,
          [runId],
        );
        throw new Error(`run ${runId} ended ${row.status}: ${errors.map((e) => e.message).join('; ')}`);
      }
      return {
        id: runId,
        status: row.status,
        calledAt,
        observedEndAt,
        startedAt: Number(row.started),
        endedAt: Number(row.ended),
      };
    }
    if (Date.now() > deadline)
      throw new Error(`run ${runId} not terminal after ${timeoutMs} ms (${row?.status})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Nearest-rank percentile (p99 of 50 samples is the largest). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** 1234567 → "1,234,567" */
export const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';

export const pct = (ratio: number): string =>
  Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : 'n/a';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lets pending I/O callbacks run between chunks of synchronous work. */
export const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));
