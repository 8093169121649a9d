// startJob → RUNNING: from the startRun call to the run's RUNNING transition (run_status_history),
// with the in-process node and the default poll intervals (pollMs omitted). Runs go one at a time
// (each waits for the previous one to finish), each after a random 0–250 ms pause so that the starts
// fall at random phases of the executor's and coordinator's timers.
import { startRun } from '../src/runtime/index.ts';
import { fmt, progress } from './support/main.ts';
import {
  benchJob,
  percentile,
  RUNTIME_DEFAULTS,
  sleep,
  waitTerminal,
  type RuntimeBenchEnv,
} from './runtime-support.ts';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface LatencyOptions {
  commandRuns: number;
  pipelineRuns: number;
}

export const defaultLatencyOptions = (): LatencyOptions => ({
  commandRuns: num('BENCH_RT_LATENCY_RUNS', 50),
  pipelineRuns: num('BENCH_RT_LATENCY_PIPELINE_RUNS', 20),
});

interface Sample {
  /** ms from the startRun call to: it returned, INITIALIZING (placed), RUNNING, ended_at. */
  returned: number;
  placed: number;
  running: number;
  ended: number;
}

async function sampleRuns(
  env: RuntimeBenchEnv,
  jobId: string,
  count: number,
  label: string,
): Promise<Sample[]> {
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(Math.random() * 250);
    const calledAt = Date.now();
    const run = await startRun(env.database, {
      jobId,
      trigger: 'API',
      actor: 'bench',
      commandsEnabled: true,
    });
    const returned = Date.now() - calledAt;
    const done = await waitTerminal(env.database, run.id, calledAt, 30_000);
    const history = await env.database.query<{ to_status: string; at: number }>(
      `select to_status, (extract(epoch from at) * 1000)::float8 as at
       from run_status_history where run_id = $1 order by id`,
      [run.id],
    );
    const at = (status: string) => {
      const h = history.find((x) => x.to_status === status);
      if (!h) throw new Error(`run ${run.id} has no ${status} transition: ${JSON.stringify(history)}`);
      return Number(h.at) - calledAt;
    };
    out.push({
      returned,
      placed: at('INITIALIZING'),
      running: at('RUNNING'),
      ended: done.endedAt - calledAt,
    });
    if ((i + 1) % 10 === 0) progress(`runtime: latency, ${label}: ${i + 1}/${count}`);
  }
  return out;
}

export interface LatencyResult {
  command: Sample[];
  pipeline: Sample[];
}

export async function latencyBench(
  env: RuntimeBenchEnv,
  options: LatencyOptions = defaultLatencyOptions(),
): Promise<LatencyResult> {
  const commandJob = await benchJob(env.database, { name: 'latency-true', command: { command: 'true' } });
  const pipelineJob = await benchJob(env.database, {
    name: 'latency-pipeline',
    pipeline: {
      env: { 'job.mode': 'BATCH', parallelism: 1 },
      source: [{ plugin_name: 'FakeSource', 'row.num': 5, plugin_output: 'fake' }],
      sink: [{ plugin_name: 'Blackhole', plugin_input: 'fake' }],
    },
  });
  // Two untimed runs first (spawn path, module and JIT warm-up).
  await sampleRuns(env, commandJob, 2, 'warm-up');
  await sampleRuns(env, pipelineJob, 1, 'warm-up');
  const command = await sampleRuns(env, commandJob, options.commandRuns, '`true`');
  const pipeline = await sampleRuns(env, pipelineJob, options.pipelineRuns, 'pipeline');
  return { command, pipeline };
}

export function latencyMarkdown(r: LatencyResult): string {
  const stats = (xs: number[]) =>
    `${fmt(percentile(xs, 50), 0)} | ${fmt(percentile(xs, 90), 0)} | ${fmt(percentile(xs, 99), 0)} | ${fmt(Math.min(...xs), 0)}`;
  const rows = (name: string, s: Sample[]) => [
    `| ${name} | startRun returned | ${stats(s.map((x) => x.returned))} |`,
    `| | → INITIALIZING (placed by the coordinator) | ${stats(s.map((x) => x.placed))} |`,
    `| | **→ RUNNING** (claimed and started by the node) | **${stats(s.map((x) => x.running))}** |`,
    `| | → ended (FINISHED) | ${stats(s.map((x) => x.ended))} |`,
  ];
  return [
    `### Runtime: startJob → RUNNING latency`,
    '',
    `\`startRun\` (what the \`startJob\` mutation calls) on a job, then wait for FINISHED; ${r.command.length} runs ` +
      `of a command job \`true\` and ${r.pipeline.length} runs of a FakeSource (5 rows) → Blackhole pipeline, ` +
      `parallelism 1, one at a time, each after a random 0–250 ms pause. Times are from the startRun call ` +
      `(Node's clock) to the transition's \`run_status_history.at\` (PostgreSQL's \`now()\`, the start of the ` +
      `transaction that made the transition; same machine, same clock). Runtime as \`jobgate serve\` starts it: ` +
      `pollMs omitted, so the executor polls every ${RUNTIME_DEFAULTS.executorPollMs} ms and the coordinator ` +
      `ticks every ${RUNTIME_DEFAULTS.coordinatorTickMs} ms; the coordinator LISTENs on \`jobgate_work\`, ` +
      `which startRun NOTIFYs after its commit, and wakes the node it placed on through its own channel. With this few samples p99 (nearest rank) is the largest one.`,
    '',
    '| job | from the startRun call to | p50 ms | p90 ms | p99 ms | min ms |',
    '|---|---|---:|---:|---:|---:|',
    ...rows('command `true`', r.command),
    ...rows('FakeSource → Blackhole', r.pipeline),
  ].join('\n');
}
