// Recovery after kill -9 of a node: a STREAMING job FakeSource → Jdbc sink (parallelism 1,
// checkpoints every second, restart strategy fixed-delay with delayMs 0) on two `jobgate node`
// processes with one slot each; the coordinator is hosted by the benchmark process (like a gateway),
// so it is the leader and never the process killed. Each round SIGKILLs the node that runs the
// assignment, at a random moment of its heartbeat interval, and measures from the kill to the run's
// next RUNNING transition in run_status_history (the assignment restarts on the other node, which
// is already running), and on to the first sink commit after it. Then a fresh node replaces the dead
// one (not timed) before the next round.
import postgres from 'postgres';
import type { Runtime } from '../src/runtime/index.ts';
import { progress } from './support/main.ts';
import {
  DEFAULTS,
  benchJob,
  cancelRun,
  int,
  ms,
  percentile,
  sleep,
  startBenchRuntime,
  startBenchRun,
  startNodeProcess,
  stopNodeProcess,
  waitRun,
  type CheckpointBenchEnv,
  type NodeProcess,
} from './checkpoint-support.ts';

export interface FailoverOptions {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  kills: number;
  rowsPerSecond: number;
  batch: number;
  checkpointIntervalMs: number;
}

export interface Kill {
  round: number;
  victim: string;
  successor: string;
  /** Kill → the victim's last heartbeat, looking back (how stale it already was). */
  heartbeatAgeMs: number;
  /** Kill → `node:lost` (the coordinator declared it DOWN). */
  lostMs: number;
  /** Kill → RESTARTING, INITIALIZING (placed again), RUNNING (claimed and started). */
  restartingMs: number;
  initializingMs: number;
  runningMs: number;
  /** Kill → the first sink commit after RUNNING (rows flowing again). */
  flowingMs: number;
}

export interface FailoverResult {
  options: FailoverOptions;
  kills: Kill[];
  /** Rows in the target table at the end, and distinct ids among them (exactly-once check). */
  rows: number;
  distinct: number;
}

export const failoverOptions = (
  heartbeatIntervalMs: number,
  heartbeatTimeoutMs: number,
  kills: number,
): FailoverOptions => ({
  heartbeatIntervalMs,
  heartbeatTimeoutMs,
  kills,
  rowsPerSecond: 2_000,
  batch: 200,
  checkpointIntervalMs: 1_000,
});

const epoch = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

