// Records through the real runtime (createJob + startRun on an in-process node), each against a
// baseline in the same run:
// - FakeSource → Jdbc sink vs plain postgres.js multi-row inserts of the same rows, same batch size,
//   same number of connections, into an identical table.
// - FakeSource → Blackhole (parallelism 1) vs a bare loop pulling the same FakeSource reader through
//   the plugin API into nothing.
import postgres from 'postgres';
import { fakeSource } from '../src/runtime/plugins/fake-source.ts';
import type { Row, SourceReader } from '../src/runtime/plugins/types.ts';
import { fmt, progress } from './support/main.ts';
import {
  benchJob,
  int,
  pct,
  runToEnd,
  silent,
  type RunTimes,
  type RuntimeBenchEnv,
} from './runtime-support.ts';

const SEED = 7;
/** PipelineRunner's read size when the executor passes none (run-pipeline.ts). */
const RUNNER_BATCH = 1024;

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface PipelineBenchOptions {
  jdbcRows: number;
  jdbcBatch: number;
  jdbcParallelisms: number[];
  /** Rounds per parallelism; each round runs every writer once, in alternating order. */
  jdbcRounds: number;
  blackholeRows: number;
}

export const defaultPipelineOptions = (): PipelineBenchOptions => ({
  jdbcRows: num('BENCH_RT_JDBC_ROWS', 400_000),
  jdbcBatch: num('BENCH_RT_JDBC_BATCH', 2_000),
  jdbcParallelisms: [2, 4],
  jdbcRounds: num('BENCH_RT_JDBC_ROUNDS', 2),
  blackholeRows: num('BENCH_RT_BLACKHOLE_ROWS', 5_000_000),
});

/** Opens FakeSource's reader for one subtask exactly as the runtime does (same options and splits). */
async function openFake(options: Record<string, unknown>, subtaskIndex: number, parallelism: number) {
  return fakeSource.open(options, {
    vertex: 'fake',
    subtaskIndex,
    parallelism,
    commitKey: 'bench/fake',
    logger: silent,
    signal: new AbortController().signal,
    splitCount: await fakeSource.splitCount(options, parallelism),
    bounded: true,
  });
}

async function drain(reader: SourceReader, onRows: (rows: Row[]) => void): Promise<void> {
  for (;;) {
    const result = await reader.read(RUNNER_BATCH);
    if (result.kind === 'end') break;
    if (result.kind === 'rows') onRows(result.rows);
  }
  await reader.close();
}

// ---------------------------------------------------------------------------------------------
// FakeSource → Jdbc

/** A timed write: wall ms and this process's CPU ms (user + system) over it. */
interface Timed {
  ms: number;
  cpuMs: number;
}

interface JdbcResult {
  parallelism: number;
  round: number;
  jobgate: RunTimes & { cpuMs: number };
  /** Plain autocommit multi-row inserts (rows generated beforehand). */
  plain: Timed;
  /** The same inserts in the sink's transaction shape: BEGIN, insert(s), offsets upsert, COMMIT. */
  tx: Timed;
  /** The same two writes in ONE autocommitted statement (a data-modifying CTE): atomic, one round trip. */
  cte: Timed;
  /** Time to generate the same rows with FakeSource (not part of the baselines' times). */
  generateMs: number;
}

type BaselineMode = 'plain' | 'tx' | 'cte';

const createTable = (sql: postgres.Sql, table: string) =>
  sql.unsafe(`create table ${table} (id bigint, name text, value double precision)`);

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function checkTable(sql: postgres.Sql, table: string, rows: number): Promise<void> {
  const [c] = await sql.unsafe<{ n: number; d: number }[]>(
    `select count(*)::int as n, count(distinct id)::int as d from ${table}`,
  );
  if (c?.n !== rows || c.d !== rows) {
    throw new Error(`${table}: ${c?.n} rows (${c?.d} distinct ids), expected ${rows}`);
  }
}

