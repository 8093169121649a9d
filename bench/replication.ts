// Replication (MariaDB → MariaDB on 127.0.0.1:3306): full stage rows/s against a plain
// `INSERT INTO … SELECT` copy on the same server, the incremental stage's catch-up rate (changes/s
// applied after a burst written while it was stopped), and source-commit → destination-visible lag
// at a steady write rate. The engine runs in this process (no gateway), as a node runs it.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { Replicator } from '../src/runtime/replication/replicator.ts';
import { replicationSchema } from '../src/runtime/replication/replication-spec.ts';
import { machine, machineMarkdown } from './machine.ts';
import { isMain, progress, runMain } from './support/main.ts';

const ROWS = Number(process.env.BENCH_REPL_ROWS ?? 200_000);
const BURST = Number(process.env.BENCH_REPL_BURST ?? 50_000);
const RATE = Number(process.env.BENCH_REPL_RATE ?? 500); // rows/s, in transactions of 5
const STEADY_S = Number(process.env.BENCH_REPL_STEADY_S ?? 20);
const MY = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function count(conn: mysql.Connection, table: string): Promise<number> {
  const [r] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(r[0]!.n);
}

export async function replicationBench(): Promise<string> {
  const tag = randomBytes(3).toString('hex');
  const src = `bench_repl_src_${tag}`;
  const dst = `bench_repl_dst_${tag}`;
  const base = `bench_repl_base_${tag}`;
  const conn = await mysql.createConnection({ ...MY, multipleStatements: false });
  const jobId = `bench-${tag}`;
  try {
    for (const db of [src, dst, base]) await conn.query(`CREATE DATABASE ${db}`);
    await conn.query(
      `CREATE TABLE ${src}.orders (id INT PRIMARY KEY, item VARCHAR(40) NOT NULL, amount DECIMAL(10,2), placed DATETIME(3))`,
    );
    progress(`replication: seeding ${ROWS} rows`);
    for (let i = 0; i < ROWS; i += 10_000) {
      const rows = Array.from({ length: Math.min(10_000, ROWS - i) }, (_, k) => [
        i + k + 1,
        `item-${i + k}`,
        '12.34',
        '2026-01-02 03:04:05.678',
      ]);
      await conn.query(`INSERT INTO ${src}.orders VALUES ?`, [rows]);
    }
    progress('replication: baseline INSERT … SELECT');
    await conn.query(`CREATE TABLE ${base}.orders LIKE ${src}.orders`);
    let t0 = performance.now();
    await conn.query(`INSERT INTO ${base}.orders SELECT * FROM ${src}.orders`);
    const baselineS = (performance.now() - t0) / 1000;

    const spec = replicationSchema.parse({
      source: { type: 'mysql', ...MY },
      destination: { type: 'mysql', ...MY },
      tables: [{ schema: src, table: 'orders' }],
      rename: [{ schema: src, toSchema: dst }],
    });
    const access = { resolve: () => Promise.reject(new Error('no connections')), ownDatabase: null };
    const start = (onFull: () => void) => {
      const stop = new AbortController();
      const r = new Replicator(jobId, spec, access, {
        log: () => undefined,
        fullStageDone: async () => onFull(),
        stop: stop.signal,
        cancel: new AbortController().signal,
      });
      return { r, stop, done: r.run() };
    };

    progress('replication: full stage');
    t0 = performance.now();
    let fullS = 0;
    const first = start(() => (fullS = (performance.now() - t0) / 1000));
    while (!fullS) await sleep(20);
    first.stop.abort();
    await first.done;

    progress(`replication: a burst of ${BURST} inserts while stopped, then catch-up`);
    for (let i = 0; i < BURST; i += 100) {
      const rows = Array.from({ length: 100 }, (_, k) => [ROWS + i + k + 1, 'burst', '1.00', null]);
      await conn.query(`INSERT INTO ${src}.orders VALUES ?`, [rows]);
    }
    const dconn = await mysql.createConnection(MY);
    t0 = performance.now();
    const second = start(() => undefined);
    while ((await count(dconn, `${dst}.orders`)) < ROWS + BURST) await sleep(20);
    const catchUpS = (performance.now() - t0) / 1000;

    progress(`replication: ${RATE} rows/s for ${STEADY_S} s, lag`);
    const committedAt = new Map<number, number>();
    const lags: number[] = [];
    let next = ROWS + BURST + 1;
    let writing = true;
    const writer = (async () => {
      const per = 5;
      const interval = (1000 * per) / RATE;
      let due = performance.now();
      while (writing) {
        const ids = Array.from({ length: per }, () => next++);
        await conn.query(`INSERT INTO ${src}.orders VALUES ?`, [
          ids.map((id) => [id, 'steady', '2.00', null]),
        ]);
        const at = Date.now();
        for (const id of ids) committedAt.set(id, at);
        due += interval;
        await sleep(Math.max(0, due - performance.now()));
      }
    })();
    let seen = ROWS + BURST;
    const deadline = Date.now() + STEADY_S * 1000;
    while (Date.now() < deadline || seen < next - 1) {
      const [r] = await dconn.query<mysql.RowDataPacket[]>(
        `SELECT id FROM ${dst}.orders WHERE id > ? ORDER BY id`,
        [seen],
      );
      const now = Date.now();
      for (const row of r) {
        const at = committedAt.get(Number(row.id));
        if (at !== undefined) lags.push(now - at);
        seen = Math.max(seen, Number(row.id));
      }
      if (Date.now() >= deadline) writing = false;
      await sleep(5);
    }
    writing = false;
    await writer;
    second.stop.abort();
    await second.done;
    await dconn.end();
    const load = (await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const host = await machine();
    return [
      '### Replication (MariaDB → MariaDB, `bench/replication.ts`)',
      '',
      machineMarkdown(host),
      '',
      `Load average after the run: ${load}. One MariaDB 10.11 server on the same machine holds source and destination.`,
      '',
      '| measure | value |',
      '|---|---|',
      `| full stage, ${ROWS} rows (4 columns) | ${fullS.toFixed(2)} s, ${Math.round(ROWS / fullS)} rows/s |`,
      `| baseline \`INSERT INTO … SELECT\` on the server | ${baselineS.toFixed(2)} s, ${Math.round(ROWS / baselineS)} rows/s |`,
      `| incremental catch-up, ${BURST} inserts in transactions of 100 | ${catchUpS.toFixed(2)} s, ${Math.round(BURST / catchUpS)} changes/s |`,
      `| lag at ${RATE} rows/s (transactions of 5), ${lags.length} rows: p50 / p99 | ${pct(lags, 50)} ms / ${pct(lags, 99)} ms |`,
    ].join('\n');
  } finally {
    for (const db of [src, dst, base])
      await conn.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await conn
      .query('DELETE FROM jobgate_replication.positions WHERE job_id = ?', [jobId])
      .catch(() => undefined);
    await conn.end();
  }
}

if (isMain(import.meta.url)) await runMain(replicationBench);