export async function failoverBench(
  env: CheckpointBenchEnv,
  cluster: string,
  options: FailoverOptions,
): Promise<FailoverResult> {
  const label = `failover ${options.heartbeatIntervalMs}/${options.heartbeatTimeoutMs}`;
  // Own connections (the two heartbeat settings may run at once): `sql` reads jobgate's tables on the
  // bench database, `sinkSql` the sink's table and committed offsets on the sink database.
  const sql = postgres(env.bench.url, { max: 1, onnotice: () => {} });
  const sinkSql = postgres(env.sink.url, { max: 1, onnotice: () => {} });
  const table = `ck_failover_${cluster.replace(/\W/g, '_')}`;
  const nodes = new Map<string, NodeProcess>();
  let runtime: Runtime | undefined;
  let runId = '';
  let seq = 0;
  const startNode = async () => {
    const name = `${cluster}-node-${seq++}`;
    nodes.set(
      name,
      await startNodeProcess({
        url: env.bench.url,
        cluster,
        name,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      }),
    );
  };
  const lastCommit = async (): Promise<number> => {
    const [row] = await sinkSql.unsafe<{ at: number | null }[]>(
      `select ${epoch('max(committed_at)')} as at from jobgate_sink_offsets where commit_key like $1`,
      [`${runId}/%`],
    );
    return row?.at ?? 0;
  };
  const runningOn = async (): Promise<string | undefined> => {
    const [row] = await sql<{ name: string }[]>`
      select n.name from assignments a join nodes n on n.id = a.node_id
      where a.run_id = ${runId} and a.status = 'RUNNING'`;
    return row?.name;
  };
  try {
    // The coordinator first, so it takes the cluster's leader lock before any node process could.
    runtime = await startBenchRuntime(env, {
      cluster,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    });
    for (let i = 0; !runtime.coordinator?.isLeader(); i++) {
      if (i > 250) throw new Error(`${label}: the bench coordinator did not become leader`);
      await sleep(20);
    }
    progress(`checkpoints/${label}: starting 2 node processes`);
    await Promise.all([startNode(), startNode()]);
    await sinkSql.unsafe(`create table ${table} (id bigint, name text, value double precision)`);
    const jobId = await benchJob(env, {
      name: `ck-failover-${cluster}`,
      cluster,
      restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 0 },
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 1, 'checkpoint.interval': options.checkpointIntervalMs },
        source: [
          {
            plugin_name: 'FakeSource',
            'row.num': 100_000_000,
            'rows.per.second': options.rowsPerSecond,
            seed: 5,
          },
        ],
        sink: [{ plugin_name: 'Jdbc', url: env.sink.url, table, batch_size: options.batch }],
      },
    });
    runId = await startBenchRun(env, jobId);
    await waitRun(env, runId, ['RUNNING'], 30_000);
    const kills: Kill[] = [];
    let since = Date.now();
    for (let round = 1; round <= options.kills; round++) {
      // Steady state first: the assignment running, rows committed since the last recovery, and
      // every node process alive has heartbeated.
      const steadyBy = Date.now() + 30_000;
      for (;;) {
        const victim = await runningOn();
        const [fresh] = await sql<{ n: number }[]>`
          select count(*)::int as n from nodes n join clusters c on c.id = n.cluster_id
          where c.name = ${cluster} and n.status = 'READY'
            and n.last_heartbeat_at > now() - ${options.heartbeatIntervalMs * 2} * interval '1 millisecond'`;
        if (victim && (fresh?.n ?? 0) >= 2 && (await lastCommit()) > since) break;
        if (Date.now() > steadyBy) throw new Error(`${label}: no steady state before kill ${round}`);
        await sleep(50);
      }
      // A random moment within the heartbeat interval, so the kill lands anywhere in its cycle.
      await sleep(300 + Math.random() * options.heartbeatIntervalMs);
      const victim = await runningOn();
      const proc = victim ? nodes.get(victim) : undefined;
      const [last] = await sql<{ id: number | null }[]>`
        select max(id)::int as id from run_status_history where run_id = ${runId}`;
      const lastHistoryId = last?.id ?? 0;
      if (!victim || !proc) throw new Error(`${label}: the assignment runs on no node this bench started`);
      const killedAt = Date.now();
      proc.child.kill('SIGKILL');
      await proc.exited;
      nodes.delete(victim);

      const deadline = killedAt + options.heartbeatTimeoutMs + 20_000;
      let runningAt = NaN;
      for (;;) {
        const rows = await sql<{ id: number; to_status: string; at: number }[]>`
          select id::int, to_status, (extract(epoch from at) * 1000)::float8 as at from run_status_history
          where run_id = ${runId} and id > ${lastHistoryId} order by id`;
        const running = rows.find((r) => r.to_status === 'RUNNING');
        if (running) {
          runningAt = running.at;
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`${label}: no RUNNING within ${deadline - killedAt} ms of kill ${round}`);
        await sleep(20);
      }
      let flowingAt = NaN;
      for (const stop = Date.now() + 15_000; Date.now() < stop; await sleep(20)) {
        const at = await lastCommit();
        if (at > runningAt) {
          flowingAt = at;
          break;
        }
      }
      const history = await sql<{ id: number; to_status: string; at: number }[]>`
        select id::int, to_status, (extract(epoch from at) * 1000)::float8 as at from run_status_history
        where run_id = ${runId} and id > ${lastHistoryId} order by id`;
      const firstAt = (status: string) => history.find((h) => h.to_status === status)?.at ?? NaN;
      const [lost] = await sql<{ heartbeat: number; lost: number | null }[]>`
        select (extract(epoch from n.last_heartbeat_at) * 1000)::float8 as heartbeat,
          (select (extract(epoch from e.at) * 1000)::float8 from events e
           where e.node_id = n.id and e.type = 'node:lost' order by e.id limit 1) as lost
        from nodes n join clusters c on c.id = n.cluster_id where c.name = ${cluster} and n.name = ${victim}`;
      const kill: Kill = {
        round,
        victim,
        successor: (await runningOn()) ?? '?',
        heartbeatAgeMs: killedAt - (lost?.heartbeat ?? NaN),
        lostMs: (lost?.lost ?? NaN) - killedAt,
        restartingMs: firstAt('RESTARTING') - killedAt,
        initializingMs: firstAt('INITIALIZING') - killedAt,
        runningMs: runningAt - killedAt,
        flowingMs: flowingAt - killedAt,
      };
      kills.push(kill);
      since = runningAt;
      progress(
        `checkpoints/${label}: kill ${round}/${options.kills}: ${victim} → ${kill.successor}, ` +
          `RUNNING after ${ms(kill.runningMs)} ms (lost at ${ms(kill.lostMs)} ms, heartbeat ${ms(kill.heartbeatAgeMs)} ms old)`,
      );
      // A fresh spare for the next round (not timed).
      if (round < options.kills) await startNode();
    }
    await cancelRun(env, runId);
    const [counts] = await sinkSql.unsafe<{ n: number; d: number }[]>(
      `select count(*)::int as n, count(distinct id)::int as d from ${table}`,
    );
    return { options, kills, rows: counts?.n ?? 0, distinct: counts?.d ?? 0 };
  } finally {
    if (runId) await cancelRun(env, runId).catch(() => {});
    await Promise.all([...nodes.values()].map((n) => stopNodeProcess(n)));
    await runtime?.stop().catch((err: unknown) => console.error('runtime stop failed:', err));
    await sinkSql.unsafe(`drop table if exists ${table}`).catch(() => {});
    await sql.end({ timeout: 5 });
    await sinkSql.end({ timeout: 5 });
  }
}

