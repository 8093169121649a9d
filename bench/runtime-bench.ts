// The runtime, really running jobs on an in-process node against PostgreSQL, each number next to a
// baseline measured in the same run:
//   1. FakeSource → Jdbc sink rows/s vs plain postgres.js batched inserts (runtime-pipelines.ts)
//   2. FakeSource → Blackhole rows/s per subtask vs a bare reader loop (runtime-pipelines.ts)
//   3. log lines/s via appendLogLines and the LogAppender vs plain multi-row inserts (runtime-logs.ts)
//   4. startJob → RUNNING latency with the default poll intervals (runtime-latency.ts)
// One `jobgate_bench_rt_<random>` database, migrated, and an empty `jobgate_bench_rt_sink_<random>`
// for the Jdbc sinks, both dropped at the end. ~2–3 minutes.
//
//   node --import tsx bench/runtime-bench.ts
//   BENCH_RT_JDBC_ROWS=400000 BENCH_RT_JDBC_BATCH=2000 BENCH_RT_BLACKHOLE_ROWS=5000000
//   BENCH_RT_LOG_LINES=1000000 BENCH_RT_LOG_BATCH=5000 BENCH_RT_LATENCY_RUNS=50 BENCH_RT_LATENCY_PIPELINE_RUNS=20
import { availableParallelism, loadavg } from 'node:os';
import { machine, machineMarkdown } from './machine.ts';
import { latencyBench, latencyMarkdown } from './runtime-latency.ts';
import { logBench, logMarkdown } from './runtime-logs.ts';
import { pipelineBench, pipelineMarkdown } from './runtime-pipelines.ts';
import { createRuntimeBenchEnv } from './runtime-support.ts';
import { isMain, progress, runMain } from './support/main.ts';

/** Node slots: enough for the parallelism-4 Jdbc run (the `jobgate serve` default is 4 too). */
const SLOTS = 4;

export async function runtimeBench(): Promise<string> {
  const started = performance.now();
  const loadBefore = loadavg()[0] ?? NaN;
  const env = await createRuntimeBenchEnv();
  progress(`runtime: database ${env.bench.name} migrated, sink database ${env.sink.name}`);
  try {
    // Log lines first, before any runtime runs in this process (nothing else writes then).
    const logs = await logBench(env);
    await env.startNode(SLOTS);
    const pipelines = await pipelineBench(env);
    const latency = await latencyBench(env);
    const seconds = (performance.now() - started) / 1000;
    progress(`runtime: done in ${seconds.toFixed(0)} s`);
    return [
      pipelineMarkdown(pipelines),
      '',
      logMarkdown(logs),
      '',
      latencyMarkdown(latency),
      '',
      `(Runtime benchmarks: ${seconds.toFixed(0)} s in all; 1-minute load average ${loadBefore.toFixed(2)} ` +
        `before, ${(loadavg()[0] ?? NaN).toFixed(2)} after, on ${availableParallelism()} cores.)`,
    ].join('\n');
  } finally {
    await env.close();
  }
}

if (isMain(import.meta.url)) {
  await runMain(async () => {
    const host = machineMarkdown(await machine());
    return `${host}\n\n${await runtimeBench()}`;
  });
}
