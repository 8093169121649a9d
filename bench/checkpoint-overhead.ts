// What periodic checkpoints cost a pipeline's throughput: the same BATCH job FakeSource → Jdbc sink
// (PostgreSQL) with `checkpoint.interval` 1000 ms and without checkpoints, on one in-process node.
// Each run writes into a fresh table that is checked (every row exactly once) and dropped.
//
// Two designs, same jobs:
// - sequential: runs one at a time, alternated in pairs (with/without, then without/with, …); the
//   number is each run's duration, runs.started_at → runs.ended_at.
// - side by side: a run with and a run without checkpoints started together (the start order
//   alternates between rounds), so load from other work on the machine falls on both alike; the
//   number is each run's rows/s up to the moment the first of the two has written everything,
//   read from the Jdbc sink's committed positions (jobgate_sink_offsets) every 50 ms.
// - within one run (checkpoint-toggled.ts): checkpoints switched on and off in short alternating
//   windows of one long run; the median of the per-pair losses and their spread.
//
// Part of bench/checkpoint-bench.ts; alone (its own databases and in-process node):
//   node --import tsx bench/checkpoint-overhead.ts
import { loadavg } from 'node:os';
import { isMain, median, progress, runMain } from './support/main.ts';
import {
  benchJob,
  int,
  mean,
  ms,
  num,
  readRun,
  signedPct,
  sleep,
  startBenchRun,
  waitRun,
  type CheckpointBenchEnv,
  createCheckpointBenchEnv,
  startBenchRuntime,
} from './checkpoint-support.ts';
import {
  defaultToggledOptions,
  toggledBench,
  toggledMarkdown,
  type ToggledResult,
} from './checkpoint-toggled.ts';

const SEED = 11;

export interface OverheadOptions {
  rows: number;
  parallelism: number;
  batch: number;
  intervalMs: number;
  /** Sequential pairs; pair i runs (with, without) when i is even and (without, with) when odd. */
  pairs: number;
  /** Side-by-side rounds and the rows of each of their runs. */
  rounds: number;
  roundRows: number;
  warmupRows: number;
}

export const defaultOverheadOptions = (): OverheadOptions => ({
  rows: num('BENCH_CK_ROWS', 400_000),
  parallelism: 2,
  batch: num('BENCH_CK_BATCH', 2_000),
  intervalMs: 1_000,
  pairs: num('BENCH_CK_PAIRS', 4),
  rounds: num('BENCH_CK_ROUNDS', 2),
  roundRows: num('BENCH_CK_ROUND_ROWS', 500_000),
  warmupRows: 100_000,
});

export interface OverheadRun {
  order: number;
  checkpoints: boolean;
  ms: number;
  /** CPU (user + system) of this process, where the node and the coordinator run, during the run. */
  cpuMs: number;
  rowsPerSecond: number;
  completed: number;
  failed: number;
}

export interface SideBySide {
  round: number;
  /** Which run was started first. */
  firstWith: boolean;
  /** The overlap window: from the later start to the last sample before either had written all. */
  windowMs: number;
  withRate: number;
  withoutRate: number;
  completed: number;
}

export interface OverheadResult {
  options: OverheadOptions;
  runs: OverheadRun[];
  rounds: SideBySide[];
  toggled: ToggledResult;
}

interface Prepared {
  table: string;
  jobId: string;
}

async function prepare(
  env: CheckpointBenchEnv,
  cluster: string,
  options: OverheadOptions,
  rows: number,
  withCheckpoints: boolean,
  tag: string,
): Promise<Prepared> {
  const table = `ck_rows_${tag}`;
  await env.sinkSql.unsafe(`create table ${table} (id bigint, name text, value double precision)`);
  const jobId = await benchJob(env, {
    name: `ck-overhead-${tag}`,
    cluster,
    pipeline: {
      env: {
        'job.mode': 'BATCH',
        parallelism: options.parallelism,
        ...(withCheckpoints ? { 'checkpoint.interval': options.intervalMs } : {}),
      },
      source: [{ plugin_name: 'FakeSource', 'row.num': rows / options.parallelism, seed: SEED }],
      sink: [{ plugin_name: 'Jdbc', url: env.sink.url, table, batch_size: options.batch }],
    },
  });
  return { table, jobId };
}

