// What checkpoints every 1 s cost a pipeline in steady state, within ONE run: a BATCH job
// FakeSource → Jdbc sink with more rows than it can write in the measurement, whose checkpoint
// interval the benchmark switches between 1000 ms and none (an UPDATE of its job version's
// checkpoint_interval_ms, which the coordinator reads on every tick) in short alternating windows,
// paired with/without then without/with. A window's number is the rows the sink committed in it
// (the sum of its split offsets in jobgate_sink_offsets, at the sink server's clock) per second.
// Each pair compares two adjacent windows, so load from other work that changes more slowly than a
// pair falls on both alike; per-run costs (claim, open, the end) are outside the windows. The run
// is cancelled at the end and checked: the table holds each row once, as many as the stored
// offsets say.
import { median, progress } from './support/main.ts';
import {
  benchJob,
  cancelRun,
  int,
  ms,
  num,
  signedPct,
  sleep,
  startBenchRun,
  waitRun,
  type CheckpointBenchEnv,
} from './checkpoint-support.ts';

export interface ToggledOptions {
  parallelism: number;
  batch: number;
  intervalMs: number;
  /** Length of each window (with or without checkpoints). */
  windowMs: number;
  /** Pairs of windows; pair i is (with, without) when i is even, (without, with) when odd. */
  pairs: number;
  /** Unmeasured lead-in after the run is RUNNING, checkpoints off. */
  warmupMs: number;
}

export const defaultToggledOptions = (): ToggledOptions => ({
  parallelism: 2,
  batch: num('BENCH_CK_BATCH', 2_000),
  intervalMs: 1_000,
  windowMs: num('BENCH_CK_WINDOW_MS', 2_000),
  pairs: num('BENCH_CK_WINDOW_PAIRS', 12),
  warmupMs: 2_000,
});

export interface ToggledWindow {
  pair: number;
  checkpoints: boolean;
  ms: number;
  rowsPerSecond: number;
  /** CPU (user + system) of this process, where the node and coordinator run, per 1,000 rows
   * committed: less sensitive to other work on the machine than rows/s. */
  cpuMsPerKRows: number;
  /** checkpoint:completed events of the run inside the window. */
  completed: number;
  /** Statements the runtime sent to jobgate's database in the window (not the sink's). */
  statements: number;
}

export interface ToggledResult {
  options: ToggledOptions;
  windows: ToggledWindow[];
  /** Per pair: 1 − with rate / without rate. */
  losses: number[];
  /** Per pair: with CPU per row / without CPU per row − 1. */
  cpuCosts: number[];
  rows: number;
}

/** Rows per subtask: more than any machine writes in the measurement (the run is cancelled). */
const ROWS_PER_SUBTASK = 50_000_000;

