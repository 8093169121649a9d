// Where a pipeline subtask's time goes with and without checkpoints (not part of `npm run bench`):
// the BATCH job of checkpoint-overhead.ts (FakeSource → Jdbc sink, parallelism 2, checkpoints every
// 1000 ms or none), first one run at a time, then a run with and one without side by side. For the
// profile, this process wraps the FakeSource and Jdbc plugin objects (their `open`, and so every
// reader's `read` and writer's `write`/`flush`) to time each call; the wrappers are removed at the
// end. Per subtask: time in reads, in sink writes (commits of full batches), and the rest of the loop
// between two reads, which is the checkpoint boundary (snapshot: sink flush + acknowledgement).
//
//   node --import tsx bench/checkpoint-profile.ts
//   BENCH_CK_PROFILE_ROWS=400000 BENCH_CK_PROFILE_ROUNDS=2
import { fakeSource } from '../src/runtime/plugins/fake-source.ts';
import { jdbcSink } from '../src/runtime/plugins/jdbc-sink.ts';
import type { SinkPlugin, SourcePlugin } from '../src/runtime/plugins/types.ts';
import { isMain, progress, runMain } from './support/main.ts';
import {
  benchJob,
  createCheckpointBenchEnv,
  int,
  ms,
  num,
  readRun,
  startBenchRun,
  startBenchRuntime,
  waitRun,
  type CheckpointBenchEnv,
} from './checkpoint-support.ts';

interface SubtaskTimes {
  first: number;
  last: number;
  read: number;
  write: number;
  flush: number;
  flushes: number;
  between: number;
}

/** Times by `<run id>:<subtask index>`. */
const times = new Map<string, SubtaskTimes>();
const entry = (key: string): SubtaskTimes => {
  let t = times.get(key);
  if (!t)
    times.set(key, (t = { first: NaN, last: NaN, read: 0, write: 0, flush: 0, flushes: 0, between: 0 }));
  return t;
};
/** The run id is the first 32 characters of the commit key (`<run id>/<vertex>`). */
const keyOf = (ctx: { commitKey: string; subtaskIndex: number }) =>
  `${ctx.commitKey.slice(0, 32)}:${ctx.subtaskIndex}`;

function instrument(): () => void {
  const source = fakeSource as { -readonly [K in keyof SourcePlugin]: SourcePlugin[K] };
  const sink = jdbcSink as { -readonly [K in keyof SinkPlugin]: SinkPlugin[K] };
  const openSource = source.open;
  const openSink = sink.open;
  source.open = async (options, ctx) => {
    const reader = await openSource.call(fakeSource, options, ctx);
    const t = entry(keyOf(ctx));
    const read = reader.read.bind(reader);
    let previous = NaN;
    reader.read = async (max) => {
      const start = performance.now();
      if (Number.isNaN(t.first)) t.first = start;
      if (!Number.isNaN(previous)) t.between += start - previous;
      const result = await read(max);
      previous = t.last = performance.now();
      t.read += previous - start;
      return result;
    };
    return reader;
  };
  sink.open = async (options, ctx) => {
    const writer = await openSink.call(jdbcSink, options, ctx);
    const t = entry(keyOf(ctx));
    const write = writer.write.bind(writer);
    const flush = writer.flush.bind(writer);
    writer.write = async (rows, positions) => {
      const start = performance.now();
      await write(rows, positions);
      t.write += performance.now() - start;
    };
    writer.flush = async (positions) => {
      const start = performance.now();
      await flush(positions);
      t.flush += performance.now() - start;
      t.flushes++;
    };
    return writer;
  };
  return () => {
    source.open = openSource;
    sink.open = openSink;
  };
}

interface Profiled {
  mode: 'sequential' | 'side by side';
  checkpoints: boolean;
  durationMs: number;
  completed: number;
  subtasks: SubtaskTimes[];
}

async function job(env: CheckpointBenchEnv, tag: string, rows: number, withCheckpoints: boolean) {
  const table = `ck_profile_${tag}`;
  await env.sinkSql.unsafe(`create table ${table} (id bigint, name text, value double precision)`);
  const jobId = await benchJob(env, {
    name: `ck-profile-${tag}`,
    cluster: 'ck-profile',
    pipeline: {
      env: {
        'job.mode': 'BATCH',
        parallelism: 2,
        ...(withCheckpoints ? { 'checkpoint.interval': 1_000 } : {}),
      },
      source: [{ plugin_name: 'FakeSource', 'row.num': rows / 2, seed: 11 }],
      sink: [{ plugin_name: 'Jdbc', url: env.sink.url, table, batch_size: 2_000 }],
    },
  });
  return { table, jobId, withCheckpoints };
}

