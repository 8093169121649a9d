// How long `jobgate serve` takes to become ready: from spawn to the `ready: GraphQL and GraphiQL at`
// line on stdout, and to the first 200 from GET /readyz. Embedded PGlite on an empty data directory
// and on an existing one (left by a run stopped with SIGTERM), and PostgreSQL on a fresh database and
// on an already migrated one. Every child is stopped with SIGTERM (and SIGKILLed if it hangs).
//
// Also the one-shot commands (--help, version) against `node -e 0`, compiled and through tsx.
//
//   node --import tsx bench/startup.ts        (BENCH_STARTUP_RUNS=3)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, isMain, median, onCleanUp, progress, runMain } from './support/main.ts';
import { createBenchDatabase, type BenchDatabase } from './support/pg.ts';
import { running, track } from './support/processes.ts';

const BIN = fileURLToPath(new URL('../bin/jobgate.mjs', import.meta.url));
const READY = /ready: GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface Start {
  /** Spawn to the ready line on stdout. */
  readyLineMs: number;
  /** Spawn to the first 200 from GET /readyz. */
  readyzMs: number;
  /** jobgate's own `startupMs` (its log line `jobgate ready`): opening the database, migrating,
   * starting the runtime and listening; the rest of readyLineMs is Node and module loading. */
  serveMs: number;
  /** Resident memory of the process once ready. */
  rssMb: number;
  /** SIGTERM to exit. */
  stopMs: number;
  exitCode: number | null;
}