/** Checks the table holds every row once, drops it, and counts the run's checkpoints (completed
 * ones are pruned to the newest 3, so from the events). */
async function finish(
  env: CheckpointBenchEnv,
  table: string,
  runId: string,
  rows: number,
): Promise<{ completed: number; failed: number }> {
  try {
    const [counts] = await env.sinkSql.unsafe<{ n: number; d: number }[]>(
      `select count(*)::int as n, count(distinct id)::int as d from ${table}`,
    );
    if (counts?.n !== rows || counts.d !== rows) {
      throw new Error(`${table}: ${counts?.n} rows (${counts?.d} distinct), expected ${rows} once each`);
    }
    const [events] = await env.observer<{ completed: number; failed: number }[]>`
      select count(*) filter (where type = 'checkpoint:completed')::int as completed,
             count(*) filter (where type = 'checkpoint:failed')::int as failed
      from events where run_id = ${runId}`;
    return { completed: events?.completed ?? 0, failed: events?.failed ?? 0 };
  } finally {
    await env.sinkSql.unsafe(`drop table if exists ${table}`);
  }
}

async function sequentialRun(
  env: CheckpointBenchEnv,
  cluster: string,
  options: OverheadOptions,
  rows: number,
  withCheckpoints: boolean,
  tag: string,
): Promise<Omit<OverheadRun, 'order'>> {
  const { table, jobId } = await prepare(env, cluster, options, rows, withCheckpoints, tag);
  const cpu0 = process.cpuUsage();
  let runId = '';
  try {
    runId = await startBenchRun(env, jobId);
    await waitRun(env, runId, ['FINISHED'], 180_000);
  } catch (err) {
    await env.sinkSql.unsafe(`drop table if exists ${table}`);
    throw err;
  }
  const cpu = process.cpuUsage(cpu0);
  const run = await readRun(env, runId);
  const counts = await finish(env, table, runId, rows);
  const duration = run.endedAt! - run.startedAt!;
  return {
    checkpoints: withCheckpoints,
    ms: duration,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rowsPerSecond: rows / (duration / 1000),
    ...counts,
  };
}

async function sideBySide(
  env: CheckpointBenchEnv,
  cluster: string,
  options: OverheadOptions,
  round: number,
): Promise<SideBySide> {
  const rows = options.roundRows;
  const firstWith = round % 2 === 1;
  const w = await prepare(env, cluster, options, rows, true, `s${round}w`);
  const n = await prepare(env, cluster, options, rows, false, `s${round}n`);
  const sql = env.sinkSql;
  const ids: { w: string; n: string } = { w: '', n: '' };
  try {
    if (firstWith) {
      ids.w = await startBenchRun(env, w.jobId);
      ids.n = await startBenchRun(env, n.jobId);
    } else {
      ids.n = await startBenchRun(env, n.jobId);
      ids.w = await startBenchRun(env, w.jobId);
    }
    const started = { w: NaN, n: NaN };
    let last: { at: number; w: number; n: number } | undefined;
    const deadline = Date.now() + 180_000;
    for (;;) {
      // When each run started (jobgate's database), then the rows each has committed: the sum of its
      // sink's split offsets (the sink database), at the server's clock, which both share.
      const [r] = await env.observer<{ sw: number | null; sn: number | null }[]>`
        select (select (extract(epoch from started_at) * 1000)::float8 from runs where id = ${ids.w}) as sw,
          (select (extract(epoch from started_at) * 1000)::float8 from runs where id = ${ids.n}) as sn`;
      started.w = r?.sw ?? NaN;
      started.n = r?.sn ?? NaN;
      const rowsNow = await sql<{ at: number; w: string | null; n: string | null }[]>`
        select (extract(epoch from clock_timestamp()) * 1000)::float8 as at,
          (select sum((position->>'offset')::bigint) from jobgate_sink_offsets where commit_key like ${`${ids.w}/%`}) as w,
          (select sum((position->>'offset')::bigint) from jobgate_sink_offsets where commit_key like ${`${ids.n}/%`}) as n`;
      const s = rowsNow[0]!;
      const sample = { at: s.at, w: Number(s.w ?? 0), n: Number(s.n ?? 0) };
      if (sample.w >= rows || sample.n >= rows) break;
      last = sample;
      if (Date.now() > deadline) throw new Error(`side-by-side round ${round}: not done after 180 s`);
      await sleep(50);
    }
    await waitRun(env, ids.w, ['FINISHED'], 180_000);
    await waitRun(env, ids.n, ['FINISHED'], 180_000);
    const counts = await finish(env, w.table, ids.w, rows);
    await finish(env, n.table, ids.n, rows);
    if (!last) throw new Error(`side-by-side round ${round}: no sample before the first run finished`);
    return {
      round,
      firstWith,
      windowMs: last.at - Math.max(started.w, started.n),
      withRate: last.w / ((last.at - started.w) / 1000),
      withoutRate: last.n / ((last.at - started.n) / 1000),
      completed: counts.completed,
    };
  } finally {
    await sql.unsafe(`drop table if exists ${w.table}`);
    await sql.unsafe(`drop table if exists ${n.table}`);
  }
}

