// Real `jobgate` child processes for tests, and the guarantee that none outlives its test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIALECT_NAMES, dialectPortVariable } from '../../src/config.ts';
import { TEST_SECRET_KEY } from './secrets.ts';

const BIN = fileURLToPath(new URL('../../bin/jobgate.mjs', import.meta.url));
const live = new Set<ChildProcess>();
/** Every dialect's own port off (JOBGATE_FLINK_PORT=0, ...), the default of every spawned gateway. */
export const NO_DIALECT_PORT_ENV: Record<string, string> = Object.fromEntries(
  DIALECT_NAMES.map((name) => [dialectPortVariable(name), '0']),
);
/** How long a spawn may take to say it is ready: the compiled entry (dist/, when fresh) loads in about
 * a second on an idle 2-core machine, the tsx fallback in ~6 s and ~30 s under a load of 16
 * (measured); a limit, not an expectation. */
export const SPAWN_READY_MS = 120_000;

export interface JobgateProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line matching `pattern`, or rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `jobgate <args>` as a child process; `bin` is another copy's bin/jobgate.mjs (default: this
 * checkout's). */
export function startJobgate(args: string[], env: Record<string, string> = {}, bin = BIN): JobgateProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      JOBGATE_LOG_LEVEL: 'warn',
      // Concurrent test processes would contend for the dialects' ports (8081, 8080, ...); a test
      // that wants one passes a port.
      ...NO_DIALECT_PORT_ENV,
      JOBGATE_SECRET_KEY: TEST_SECRET_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = SPAWN_READY_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`));
        }, timeoutMs);
        const onExit = () => {
          check();
          cleanup();
          reject(new Error(`process exited before ${pattern}; output:\n${out}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        child.on('exit', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Kills whatever a test left running; call from afterAll/afterEach. Returns how many it killed. */
export async function killLeftovers(): Promise<number> {
  const left = [...live];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
  return left.length;
}
