// `npm run bench`: every benchmark in turn, printed as one markdown section for BENCHMARKS.md.
// Progress goes to stderr; stdout is the markdown only (npm run bench > results.md).
import { checkpointBench } from './checkpoint-bench.ts';
import { flinkShimBench } from './flink-shim.ts';
import { heavyQueryBench } from './heavy-queries.ts';
import { machine, machineMarkdown } from './machine.ts';
import { replicationBench } from './replication.ts';
import { runQueryBench } from './run-query.ts';
import { runtimeBench } from './runtime-bench.ts';
import { progress, runMain } from './support/main.ts';
import { startupBench } from './startup.ts';
import { subscriptionsBench } from './subscriptions-bench.ts';

await runMain(async () => {
  const started = new Date();
  const host = await machine();
  progress('machine described; running the Run query benchmark');
  const runQuery = await runQueryBench();
  progress('running the start-up benchmark');
  const startup = await startupBench();
  progress('running the runtime benchmarks');
  const runtime = await runtimeBench();
  progress('running the checkpoint benchmarks');
  const checkpoints = await checkpointBench();
  progress('running the heavy-query isolation benchmark');
  const heavy = await heavyQueryBench();
  progress('running the Flink shim benchmark');
  const flinkShim = await flinkShimBench();
  progress('running the replication benchmark');
  // MariaDB at 127.0.0.1:3306 is not everywhere: without it the section says so.
  const replication = await replicationBench().catch(
    (err: Error) => `### Replication\n\nNot measured: ${err.message}`,
  );
  progress('running the subscription benchmarks');
  const subscriptions = await subscriptionsBench();
  const minutes = (Date.now() - started.getTime()) / 60_000;
  return [
    `## Results of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `\`npm run bench\`, ${minutes.toFixed(1)} min in all.`,
    '',
    machineMarkdown(host),
    '',
    runQuery,
    '',
    startup,
    '',
    runtime,
    '',
    checkpoints,
    '',
    heavy,
    '',
    flinkShim,
    '',
    replication,
    '',
    subscriptions,
  ].join('\n');
});
