// Small helpers shared by the benchmark entry points.
import { pathToFileURL } from 'node:url';
import { dropLeftoverDatabases } from './pg.ts';
import { killLeftovers } from './processes.ts';

/** Whether the module with this import.meta.url is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return Boolean(script) && pathToFileURL(script!).href === moduleUrl;
}

const cleanups = new Set<() => void>();

/** Registers synchronous clean-up (e.g. removing a scratch directory); returns its unregister. */
export function onCleanUp(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Kills tracked children, runs registered clean-ups, drops bench databases; also on SIGINT/SIGTERM. */
export async function cleanUp(): Promise<void> {
  await killLeftovers();
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      console.error('clean-up failed:', err);
    }
  }
  await dropLeftoverDatabases();
}

let handlersInstalled = false;

/** Runs a benchmark entry point: prints its markdown, cleans up, exits non-zero on failure. */
export async function runMain(work: () => Promise<string>): Promise<void> {
  if (!handlersInstalled) {
    handlersInstalled = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: cleaning up`);
        void cleanUp().finally(() => process.exit(130));
      });
    }
  }
  try {
    console.log(await work());
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

/** Progress goes to stderr, so stdout carries only the markdown. */
export function progress(message: string): void {
  console.error(`[bench] ${message}`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
