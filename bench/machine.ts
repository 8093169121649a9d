// The machine a benchmark ran on, for the report: CPU, cores, memory, OS, Node, PostgreSQL.
//
//   node --import tsx bench/machine.ts
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { isMain, runMain } from './support/main.ts';
import { BENCH_SERVER_URL, redact, serverVersion } from './support/pg.ts';

function cpuModel(): string {
  try {
    const match = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (match) return match[1]!.trim();
  } catch {
    // not Linux: fall through to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown';
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  /** 1-minute load average when the bench started (the machine may be shared). */
  load: number;
}

export async function machine(): Promise<Machine> {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    memoryGb: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: await serverVersion().catch((err: Error) => `unreachable (${err.message})`),
    load: loadavg()[0] ?? NaN,
  };
}

export function machineMarkdown(m: Machine): string {
  return [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGb.toFixed(1)} GiB |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| PostgreSQL | ${m.postgres} at ${redact(BENCH_SERVER_URL)}, same machine |`,
    `| load average at start (1 min) | ${m.load.toFixed(2)} |`,
  ].join('\n');
}

if (isMain(import.meta.url)) await runMain(async () => machineMarkdown(await machine()));
