// A CPU profile of jobgate answering the contract `Run` query under the benchmark's load (not part of
// `npm run bench`): the same seeded database and load client as run-query.ts, jobgate only, with the
// V8 profiler on during the measured window. Writes a .cpuprofile (open it in Chrome DevTools) and
// prints self time grouped by package, and the top functions.
//
//   node --import tsx bench/profile-run-query.ts [out.cpuprofile]
//   BENCH_PROFILE_S=10 (measured seconds), BENCH_CONCURRENCY=16, BENCH_RUNS=16 (client i asks for
//   run i % BENCH_RUNS instead of all for the same one)
import { sql } from 'drizzle-orm';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { pino } from 'pino';
import { createDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../src/runtime/index.ts';
import { buildApp } from '../src/server/app.ts';
import { contractOperation } from '../test/support/contract.ts';
import { seedRun } from '../test/support/fixtures.ts';
import { runLoad } from './support/load.ts';
import { fmt, isMain, progress, runMain } from './support/main.ts';
import { createBenchDatabase } from './support/pg.ts';
import { testSecrets } from '../test/support/secrets.ts';

const seconds = Number(process.env.BENCH_PROFILE_S) || 10;
const concurrency = Number(process.env.BENCH_CONCURRENCY) || 16;
const runs = Math.max(1, Math.floor(Number(process.env.BENCH_RUNS) || 1));

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/** CPU ms used so far by these server processes (Linux /proc; 0 elsewhere): what PostgreSQL spends
 * on our pool's sessions, when it runs on this machine. */
function processCpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // not on this machine, or the session ended
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Where a profile node's code lives: a package name, node's own code, or a V8 pseudo-node. */
function groupOf(node: Profiler.ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return `(${functionName || 'anonymous'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/src/')) return 'jobgate';
  return url;
}

/** Self time by group and by function, as percentages of the profile. */
function summarise(profile: Profiler.Profile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples?.length ?? 0;
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, n] of hits) {
    const node = byId.get(id)!;
    const group = groupOf(node);
    groups.set(group, (groups.get(group) ?? 0) + n);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    functions.set(key, (functions.get(key) ?? 0) + n);
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, n]) => `${fmt((n / total) * 100, 1).padStart(5)}%  ${name}`)
      .join('\n');
  return `self time by package (${total} samples)\n${top(groups, 25)}\n\ntop functions\n${top(functions, 40)}`;
}

async function profileRunQuery(out: string): Promise<string> {
  const bench = await createBenchDatabase('profile');
  const database = await createDatabase({ url: bench.url, maxConnections: 10 });
  const app = buildApp({
    database,
    logger: pino({ level: 'silent' }),
    settings: {
      authEnabled: false,
      commandsEnabled: true,
      heartbeatTimeoutMs: 5_000,
      events: createEventFeed(database),
      logFeed: createLogFeed(database),
      metricFeed: createMetricFeed(database),
    },
    secrets: testSecrets,
    host: '127.0.0.1',
    port: 0,
  });
  const session = new Session();
  try {
    await migrateDatabase(database, bench.url);
    for (let i = 0; i < 20; i++)
      await seedRun(database, { name: `other-${i}`, vertices: 5, parallelism: 8, checkpoints: 10 });
    const seeded = [];
    for (let i = 0; i < runs; i++) {
      const name = runs === 1 ? 'bench' : `bench-${String(i).padStart(3, '0')}`;
      seeded.push(await seedRun(database, { name, vertices: 5, parallelism: 8, checkpoints: 50 }));
    }
    await database.execute(sql`analyze`);
    const base = await app.start();
    const body = seeded.map((run) =>
      JSON.stringify({ query: contractOperation('Run'), variables: { id: run.runId } }),
    );
    const expectBytes = [];
    for (const one of body) {
      const first = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: one,
      });
      expectBytes.push((await first.arrayBuffer()).byteLength);
    }
    const config = { url: `${base}/graphql`, body, concurrency, expectBytes };
    progress('profile: warming up (3 s)');
    await runLoad({ ...config, warmupMs: 3_000, measureMs: 1 });
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
    await post(session, 'Profiler.start');
    progress(`profile: profiling under load (${seconds} s)`);
    const cpu0 = process.cpuUsage();
    const sessions = await database.execute<{ pid: number }>(
      sql`select pid from pg_stat_activity where datname = current_database()`,
    );
    const pids = sessions.map((s) => Number(s.pid));
    const pg0 = processCpuMs(pids);
    const sample = await runLoad({ ...config, warmupMs: 500, measureMs: seconds * 1000 });
    const cpu = process.cpuUsage(cpu0);
    const pgMs = processCpuMs(pids) - pg0;
    const { profile } = await post<{ profile: Profiler.Profile }>(session, 'Profiler.stop');
    writeFileSync(out, JSON.stringify(profile));
    const answered = sample.completed + sample.warmupCompleted;
    return [
      `${fmt(sample.completed / (sample.windowMs / 1000), 0)} req/s, ${sample.errors} errors, ` +
        `${fmt((cpu.user + cpu.system) / 1000 / answered, 2)} ms CPU/req (profiler on), ` +
        `PostgreSQL ${fmt(pgMs / answered, 2)} ms CPU/req (${pids.length} sessions); profile in ${out}`,
      '',
      summarise(profile),
    ].join('\n');
  } finally {
    session.disconnect();
    await app.stop().catch(() => {});
    await database.close().catch(() => {});
    await bench.drop();
  }
}

if (isMain(import.meta.url)) await runMain(() => profileRunQuery(process.argv[2] ?? 'run-query.cpuprofile'));