async function jdbcJobgate(
  env: RuntimeBenchEnv,
  admin: postgres.Sql,
  table: string,
  rows: number,
  parallelism: number,
  batch: number,
): Promise<RunTimes & { cpuMs: number }> {
  await createTable(admin, table);
  const jobId = await benchJob(env.database, {
    name: `jdbc-${table}`,
    pipeline: {
      env: { 'job.mode': 'BATCH', parallelism },
      source: [
        { plugin_name: 'FakeSource', 'row.num': rows / parallelism, seed: SEED, plugin_output: 'fake' },
      ],
      sink: [{ plugin_name: 'Jdbc', url: env.sink.url, table, plugin_input: 'fake', batch_size: batch }],
    },
  });
  const cpu0 = process.cpuUsage();
  const times = await runToEnd(env.database, jobId, 120_000);
  const cpuMs = cpuMsSince(cpu0);
  await checkTable(admin, table, rows);
  return { ...times, cpuMs };
}

/** The sink's offsets upsert (jdbc-sink.ts), against a table of the same shape owned by the bench. */
const BASE_OFFSETS = 'rt_base_sink_offsets';
const UPSERT_BASE_OFFSETS = `insert into ${BASE_OFFSETS} (commit_key, split, position, committed_at)
select $1, t.split, t.position::jsonb, now() from unnest($2::int[], $3::text[]) as t(split, position)
on conflict (commit_key, split) do update set position = excluded.position, committed_at = excluded.committed_at`;

async function jdbcBaseline(
  env: RuntimeBenchEnv,
  admin: postgres.Sql,
  mode: BaselineMode,
  table: string,
  rows: number,
  parallelism: number,
  batch: number,
): Promise<Timed & { generateMs: number }> {
  await createTable(admin, table);
  await admin.unsafe(`create table if not exists ${BASE_OFFSETS} (
    commit_key text not null, split int not null, position jsonb not null,
    committed_at timestamptz not null default now(), primary key (commit_key, split))`);
  // The same rows the job's subtasks produce, generated up front (not timed as insert time).
  const g0 = performance.now();
  const perSubtask: Row[][] = [];
  for (let i = 0; i < parallelism; i++) {
    const out: Row[] = [];
    await drain(
      await openFake({ 'row.num': rows / parallelism, seed: SEED }, i, parallelism),
      (batchRows) => {
        for (const r of batchRows) out.push(r);
      },
    );
    perSubtask.push(out);
  }
  const generateMs = performance.now() - g0;
  // One connection per subtask, as the sink has; each inserts its share in batches of `batch`.
  const clients = perSubtask.map(() => postgres(env.sink.url, { max: 1, onnotice: () => {} }));
  try {
    await Promise.all(clients.map((sql) => sql`select 1`)); // connect outside the timing
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      perSubtask.map(async (share, i) => {
        const sql = clients[i]!;
        for (let start = 0; start < share.length; start += batch) {
          const chunk = share.slice(start, start + batch);
          if (mode === 'plain') {
            await sql`insert into ${sql(table)} ${sql(chunk, 'id', 'name', 'value')}`;
          } else if (mode === 'cte') {
            const position = JSON.stringify({ offset: start + chunk.length });
            await sql`with written as (insert into ${sql(table)} ${sql(chunk, 'id', 'name', 'value')})
              insert into ${sql(BASE_OFFSETS)} (commit_key, split, position, committed_at)
              values (${`${table}/sink`}, ${i}, ${position}::text::jsonb, now())
              on conflict (commit_key, split) do update
              set position = excluded.position, committed_at = excluded.committed_at`;
          } else {
            // Split i (split.num = parallelism), position = rows of it written so far.
            const position = JSON.stringify({ offset: start + chunk.length });
            await sql.begin((tx) => [
              tx`insert into ${tx(table)} ${tx(chunk, 'id', 'name', 'value')}`,
              tx.unsafe(UPSERT_BASE_OFFSETS, [`${table}/sink`, [i], [position]], { prepare: true }),
            ]);
          }
        }
      }),
    );
    const ms = performance.now() - t0;
    const cpuMs = cpuMsSince(cpu0);
    await checkTable(admin, table, rows);
    return { ms, cpuMs, generateMs };
  } finally {
    await Promise.all(clients.map((c) => c.end({ timeout: 5 })));
  }
}

