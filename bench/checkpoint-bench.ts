// Checkpoints, measured on PostgreSQL in one run:
//   1. throughput of a BATCH FakeSource → Jdbc job with checkpoints every 1 s vs none (ABBA runs,
//      side by side, and switched on and off within one run) (checkpoint-overhead.ts)
//   2. checkpoint duration p50/p99 of a streaming run, interval 200 ms, ≥ 100 checkpoints, and the
//      trigger → NOTIFY/poll → ack path (checkpoint-duration.ts)
//   3. kill -9 of a `jobgate node` process → the run RUNNING again on the other node, heartbeat
//      300/1500 ms and the defaults 1000/5000 ms (checkpoint-failover.ts)
// One `jobgate_bench_ck_<random>` database, migrated, and an empty `jobgate_bench_ck_sink_<random>`
// for the Jdbc sinks, both dropped at the end; every node process it starts is stopped. ~3.5 minutes.
//
//   node --import tsx bench/checkpoint-bench.ts
//   BENCH_CK_ROWS=400000 BENCH_CK_BATCH=2000 BENCH_CK_PAIRS=4 BENCH_CK_ROUNDS=2 BENCH_CK_ROUND_ROWS=500000
//   BENCH_CK_WINDOW_MS=2000 BENCH_CK_WINDOW_PAIRS=12
//   BENCH_CK_CHECKPOINTS=120 BENCH_CK_RATE=5000
//   BENCH_CK_KILLS=5 BENCH_CK_DEFAULT_KILLS=3 (0 skips the 1000/5000 case) BENCH_CK_FAILOVER_SEQUENTIAL=1
import { loadavg } from 'node:os';
import { machine, machineMarkdown } from './machine.ts';
import { durationBench, durationMarkdown } from './checkpoint-duration.ts';
import {
  failoverBench,
  failoverMarkdown,
  failoverOptions,
  type FailoverResult,
} from './checkpoint-failover.ts';
import { overheadBench, overheadMarkdown } from './checkpoint-overhead.ts';
import { DEFAULTS, createCheckpointBenchEnv, num, startBenchRuntime } from './checkpoint-support.ts';
import { isMain, progress, runMain } from './support/main.ts';

/** Enough slots for the parallelism-2 jobs (one at a time). */
const SLOTS = 4;

export async function checkpointBench(): Promise<string> {
  const started = performance.now();
  const loadStart = loadavg()[0] ?? NaN;
  const env = await createCheckpointBenchEnv();
  progress(`checkpoints: database ${env.bench.name} migrated, sink database ${env.sink.name}`);
  try {
    // 1 and 2: one in-process node + coordinator (embedded shape, on PostgreSQL).
    const embedded = await startBenchRuntime(env, { cluster: 'ck-embedded', slots: SLOTS });
    let overhead;
    let duration;
    try {
      overhead = await overheadBench(env, 'ck-embedded');
      duration = await durationBench(env, 'ck-embedded');
    } finally {
      await embedded.stop();
    }
    // 3: node processes, the coordinator in this process; one cluster per heartbeat setting.
    const fastKills = num('BENCH_CK_KILLS', 5);
    const defaultKills = Number(process.env.BENCH_CK_DEFAULT_KILLS ?? 3);
    const sequential = process.env.BENCH_CK_FAILOVER_SEQUENTIAL === '1';
    const cases = [
      () => failoverBench(env, 'ck-hb-300-1500', failoverOptions(300, 1_500, fastKills)),
      ...(defaultKills > 0
        ? [
            () =>
              failoverBench(
                env,
                'ck-hb-default',
                failoverOptions(DEFAULTS.heartbeatIntervalMs, DEFAULTS.heartbeatTimeoutMs, defaultKills),
              ),
          ]
        : []),
    ];
    let failover: FailoverResult[];
    if (sequential) {
      failover = [];
      for (const run of cases) failover.push(await run());
    } else {
      failover = await Promise.all(cases.map((run) => run()));
    }
    const seconds = (performance.now() - started) / 1000;
    const loadEnd = loadavg()[0] ?? NaN;
    progress(`checkpoints: done in ${seconds.toFixed(0)} s`);
    return [
      overheadMarkdown(overhead),
      '',
      durationMarkdown(duration),
      '',
      failoverMarkdown(failover, !sequential),
      '',
      `(Checkpoint benchmarks: ${seconds.toFixed(0)} s in all; 1-minute load average ${loadStart.toFixed(2)} ` +
        `at the start, ${loadEnd.toFixed(2)} at the end.)`,
    ].join('\n');
  } finally {
    await env.close();
  }
}

if (isMain(import.meta.url)) {
  await runMain(async () => {
    const host = machineMarkdown(await machine());
    return `${host}\n\n${await checkpointBench()}`;
  });
}