export function failoverMarkdown(results: FailoverResult[], concurrent: boolean): string {
  const lines = [
    '### Recovery after kill -9 of a node',
    '',
    `STREAMING job FakeSource (${results[0]?.options.rowsPerSecond ?? '?'} rows/s) → Jdbc sink, parallelism 1, ` +
      `checkpoints every ${results[0]?.options.checkpointIntervalMs ?? '?'} ms, restart strategy fixed-delay with ` +
      `delayMs 0, on two \`jobgate node\` processes (1 slot each, default ${DEFAULTS.executorPollMs} ms executor ` +
      `poll). The coordinator (default ${DEFAULTS.coordinatorTickMs} ms tick) runs in the benchmark process and ` +
      `holds the leader lock, so the killed node is never the coordinator. Each round SIGKILLs the node running ` +
      `the assignment at a random moment of its heartbeat cycle. Times in ms from the kill: "expiry" is when ` +
      `the victim's last heartbeat became older than the timeout (timeout − its age at the kill); then the ` +
      `\`node:lost\` event, the run's transitions in run_status_history, and the first sink commit after ` +
      `RUNNING ("rows flowing"). A fresh node replaces the dead one between rounds (not timed), so the ` +
      `restart always goes to a node that was already running.` +
      (concurrent && results.length > 1
        ? ' The two heartbeat settings ran at the same time, in separate clusters of one database.'
        : ''),
    '',
    '| heartbeat interval / timeout | kill | victim → successor | heartbeat age at kill | expiry | node lost | RESTARTING | INITIALIZING | **RUNNING** | rows flowing |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const expiry = (r: FailoverResult, k: Kill) => r.options.heartbeatTimeoutMs - k.heartbeatAgeMs;
  for (const r of results) {
    const hb = `${r.options.heartbeatIntervalMs} / ${r.options.heartbeatTimeoutMs} ms`;
    for (const k of r.kills) {
      lines.push(
        `| ${hb} | ${k.round} | ${k.victim} → ${k.successor} | ${ms(k.heartbeatAgeMs)} | ${ms(expiry(r, k))} | ` +
          `${ms(k.lostMs)} | ${ms(k.restartingMs)} | ${ms(k.initializingMs)} | **${ms(k.runningMs)}** | ${ms(k.flowingMs)} |`,
      );
    }
  }
  lines.push(
    '',
    '| heartbeat interval / timeout | kills | **kill → RUNNING** median / max | target (timeout + 2 s) | expiry → node lost median / max | node lost → RUNNING median / max | kill → rows flowing median / max | rows in table / distinct |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  const mm = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(Math.max(...values))}`;
  for (const r of results) {
    const running = r.kills.map((k) => k.runningMs);
    const target = r.options.heartbeatTimeoutMs + 2_000;
    const max = Math.max(...running);
    lines.push(
      `| ${r.options.heartbeatIntervalMs} / ${r.options.heartbeatTimeoutMs} ms | ${r.kills.length} | ` +
        `**${mm(running)}** | ${target} ${max <= target ? '(met)' : `(**missed** by ${ms(max - target)})`} | ` +
        `${mm(r.kills.map((k) => k.lostMs - expiry(r, k)))} | ${mm(r.kills.map((k) => k.runningMs - k.lostMs))} | ` +
        `${mm(r.kills.map((k) => k.flowingMs))} | ${int(r.rows)} / ${int(r.distinct)} |`,
    );
  }
  lines.push(
    '',
    `Expected from the code: the node is declared lost on the first coordinator tick after expiry (up to ` +
      `${DEFAULTS.coordinatorTickMs} ms later); the same tick settles the assignment FAILED, restarts it ` +
      `(RESTARTING, delay 0) and places it on the other node (INITIALIZING), waking that node on its own ` +
      `channel (its ${DEFAULTS.executorPollMs} ms poll is the fallback); it claims it and marks it RUNNING; the ` +
      `pipeline then opens its sink, restores the positions the sink committed, and writes again. Kill → ` +
      `RUNNING is therefore between timeout − interval and timeout + ~${DEFAULTS.coordinatorTickMs + DEFAULTS.executorPollMs} ms ` +
      `plus statement time.`,
  );
  return lines.join('\n');
}