// ---------------------------------------------------------------------------------------------
// FakeSource → Blackhole

interface BlackholeResult {
  jobgate: RunTimes[];
  baselineMs: number[];
  recordsOut: number;
}

async function blackholeBaseline(rows: number): Promise<number> {
  let seen = 0;
  let last: Row | undefined;
  const t0 = performance.now();
  await drain(await openFake({ 'row.num': rows, seed: SEED }, 0, 1), (batch) => {
    seen += batch.length;
    last = batch[batch.length - 1];
  });
  const ms = performance.now() - t0;
  if (seen !== rows || last?.id !== rows - 1)
    throw new Error(`baseline pulled ${seen} rows, expected ${rows}`);
  return ms;
}

// ---------------------------------------------------------------------------------------------

export interface PipelineBenchResult {
  jdbc: JdbcResult[];
  blackhole: BlackholeResult;
  options: PipelineBenchOptions;
}

export async function pipelineBench(
  env: RuntimeBenchEnv,
  options: PipelineBenchOptions = defaultPipelineOptions(),
): Promise<PipelineBenchResult> {
  const admin = postgres(env.sink.url, { max: 1, onnotice: () => {} });
  try {
    // Warm-up, untimed: JIT, module loading, the sink's first connection, both code paths.
    progress('runtime: pipelines warm-up');
    const warm = Math.min(40_000, options.jdbcRows);
    await jdbcJobgate(env, admin, 'rt_warm_jg', warm, 2, options.jdbcBatch);
    await jdbcBaseline(env, admin, 'plain', 'rt_warm_plain', warm, 2, options.jdbcBatch);
    await jdbcBaseline(env, admin, 'tx', 'rt_warm_tx', warm, 2, options.jdbcBatch);
    await jdbcBaseline(env, admin, 'cte', 'rt_warm_cte', warm, 2, options.jdbcBatch);
    await blackholeBaseline(Math.min(500_000, options.blackholeRows));

    const jdbc: JdbcResult[] = [];
    const order = ['jobgate', 'plain', 'tx', 'cte'] as const;
    let turn = 0;
    for (const p of options.jdbcParallelisms) {
      for (let round = 0; round < options.jdbcRounds; round++) {
        // Reverse the order every other round, so no writer always gets the fresher machine.
        let jobgate: (RunTimes & { cpuMs: number }) | undefined;
        const base: Partial<Record<BaselineMode, Timed & { generateMs: number }>> = {};
        for (const who of turn++ % 2 === 0 ? order : [...order].reverse()) {
          progress(
            `runtime: FakeSource → Jdbc, ${int(options.jdbcRows)} rows, parallelism ${p}, round ${round + 1}: ${who}`,
          );
          const table = `rt_jdbc_p${p}_r${round}_${who}`;
          if (who === 'jobgate') {
            jobgate = await jdbcJobgate(env, admin, table, options.jdbcRows, p, options.jdbcBatch);
          } else {
            base[who] = await jdbcBaseline(env, admin, who, table, options.jdbcRows, p, options.jdbcBatch);
          }
          await admin.unsafe(`drop table ${table}`); // checked already; keep the database small
        }
        jdbc.push({
          parallelism: p,
          round,
          jobgate: jobgate!,
          plain: base.plain!,
          tx: base.tx!,
          cte: base.cte!,
          generateMs: base.plain!.generateMs,
        });
      }
    }

    const blackholeJob = await benchJob(env.database, {
      name: 'blackhole',
      pipeline: {
        env: { 'job.mode': 'BATCH', parallelism: 1 },
        source: [
          { plugin_name: 'FakeSource', 'row.num': options.blackholeRows, seed: SEED, plugin_output: 'fake' },
        ],
        sink: [{ plugin_name: 'Blackhole', plugin_input: 'fake' }],
      },
    });
    const blackhole: BlackholeResult = { jobgate: [], baselineMs: [], recordsOut: NaN };
    for (const who of ['jobgate', 'baseline', 'baseline', 'jobgate'] as const) {
      progress(`runtime: FakeSource → Blackhole, ${int(options.blackholeRows)} rows: ${who}`);
      if (who === 'jobgate') {
        const times = await runToEnd(env.database, blackholeJob, 120_000);
        const [m] = await env.database.query<{ value: number }>(
          `select value from metrics_current where key = $1 and name = 'numRecordsOut'`,
          [`run:${times.id}`],
        );
        blackhole.recordsOut = Number(m?.value);
        if (blackhole.recordsOut !== options.blackholeRows) {
          throw new Error(
            `blackhole run reported ${m?.value} records out, expected ${options.blackholeRows}`,
          );
        }
        blackhole.jobgate.push(times);
      } else {
        blackhole.baselineMs.push(await blackholeBaseline(options.blackholeRows));
      }
    }
    return { jdbc, blackhole, options };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

const runMs = (t: RunTimes) => t.endedAt - t.startedAt;
const wallMs = (t: RunTimes) => t.observedEndAt - t.calledAt;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function pipelineMarkdown(r: PipelineBenchResult): string {
  const o = r.options;
  const rate = (ms: number) => o.jdbcRows / (ms / 1000);
  const jdbcRows = o.jdbcParallelisms.flatMap((p) => {
    const rounds = r.jdbc.filter((j) => j.parallelism === p);
    // Pooled: all rows of all rounds over all their time; per round: each round's own ratio.
    const pooled = (ms: (j: JdbcResult) => number) => rate(sum(rounds.map(ms)) / rounds.length);
    const plain = pooled((j) => j.plain.ms);
    const line = (who: string, ms: (j: JdbcResult) => number, cpuMs: (j: JdbcResult) => number) => {
      const ratio = pooled(ms) / plain;
      const perRound = rounds.map((j) => pct(rate(ms(j)) / rate(j.plain.ms))).join(' / ');
      const cpu = sum(rounds.map(cpuMs)) / rounds.length;
      return (
        `| ${p} | ${who} | ${int(pooled(ms))} | ${rounds.map((j) => int(ms(j))).join(' / ')} | ` +
        `${who.startsWith('**') ? `**${pct(ratio)}**` : pct(ratio)} (${perRound}) | ${int(cpu)} |`
      );
    };
    return [
      line(
        '**jobgate**, run (started_at → ended_at)',
        (j) => runMs(j.jobgate),
        () => NaN,
      ),
      line(
        'jobgate, wall (startRun → FINISHED seen)',
        (j) => wallMs(j.jobgate),
        (j) => j.jobgate.cpuMs,
      ),
      line(
        'baseline: plain autocommit inserts',
        (j) => j.plain.ms,
        (j) => j.plain.cpuMs,
      ),
      line(
        "baseline in the sink's transaction shape",
        (j) => j.tx.ms,
        (j) => j.tx.cpuMs,
      ),
      line(
        'what-if: the same two writes as one statement',
        (j) => j.cte.ms,
        (j) => j.cte.cpuMs,
      ),
    ];
  });
  const bh = r.blackhole;
  const bhRun = o.blackholeRows / (sum(bh.jobgate.map(runMs)) / bh.jobgate.length / 1000);
  const bhWall = o.blackholeRows / (sum(bh.jobgate.map(wallMs)) / bh.jobgate.length / 1000);
  const bhBase = o.blackholeRows / (sum(bh.baselineMs) / bh.baselineMs.length / 1000);
  const each = (xs: number[]) => xs.map((ms) => int(o.blackholeRows / (ms / 1000))).join(' / ');
  return [
    `### Runtime: FakeSource → Jdbc sink (PostgreSQL)`,
    '',
    `${int(o.jdbcRows)} rows (\`id bigint, name text, value double precision\`, FakeSource defaults, seed ${SEED}) ` +
      `into an empty table in a separate sink database on the same server, \`batch_size\` ${int(o.jdbcBatch)}. **jobgate**: createJob + startRun ` +
      `on the in-process node; "run" is runs.started_at → ended_at, "wall" is the startRun call → FINISHED ` +
      `seen by a 10 ms poll (includes placement and claiming). **baseline**: the same rows (generated beforehand ` +
      `with the same FakeSource reader, not timed), inserted with postgres.js \`insert … \${sql(rows)}\` in ` +
      `batches of ${int(o.jdbcBatch)}, one connection per subtask's share, all shares at once, into an identical ` +
      `table: *plain* autocommits each insert; *transaction shape* wraps each in what the exactly-once sink does ` +
      `per batch (\`sql.begin\`: BEGIN, the insert, an upsert of the split's position into an offsets table of ` +
      `the same shape, COMMIT); *one statement* does the same two writes in a single autocommitted statement ` +
      `(\`with written as (insert …) insert into offsets … on conflict …\`: as atomic, one round trip instead of ` +
      `three). Every table is checked afterwards (each id exactly once). Order: ` +
      `${o.jdbcRounds} rounds per parallelism, each running jobgate and the three baselines once, the order ` +
      `reversed every other round; one untimed warm-up of each first. rows/s is pooled over the rounds. CPU is this process's (runtime and baselines share it; PostgreSQL is ` +
      `not included); for jobgate it covers the wall interval.`,
    '',
    '| parallelism | writer | rows/s (pooled) | ms per round | vs plain baseline, pooled (per round) | bench process CPU ms (mean) |',
    '|---:|---|---:|---:|---:|---:|',
    ...jdbcRows,
    '',
    `Generating the rows alone (FakeSource reader, no writes) took ${r.jdbc.map((j) => int(j.generateMs)).join(' / ')} ms; ` +
      `jobgate does it inside the run, the baselines before the clock starts.`,
    '',
    `Target ≥ 70% of the baseline.`,
    '',
    `### Runtime: FakeSource → Blackhole, parallelism 1`,
    '',
    `${int(o.blackholeRows)} rows (one subtask, one split). **jobgate**: a BATCH job run on the in-process ` +
      `node, rows/s over runs.started_at → ended_at (and over the startRun call → FINISHED seen); ` +
      `run-level numRecordsOut checked = ${int(bh.recordsOut)}. **baseline**: \`fakeSource.open(...)\` with the ` +
      `same options, \`read(${RUNNER_BATCH})\` (the runner's batch) until \`end\`, rows counted and dropped. ` +
      `ABBA order (jobgate, baseline, baseline, jobgate); mean of the two.`,
    '',
    '| | rows/s per subtask | each run |',
    '|---|---:|---|',
    `| jobgate (run duration) | ${int(bhRun)} | ${each(bh.jobgate.map(runMs))} |`,
    `| jobgate (startRun → FINISHED seen) | ${int(bhWall)} | ${each(bh.jobgate.map(wallMs))} |`,
    `| baseline (bare reader loop) | ${int(bhBase)} | ${each(bh.baselineMs)} |`,
    '',
    `jobgate/baseline: **${pct(bhRun / bhBase)}** (run duration), ${pct(bhWall / bhBase)} (wall). ` +
      `Target ≥ 1,000,000 rows/s per subtask: **${bhRun >= 1_000_000 ? 'met' : 'missed'}** (${fmt(bhRun / 1e6, 2)} M rows/s).`,
  ].join('\n');
}
