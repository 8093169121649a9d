// What the subscription benchmarks share: `jobgate serve` gateways as child processes on a bench
// database, a run to log into that no coordinator touches, and the writer that plays a node: it
// appends log lines at a steady rate with the runtime's own statement (appendLogLines) and stamps
// each message with the time it sent the statement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { SETTINGS_OPTIONS } from '../src/bin/settings.ts';
import type { Database } from '../src/db/client.ts';
import { LOG_LEVEL_RANK } from '../src/lib/status.ts';
import { startRun } from '../src/runtime/index.ts';
import { createLogAppender } from '../src/runtime/logs/log-appender.ts';
import { appendLogLines, type LogLineInput } from '../src/runtime/sql/append-log-lines.ts';
import { TEST_SECRET_KEY } from '../test/support/secrets.ts';
import { benchJob, silent, sleep } from './runtime-support.ts';
import { onCleanUp } from './support/main.ts';
import { running } from './support/processes.ts';
import { spawnWithOpenFiles } from './support/subscribers.ts';

const BIN = fileURLToPath(new URL('../bin/jobgate.mjs', import.meta.url));
const READY = /ready: GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/;
const START_TIMEOUT_MS = 120_000;

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export const num = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export interface Gateway {
  pid: number;
  /** http://127.0.0.1:port */
  url: string;
  /** ws://127.0.0.1:port/graphql */
  wsUrl: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** A scratch data directory for gateways (their file roots), removed at clean-up. */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-bench-subs-'));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `jobgate serve` on PostgreSQL, loopback, auth off, no dialect ports; `node` false adds --no-node. */
export async function startGateway(options: {
  databaseUrl: string;
  dataDir: string;
  node?: boolean;
}): Promise<Gateway> {
  const args = [
    // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where a gateway's time goes
    ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    BIN,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--auth',
    'off',
    '--database-url',
    options.databaseUrl,
    '--data-dir',
    options.dataDir,
    // Every dialect's own port off (two gateways would fight over them); the flags are whichever
    // dialects exist.
    ...Object.keys(SETTINGS_OPTIONS)
      .filter((flag) => flag.endsWith('-port'))
      .flatMap((flag) => [`--${flag}`, '0']),
    ...(options.node ? [] : ['--no-node']),
  ];
  const child = spawnWithOpenFiles(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      JOBGATE_LOG_LEVEL: 'warn',
      JOBGATE_SECRET_KEY: TEST_SECRET_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`gateway not ready after ${START_TIMEOUT_MS} ms:\n${out}`)),
      START_TIMEOUT_MS,
    );
    const check = () => {
      const match = out.match(READY);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(match[1]!);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    pid: child.pid!,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    child,
    output: () => out,
    async stop() {
      if (!running(child)) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => running(child) && child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A run to log into, of a job in a cluster no coordinator serves: it stays CREATED, untouched. */
export async function createIdleRun(database: Database, name: string): Promise<string> {
  const jobId = await benchJob(database, { name, cluster: 'bench-idle', command: { command: 'true' } });
  return (await startRun(database, { jobId, trigger: 'API', actor: 'bench', commandsEnabled: true })).id;
}

/** One statement of lines as the clients will see them. */
export interface WrittenBatch {
  first: number;
  last: number;
  /** When the statement was sent (the `t=` in every message) and when it had committed. */
  sentAt: number;
  commitAt: number;
  lines: { seq: number; at: string; level: string; message: string }[];
}

const NODE = { id: null, name: 'bench-node' };
/** Messages are padded to this many characters, about a real log line. */
const MESSAGE_CHARS = 80;

/** Writes lines into one run as its only writer, so it knows the seqs they get. */
export interface LogWriter {
  readonly nextSeq: number;
  write(count: number): Promise<WrittenBatch>;
  close(): Promise<void>;
}

/** A message of MESSAGE_CHARS characters that starts with `t=<epoch ms>`. */
function stamped(sentAt: number, what: string): string {
  const head = `t=${sentAt.toFixed(3)} ${what}`;
  return head + ' '.repeat(Math.max(1, MESSAGE_CHARS - head.length - 1)) + '.';
}

/** Each write() is one appendLogLines statement (what a node's flush sends); it resolves once the
 * statement has committed. */
export function createLogWriter(database: Database, runId: string): LogWriter {
  let nextSeq = 1;
  return {
    get nextSeq() {
      return nextSeq;
    },
    async write(count) {
      const sentAt = now();
      const message = stamped(sentAt, 'fan-out line');
      const at = new Date(Math.floor(sentAt));
      const lines: LogLineInput[] = Array.from({ length: count }, () => ({
        at,
        level: LOG_LEVEL_RANK.INFO,
        message,
      }));
      await appendLogLines(database, runId, NODE, lines);
      const commitAt = now();
      const first = nextSeq;
      nextSeq += count;
      return {
        first,
        last: nextSeq - 1,
        sentAt,
        commitAt,
        lines: lines.map((l, i) => ({
          seq: first + i,
          at: at.toISOString(),
          level: 'INFO',
          message: l.message,
        })),
      };
    },
    close: async () => {},
  };
}

/** Each write() hands lines to a node's LogAppender (its defaults: a flush every 100 ms, or at 5,000
 * lines), as a command's output reaches it; the stamp is the append() call. The commit time of a
 * line is not known (the appender flushes on its own): commitAt is NaN. */
export function createAppenderWriter(database: Database, runId: string): LogWriter {
  const appender = createLogAppender({ database, logger: silent, node: NODE });
  let nextSeq = 1;
  return {
    get nextSeq() {
      return nextSeq;
    },
    async write(count) {
      const sentAt = now();
      const message = stamped(sentAt, 'node line');
      for (let i = 0; i < count; i++) appender.append(runId, 'INFO', message);
      const first = nextSeq;
      nextSeq += count;
      const at = new Date(Math.floor(sentAt)).toISOString();
      return {
        first,
        last: nextSeq - 1,
        sentAt,
        commitAt: NaN,
        lines: Array.from({ length: count }, (_, i) => ({ seq: first + i, at, level: 'INFO', message })),
      };
    },
    close: () => appender.close(),
  };
}

/** Writes a batch every `intervalMs` (a missed slot is not made up) until `until` says stop. */
export async function writeSteadily(
  writer: LogWriter,
  options: { intervalMs: number; batch: number; until: (written: number) => boolean },
  onBatch: (batch: WrittenBatch) => void,
): Promise<number> {
  const start = now();
  let written = 0;
  for (let slot = 0; !options.until(written); slot++) {
    const wait = start + slot * options.intervalMs - now();
    if (wait > 0) await sleep(wait);
    else if (wait < -options.intervalMs) slot = Math.ceil((now() - start) / options.intervalMs);
    onBatch(await writer.write(options.batch));
    written++;
  }
  return written;
}

/** The pids of PostgreSQL's client backends on `database`'s database other than the asking one. */
export async function backendPids(database: Database, exclude: number[] = []): Promise<number[]> {
  const rows = await database.query<{ pid: number }>(
    `select pid from pg_stat_activity
     where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
       and not (pid = any($1::int[]))`,
    [exclude],
  );
  return rows.map((r) => Number(r.pid));
}

/** Nearest-rank percentile of plain values. */
export function percentileOf(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