export async function toggledBench(
  env: CheckpointBenchEnv,
  cluster: string,
  options = defaultToggledOptions(),
): Promise<ToggledResult> {
  const table = 'ck_rows_toggled';
  await env.sinkSql.unsafe(`create table ${table} (id bigint, name text, value double precision)`);
  try {
    const jobId = await benchJob(env, {
      name: 'ck-overhead-toggled',
      cluster,
      pipeline: {
        env: {
          'job.mode': 'BATCH',
          parallelism: options.parallelism,
          'checkpoint.interval': options.intervalMs,
        },
        source: [{ plugin_name: 'FakeSource', 'row.num': ROWS_PER_SUBTASK, seed: 11 }],
        sink: [{ plugin_name: 'Jdbc', url: env.sink.url, table, batch_size: options.batch }],
      },
    });
    const setInterval = (on: boolean) => env.observer`
      update job_versions set checkpoint_interval_ms = ${on ? options.intervalMs : null}
      where job_id = ${jobId}`;
    await setInterval(false);
    const runId = await startBenchRun(env, jobId);
    const committed = async (): Promise<{ at: number; rows: number }> => {
      const [r] = await env.sinkSql<{ at: number; rows: string | null }[]>`
        select (extract(epoch from clock_timestamp()) * 1000)::float8 as at,
          (select sum((position->>'offset')::bigint) from jobgate_sink_offsets
            where commit_key like ${`${runId}/%`}) as rows`;
      return { at: r!.at, rows: Number(r!.rows ?? 0) };
    };
    const completedBetween = async (from: number, to: number): Promise<number> => {
      const [r] = await env.observer<{ n: number }[]>`
        select count(*)::int as n from events where run_id = ${runId} and type = 'checkpoint:completed'
          and at >= to_timestamp(${from / 1000}) and at < to_timestamp(${to / 1000})`;
      return r?.n ?? 0;
    };
    const windows: ToggledWindow[] = [];
    let statements = 0;
    env.trace = (event) => {
      if (!event.text.startsWith('NOTIFY ')) statements++;
    };
    try {
      await waitRun(env, runId, ['RUNNING'], 60_000);
      await sleep(options.warmupMs);
      for (let pair = 0; pair < options.pairs; pair++) {
        for (const on of pair % 2 === 0 ? [true, false] : [false, true]) {
          await setInterval(on);
          const start = await committed();
          const cpu0 = process.cpuUsage();
          const statements0 = statements;
          await sleep(options.windowMs);
          const end = await committed();
          const cpu = process.cpuUsage(cpu0);
          const sent = statements - statements0;
          windows.push({
            pair,
            checkpoints: on,
            ms: end.at - start.at,
            rowsPerSecond: (end.rows - start.rows) / ((end.at - start.at) / 1000),
            cpuMsPerKRows: (cpu.user + cpu.system) / (end.rows - start.rows),
            completed: await completedBetween(start.at, end.at),
            statements: sent,
          });
        }
        const [a, b] = windows.slice(-2);
        const w = a!.checkpoints ? a! : b!;
        const wo = a!.checkpoints ? b! : a!;
        progress(
          `checkpoints/overhead: window pair ${pair + 1}: with ${int(w.rowsPerSecond)} rows/s ` +
            `(${w.completed} completed), without ${int(wo.rowsPerSecond)} rows/s`,
        );
      }
      // A run that failed meanwhile would read as windows of 0 rows/s: that is an error.
      await waitRun(env, runId, ['RUNNING'], 1_000);
    } finally {
      env.trace = undefined;
      await setInterval(false);
      await cancelRun(env, runId);
    }
    const [counts] = await env.sinkSql.unsafe<{ n: number; d: number }[]>(
      `select count(*)::int as n, count(distinct id)::int as d from ${table}`,
    );
    const stored = (await committed()).rows;
    if (counts?.n !== stored || counts.d !== stored) {
      throw new Error(`${table}: ${counts?.n} rows (${counts?.d} distinct), offsets say ${stored} once each`);
    }
    const losses: number[] = [];
    const cpuCosts: number[] = [];
    for (let i = 0; i + 1 < windows.length; i += 2) {
      const [a, b] = [windows[i]!, windows[i + 1]!];
      const w = a.checkpoints ? a : b;
      const wo = a.checkpoints ? b : a;
      losses.push(1 - w.rowsPerSecond / wo.rowsPerSecond);
      cpuCosts.push(w.cpuMsPerKRows / wo.cpuMsPerKRows - 1);
    }
    return { options, windows, losses, cpuCosts, rows: stored };
  } finally {
    await env.sinkSql.unsafe(`drop table if exists ${table}`);
  }
}

/** A distribution-free confidence interval for the median of `values` (order statistics x(k) and
 * x(n+1−k), k the largest with P(Binomial(n, ½) < k) ≤ 2.5%), with its exact coverage: it makes
 * no assumption about the shape of the noise. 12 pairs give x(3)..x(10), 96%. */
export function medianInterval(values: number[]): { low: number; high: number; coverage: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let below = 0; // P(X < k), accumulated
  let k = 0;
  let pmf = Math.pow(0.5, n); // P(X = 0)
  while (k < n && below + pmf <= 0.025) {
    below += pmf;
    pmf = (pmf * (n - k)) / (k + 1);
    k++;
  }
  if (k === 0) return { low: -Infinity, high: Infinity, coverage: 1 };
  return { low: sorted[k - 1]!, high: sorted[n - k]!, coverage: 1 - 2 * below };
}