export async function overheadBench(
  env: CheckpointBenchEnv,
  cluster: string,
  options = defaultOverheadOptions(),
): Promise<OverheadResult> {
  progress(`checkpoints/overhead: warm-up run (${int(options.warmupRows)} rows, not counted)`);
  await sequentialRun(env, cluster, options, options.warmupRows, true, 'warmup');
  const runs: OverheadRun[] = [];
  for (let pair = 0; pair < options.pairs; pair++) {
    const order = pair % 2 === 0 ? [true, false] : [false, true];
    for (const withCheckpoints of order) {
      const n = runs.length + 1;
      const run = await sequentialRun(env, cluster, options, options.rows, withCheckpoints, `r${n}`);
      runs.push({ order: n, ...run });
      progress(
        `checkpoints/overhead: run ${n} ${withCheckpoints ? 'with' : 'without'} checkpoints: ${ms(run.ms)} ms` +
          (withCheckpoints ? ` (${run.completed} completed)` : ''),
      );
    }
  }
  const toggled = await toggledBench(env, cluster, defaultToggledOptions());
  const rounds: SideBySide[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const r = await sideBySide(env, cluster, options, round);
    rounds.push(r);
    progress(
      `checkpoints/overhead: side by side ${round}: with ${int(r.withRate)} rows/s, without ${int(r.withoutRate)} rows/s`,
    );
  }
  return { options, runs, rounds, toggled };
}

