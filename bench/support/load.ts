// Runs load-client.ts in a child process and summarises what it measured.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadSample } from './load-client.ts';
import { track } from './processes.ts';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/** One slice of closed-loop load against one server, from a separate Node process. */
export function runLoad(config: LoadConfig): Promise<LoadSample> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(config)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`load client exited with ${code ?? signal}`));
      try {
        resolve(JSON.parse(out) as LoadSample);
      } catch (err) {
        reject(new Error(`load client printed no result: ${(err as Error).message}`));
      }
    });
  });
}

export interface LoadSummary {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Requests per second of each slice, in the order they ran (to show the spread). */
  sliceRps: number[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Pools the slices of one server: total requests over total measured time, percentiles over all. */
export function summarise(samples: LoadSample[]): LoadSummary {
  const all = samples.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, s) => sum + s.windowMs, 0) / 1000;
  return {
    requests: all.length,
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    seconds,
    rps: all.length / seconds,
    p50: percentile(all, 50),
    p90: percentile(all, 90),
    p99: percentile(all, 99),
    max: all.at(-1) ?? NaN,
    sliceRps: samples.map((s) => s.completed / (s.windowMs / 1000)),
  };
}