async function collect(
  env: CheckpointBenchEnv,
  mode: Profiled['mode'],
  runs: { runId: string; table: string; withCheckpoints: boolean }[],
): Promise<Profiled[]> {
  const out: Profiled[] = [];
  for (const r of runs) {
    await waitRun(env, r.runId, ['FINISHED'], 180_000);
    const run = await readRun(env, r.runId);
    const [events] = await env.observer<{ n: number }[]>`
      select count(*)::int as n from events where run_id = ${r.runId} and type = 'checkpoint:completed'`;
    out.push({
      mode,
      checkpoints: r.withCheckpoints,
      durationMs: run.endedAt! - run.startedAt!,
      completed: events?.n ?? 0,
      subtasks: [...times].filter(([key]) => key.startsWith(r.runId)).map(([, t]) => t),
    });
    await env.sinkSql.unsafe(`drop table if exists ${r.table}`);
  }
  return out;
}

export async function checkpointProfile(
  rows = num('BENCH_CK_PROFILE_ROWS', 400_000),
  rounds = num('BENCH_CK_PROFILE_ROUNDS', 2),
): Promise<string> {
  const env = await createCheckpointBenchEnv();
  const restore = instrument();
  const results: Profiled[] = [];
  try {
    const runtime = await startBenchRuntime(env, { cluster: 'ck-profile', slots: 4 });
    try {
      const warm = await job(env, 'warmup', 100_000, true);
      await collect(env, 'sequential', [{ ...warm, runId: await startBenchRun(env, warm.jobId) }]);
      for (let round = 0; round < rounds; round++) {
        for (const withCheckpoints of round % 2 ? [false, true] : [true, false]) {
          progress(
            `checkpoint profile: sequential round ${round + 1}, ${withCheckpoints ? 'with' : 'without'}`,
          );
          const j = await job(env, `q${round}${withCheckpoints ? 'w' : 'n'}`, rows, withCheckpoints);
          results.push(
            ...(await collect(env, 'sequential', [{ ...j, runId: await startBenchRun(env, j.jobId) }])),
          );
        }
      }
      for (let round = 0; round < rounds; round++) {
        progress(`checkpoint profile: side-by-side round ${round + 1}`);
        const pair = [await job(env, `p${round}w`, rows, true), await job(env, `p${round}n`, rows, false)];
        if (round % 2) pair.reverse();
        const started = [];
        for (const j of pair) started.push({ ...j, runId: await startBenchRun(env, j.jobId) });
        results.push(...(await collect(env, 'side by side', started)));
      }
    } finally {
      await runtime.stop();
    }
  } finally {
    restore();
    await env.close();
  }
  const lines = [
    '| mode | checkpoints | run ms | completed | per subtask: loop ms | reads ms | sink writes ms | sink flushes (count: ms) | checkpoint boundary ms | boundary share | boundary ms per checkpoint |',
    '|---|---|---:|---:|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const cell = (f: (t: SubtaskTimes) => number) => r.subtasks.map((t) => ms(f(t))).join(' / ');
    const boundary = (t: SubtaskTimes) => Math.max(0, t.between - t.write);
    lines.push(
      `| ${r.mode} | ${r.checkpoints ? 'every 1000 ms' : 'none'} | ${ms(r.durationMs)} | ${r.checkpoints ? r.completed : '–'} | ` +
        `${cell((t) => t.last - t.first)} | ${cell((t) => t.read)} | ${cell((t) => t.write)} | ` +
        `${r.subtasks.map((t) => `${t.flushes}: ${ms(t.flush)}`).join(' / ')} | ` +
        `${cell(boundary)} | ${r.subtasks.map((t) => `${((boundary(t) / (t.last - t.first)) * 100).toFixed(1)}%`).join(' / ')} | ` +
        `${r.checkpoints && r.completed ? cell((t) => boundary(t) / r.completed) : '–'} |`,
    );
  }
  return [
    `Checkpoint profile: BATCH FakeSource (${int(rows)} rows, parallelism 2) → Jdbc sink (batch_size 2,000); ` +
      `"loop" is first read → last read of a subtask; "checkpoint boundary" is the loop time outside reads and ` +
      `sink writes (snapshot = sink flush + acknowledgement; a few ms of loop overhead without checkpoints). ` +
      `"Sink flushes" counts the end of input too; the time in them is time the subtask read nothing.`,
    '',
    ...lines,
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => checkpointProfile());