function rssMb(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Starts `jobgate serve` with `args`, waits until ready, stops it with SIGTERM. */
async function timeStart(args: string[]): Promise<Start> {
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, [BIN, 'serve', '--port', '0', '--auth', 'off', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const { url, readyLineMs } = await new Promise<{ url: string; readyLineMs: number }>(
      (resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`jobgate not ready after ${START_TIMEOUT_MS} ms; output:\n${output}`)),
          START_TIMEOUT_MS,
        );
        const onData = (d: Buffer) => {
          output += d.toString();
          const match = output.match(READY);
          if (match) {
            clearTimeout(timer);
            resolve({ url: match[1]!, readyLineMs: performance.now() - t0 });
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`jobgate exited with ${code} before it was ready; output:\n${output}`));
        });
      },
    );
    let readyzMs = NaN;
    for (;;) {
      const status = await fetch(`${url}/readyz`).then(
        (r) => r.arrayBuffer().then(() => r.status),
        () => 0,
      );
      if (status === 200) {
        readyzMs = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > START_TIMEOUT_MS)
        throw new Error(`/readyz never answered 200 (last ${status})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const rss = rssMb(child.pid!);
    const serveMs = Number(output.match(/"startupMs":(\d+)/)?.[1] ?? NaN);
    const s0 = performance.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => running(child) && child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const exitCode = await exited;
    clearTimeout(timer);
    const stopMs = performance.now() - s0;
    if (exitCode !== 0) throw new Error(`jobgate exited with ${exitCode} after SIGTERM; output:\n${output}`);
    return { readyLineMs, readyzMs, serveMs, rssMb: rss, stopMs, exitCode };
  } finally {
    if (running(child)) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** Spawn to exit of a command that serves nothing (`node -e 0`, `jobgate --help`, `jobgate version`). */
async function timeCommand(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] }));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return performance.now() - t0;
}

const SOURCES = fileURLToPath(new URL('../src/bin/jobgate.ts', import.meta.url));
/** The one-shot commands, each beside the floor under them (`node -e 0`) and beside the same command
 * run from the TypeScript sources through tsx (what every command did before dist/). */
const COMMANDS: { name: string; args: string[] }[] = [
  { name: '`node -e 0` (the floor)', args: ['-e', '0'] },
  { name: '`jobgate --help`', args: [BIN, '--help'] },
  { name: '`jobgate version`', args: [BIN, 'version'] },
  { name: '`jobgate --help` from the sources through tsx', args: ['--import', 'tsx', SOURCES, '--help'] },
  { name: '`jobgate version` from the sources through tsx', args: ['--import', 'tsx', SOURCES, 'version'] },
];

interface Case {
  name: string;
  runs: Start[];
}

export async function startupBench(runs = Number(process.env.BENCH_STARTUP_RUNS) || 3): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'jobgate-bench-'));
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  const unregister = onCleanUp(removeScratch);
  const databases: BenchDatabase[] = [];
  const cases: Case[] = [];
  const measure = async (name: string, args: () => Promise<string[]> | string[]) => {
    const result: Case = { name, runs: [] };
    for (let i = 0; i < runs; i++) {
      progress(`startup: ${name}, run ${i + 1}/${runs}`);
      result.runs.push(await timeStart(await args()));
    }
    cases.push(result);
  };
  const freshDatabase = async () => {
    const db = await createBenchDatabase('startup');
    databases.push(db);
    return db.url;
  };
  try {
    // Measure the compiled entry: build dist/ now, so bin/jobgate.mjs finds it newer than the sources.
    progress('startup: npm run build (not counted)');
    execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], {
      stdio: 'ignore',
    });
    // One untimed start first, so that every measured start finds the OS
    // file cache as warm as they will be on a machine that has run jobgate before.
    progress('startup: priming run (not counted)');
    const priming = await timeStart(['--data-dir', join(scratch, 'priming')]);

    let n = 0;
    await measure('PGlite, empty data directory', () => ['--data-dir', join(scratch, `empty-${n++}`)]);
    const existing = join(scratch, 'existing');
    progress('startup: creating the existing data directory (not counted)');
    await timeStart(['--data-dir', existing]);
    await measure('PGlite, existing data directory', () => ['--data-dir', existing]);

    await measure('PostgreSQL, fresh database', async () => ['--database-url', await freshDatabase()]);
    const migrated = await freshDatabase();
    progress('startup: migrating the existing PostgreSQL database (not counted)');
    await timeStart(['--database-url', migrated]);
    await measure('PostgreSQL, existing database', () => ['--database-url', migrated]);
    // Interleaved, so that a change in the machine's load touches every command alike.
    const commands = COMMANDS.map((c) => ({ ...c, ms: [] as number[] }));
    for (let i = 0; i < Math.max(runs, 5); i++) {
      progress(`startup: one-shot commands, round ${i + 1}`);
      for (const c of commands) c.ms.push(await timeCommand(c.args));
    }
    return report(cases, runs, priming, commands);
  } finally {
    for (const db of databases) await db.drop().catch(() => {});
    unregister();
    removeScratch();
  }
}

function report(
  cases: Case[],
  runs: number,
  priming: Start,
  commands: { name: string; ms: number[] }[],
): string {
  const stat = (values: number[], digits = 0) =>
    `${fmt(median(values), digits)} (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})`;
  return [
    '### Start-up of `jobgate serve`',
    '',
    `\`node bin/jobgate.mjs serve --port 0 --auth off\` with \`--data-dir <tmp>\` (PGlite) or \`--database-url\` ` +
      `(PostgreSQL on the same machine), default log level, in-process node on. ${runs} runs per case; ` +
      `median (min–max) in ms from spawn. "ready line" is stdout's \`ready: GraphQL and GraphiQL at ...\`; ` +
      `"of which in serve()" is the \`startupMs\` jobgate logs (open and migrate the database, start the runtime, ` +
      `listen); the rest is Node and module loading (the compiled dist/, built just before). "/readyz 200" is the first successful GET /readyz. Each run is stopped with SIGTERM ` +
      `(every one exited 0). An untimed priming start ran first (ready line ${fmt(priming.readyLineMs, 0)} ms) ` +
      `so the OS file cache is warm.`,
    '',
    '| case | ready line ms | of which in serve() ms | /readyz 200 ms | RSS at ready MB | SIGTERM to exit ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...cases.map(
      (c) =>
        `| ${c.name} | ${stat(c.runs.map((r) => r.readyLineMs))} | ${stat(c.runs.map((r) => r.serveMs))} | ` +
        `${stat(c.runs.map((r) => r.readyzMs))} | ` +
        `${stat(c.runs.map((r) => r.rssMb))} | ${stat(c.runs.map((r) => r.stopMs))} |`,
    ),
    '',
    `One-shot commands, spawn to exit, ${commands[0]!.ms.length} rounds interleaved; median (min–max) ms and the ` +
      `median's ratio to \`node -e 0\` of the same rounds.`,
    '',
    '| command | ms | × node -e 0 |',
    '|---|---:|---:|',
    ...commands.map(
      (c) => `| ${c.name} | ${stat(c.ms)} | ${fmt(median(c.ms) / median(commands[0]!.ms), 1)}× |`,
    ),
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(() => startupBench());