/** The q-quantile by linear interpolation between order statistics. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function toggledMarkdown(result: ToggledResult): string {
  const { options, windows, losses, cpuCosts } = result;
  const on = windows.filter((w) => w.checkpoints);
  const off = windows.filter((w) => !w.checkpoints);
  const completed = on.reduce((s, w) => s + w.completed, 0);
  const onSeconds = on.reduce((s, w) => s + w.ms, 0) / 1000;
  const spill = off.reduce((s, w) => s + w.completed, 0);
  const med = median(losses);
  const q1 = quantile(losses, 0.25);
  const q3 = quantile(losses, 0.75);
  const above = losses.filter((l) => l > 0.05).length;
  const ci = medianInterval(losses);
  const statementsOn = on.reduce((s, w) => s + w.statements, 0);
  const statementsOff = off.reduce((s, w) => s + w.statements, 0);
  const offSeconds = off.reduce((s, w) => s + w.ms, 0) / 1000;
  const perCheckpoint = (statementsOn - (statementsOff / offSeconds) * onSeconds) / completed;
  const verdict =
    ci.high <= 0.05
      ? 'met (the whole interval is at most 5%)'
      : ci.low > 0.05
        ? '**missed** (the whole interval is above 5%)'
        : `not decided by this run (the interval straddles 5%; median ${med <= 0.05 ? 'at most' : 'above'} 5%)`;
  return [
    `**Within one run** (checkpoints switched on and off in ${ms(options.windowMs)} ms windows; ` +
      `${options.pairs} pairs alternating with/without, then without/with, after ${ms(options.warmupMs)} ms ` +
      `unmeasured; rows/s committed by the sink in each window; the run is then cancelled and its ` +
      `table checked: ${int(result.rows)} rows, each once, as the stored offsets say):`,
    '',
    '| pair | with checkpoints rows/s | checkpoints completed | without rows/s | throughput loss with checkpoints | CPU ms per 1,000 rows with / without |',
    '|---:|---:|---:|---:|---:|---:|',
    ...losses.map((loss, pair) => {
      const w = on.find((x) => x.pair === pair)!;
      const wo = off.find((x) => x.pair === pair)!;
      return (
        `| ${pair + 1} | ${int(w.rowsPerSecond)} | ${w.completed} | ${int(wo.rowsPerSecond)} | ${signedPct(loss)} | ` +
        `${w.cpuMsPerKRows.toFixed(2)} / ${wo.cpuMsPerKRows.toFixed(2)} |`
      );
    }),
    '',
    `Within one run: **median throughput loss ${signedPct(med)}** with checkpoints every ${options.intervalMs} ms, ` +
      `${(ci.coverage * 100).toFixed(0)}% confidence interval of the median ${signedPct(ci.low)} to ${signedPct(ci.high)} ` +
      `(interquartile ${signedPct(q1)} to ${signedPct(q3)}, range ${signedPct(Math.min(...losses))} to ` +
      `${signedPct(Math.max(...losses))}; ${above} of ${losses.length} pairs above 5%); ${completed} checkpoints ` +
      `completed in ${onSeconds.toFixed(1)} s with them on (${(completed / onSeconds).toFixed(2)}/s), ` +
      `${spill} in the windows without (one in flight at the switch). Target at most 5%: ${verdict}. CPU of this process per row with checkpoints vs ` +
      `without, per pair: median ${signedPct(median(cpuCosts))} (interquartile ${signedPct(quantile(cpuCosts, 0.25))} ` +
      `to ${signedPct(quantile(cpuCosts, 0.75))}). Statements the runtime sent to jobgate's database: ` +
      `${(statementsOn / onSeconds).toFixed(1)}/s with checkpoints, ${(statementsOff / offSeconds).toFixed(1)}/s ` +
      `without, so about ${perCheckpoint.toFixed(0)} per checkpoint.`,
  ].join('\n');
}