export function overheadMarkdown(result: OverheadResult): string {
  const { options, runs, rounds, toggled } = result;
  const withRuns = runs.filter((r) => r.checkpoints);
  const withoutRuns = runs.filter((r) => !r.checkpoints);
  const withMs = mean(withRuns.map((r) => r.ms));
  const withoutMs = mean(withoutRuns.map((r) => r.ms));
  const spread = (list: OverheadRun[]) => {
    const values = list.map((r) => r.ms);
    return `${ms(Math.min(...values))}–${ms(Math.max(...values))}`;
  };
  // Pairwise: each with-run against the without-run of its own pair (duration ratio − 1).
  const pairRatios: number[] = [];
  for (let i = 0; i + 1 < runs.length; i += 2) {
    const a = runs[i]!;
    const b = runs[i + 1]!;
    const w = a.checkpoints ? a : b;
    const wo = a.checkpoints ? b : a;
    pairRatios.push(w.ms / wo.ms - 1);
  }
  const minWith = Math.min(...withRuns.map((r) => r.ms));
  const minWithout = Math.min(...withoutRuns.map((r) => r.ms));
  const roundLoss = rounds.map((r) => 1 - r.withRate / r.withoutRate);
  const sideWith = mean(rounds.map((r) => r.withRate));
  const sideWithout = mean(rounds.map((r) => r.withoutRate));
  const sideLoss = 1 - sideWith / sideWithout;
  const pctOf = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
  const sequentialCheckpoints = withRuns.reduce((n, r) => n + r.completed, 0);
  return [
    `### Throughput with checkpoints every ${options.intervalMs} ms vs none`,
    '',
    `BATCH job FakeSource (parallelism ${options.parallelism}) → Jdbc sink (batch_size ${int(options.batch)}) into a ` +
      `fresh table in a separate sink database on the same PostgreSQL, on one in-process node (4 slots; ` +
      `coordinator in the same process, default intervals), after one untimed warm-up run. Every table ` +
      `was checked to hold each row exactly once.`,
    '',
    `**Sequential** (${int(options.rows)} rows per run; pairs alternate with/without, then without/with; ` +
      `duration is runs.started_at → ended_at; "CPU" is this process's user + system time during the run):`,
    '',
    '| run | checkpoints | duration ms | rows/s | CPU ms | checkpoints completed | failed |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.order} | ${r.checkpoints ? `every ${options.intervalMs} ms` : 'none'} | ${ms(r.ms)} | ` +
        `${int(r.rowsPerSecond)} | ${ms(r.cpuMs)} | ${r.checkpoints ? r.completed : '–'} | ${r.checkpoints ? r.failed : '–'} |`,
    ),
    '',
    `Mean duration with checkpoints ${ms(withMs)} ms (${spread(withRuns)}), without ${ms(withoutMs)} ms ` +
      `(${spread(withoutRuns)}): **${signedPct(withMs / withoutMs - 1)}** duration; per pair: ` +
      `${pairRatios.map(signedPct).join(', ')} (median ${signedPct(median(pairRatios))}); fastest with ` +
      `vs fastest without (noise from other work only adds time): ${signedPct(minWith / minWithout - 1)}. ` +
      `The runs without checkpoints alone spread by ${pctOf(Math.max(...withoutRuns.map((r) => r.ms)) / minWithout - 1)} ` +
      `(slowest vs fastest), so on a shared machine this design only bounds the effect loosely.` +
      (sequentialCheckpoints < 2 * withRuns.length
        ? ` The runs with checkpoints completed ${sequentialCheckpoints} in all: they last about one ` +
          `interval or less here, so this design says little about the cost (within one run, below, does).`
        : ''),
    '',
    `**Side by side** (${int(options.roundRows)} rows per run; a run with and a run without checkpoints started ` +
      `together, each on 2 of the 4 slots; rows/s of each from its start to the last 50 ms sample before either ` +
      `had written all its rows, from the sink's committed positions):`,
    '',
    '| round | started first | overlap window ms | with checkpoints rows/s | without rows/s | throughput loss with checkpoints | checkpoints completed |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...rounds.map(
      (r, i) =>
        `| ${r.round} | ${r.firstWith ? 'with' : 'without'} | ${ms(r.windowMs)} | ${int(r.withRate)} | ` +
        `${int(r.withoutRate)} | ${signedPct(roundLoss[i]!)} | ${r.completed} |`,
    ),
    '',
    `Side by side, mean: with ${int(sideWith)} rows/s, without ${int(sideWithout)} rows/s: **throughput loss ` +
      `${signedPct(sideLoss)} with checkpoints every ${options.intervalMs} ms** (target: at most 5%: ` +
      (rounds.some((r) => r.completed < 2)
        ? `not decided here: a round completed fewer than 2 checkpoints, its window is too short to tell).`
        : `${sideLoss <= 0.05 ? 'met' : `**missed** by ${pctOf(sideLoss - 0.05)} points`}).`),
    '',
    toggledMarkdown(toggled),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  await runMain(async () => {
    const load = loadavg()[0] ?? NaN;
    const env = await createCheckpointBenchEnv();
    try {
      const runtime = await startBenchRuntime(env, { cluster: 'ck-overhead', slots: 4 });
      try {
        const result = await overheadBench(env, 'ck-overhead');
        return (
          `${overheadMarkdown(result)}\n\n(1-minute load average ${load.toFixed(2)} at the start, ` +
          `${(loadavg()[0] ?? NaN).toFixed(2)} at the end.)`
        );
      } finally {
        await runtime.stop();
      }
    } finally {
      await env.close();
    }
  });
}
