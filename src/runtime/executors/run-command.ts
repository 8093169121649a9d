// Runs the shell command of a COMMAND vertex (or of one step of a `steps` DAG) as a child process.
// The child leads its own process group so that a timeout or cancel reaches everything it started,
// including background grandchildren that would otherwise outlive the run and hold a slot.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Logger } from '../../lib/logger.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface RunCommandOptions {
  /** Run with `/bin/sh -c`, so pipes, `&&` and `$VAR` work as in a shell. */
  command: string;
  /** Working directory; when it does not exist the result carries `error` and nothing is spawned. */
  cwd?: string;
  /**
   * Variables for the child, laid over `baseEnv`. The parent's own environment is deliberately NOT
   * passed on: the control plane's environment holds secrets (DATABASE_URL, tokens) that a job's
   * command must not be able to read. Pass what a command needs here, explicitly.
   */
  env?: Record<string, string>;
  /** The minimal environment under `env`; defaults to {@link safeBaseEnv} (PATH, HOME, LANG). */
  baseEnv?: Record<string, string>;
  /** After this long the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  timeoutMs?: number;
  /** How long a SIGTERMed group gets to exit before SIGKILL. Default 2000. */
  killGraceMs?: number;
  /** Aborting cancels the command with the same SIGTERM → SIGKILL sequence as a timeout. */
  signal?: AbortSignal;
  /** Called once per complete line, without the line break; a final unterminated line is flushed at exit. */
  onLine: (stream: OutputStream, line: string) => void;
  /** Longest line passed to `onLine`, in bytes; the rest is dropped and a marker appended. Default 64 KiB. */
  maxLineBytes?: number;
  logger?: Logger;
}

export interface CommandResult {
  /** The shell's exit code, or null when it was ended by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended the shell (e.g. `SIGTERM`), or null. */
  signal: string | null;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
  /** Set when the command could not be started (missing cwd, spawn failure). */
  error?: string;
}

export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** How long to wait for a SIGKILLed group to vanish, or for pipes to drain, before settling anyway. */
const REAP_WAIT_MS = 2000;
const REAP_POLL_MS = 20;

/** PATH, HOME and LANG taken from `source`, with fallbacks; nothing else leaks through. */
export function safeBaseEnv(source: NodeJS.ProcessEnv): Record<string, string> {
  return {
    PATH: source.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: source.HOME ?? homedir(),
    LANG: source.LANG ?? 'C.UTF-8',
  };
}

export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const log = options.logger;
  const elapsed = () => Math.round(performance.now() - started);
  const failed = (error: string): CommandResult => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    canceled: false,
    durationMs: elapsed(),
    error,
  });

  // Node reports a missing cwd as "spawn /bin/sh ENOENT", which sends people looking for the shell.
  if (options.cwd !== undefined) {
    const problem = await checkDirectory(options.cwd);
    if (problem) return failed(problem);
  }
  // Checked after the await above, since an abort during it would never reach the listener below.
  if (options.signal?.aborted) {
    return { exitCode: null, signal: null, timedOut: false, canceled: true, durationMs: elapsed() };
  }

  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const emit = (stream: OutputStream, line: string) => {
    try {
      options.onLine(stream, line);
    } catch (err) {
      // A faulty sink must not take down the process supervising the child.
      log?.error({ err, stream }, 'command:onLine-failed');
    }
  };

  const child = spawn('/bin/sh', ['-c', options.command], {
    cwd: options.cwd,
    // Without a base (config reads the environment, in bin/), only a standard PATH.
    env: { ...(options.baseEnv ?? { PATH: '/usr/local/bin:/usr/bin:/bin' }), ...options.env },
    // detached = setsid(): the shell becomes a process-group leader, so -pid names its whole group.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) {
    // No pid means the spawn failed; the 'error' event (emitted on the next tick) says why.
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    return failed(`could not start command: ${err.message}`);
  }
  const plog = log?.child({ pid });
  plog?.debug({ command: options.command }, 'command:started');

  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<boolean>((resolve) => child.once('close', () => resolve(true)));
  child.on('error', (err) => {
    // After a successful spawn this can only come from a failed kill(); the exit path still settles.
    plog?.warn({ err }, 'command:child-error');
  });
  const stdout = new LineSplitter(maxLineBytes, (line) => emit('stdout', line));
  const stderr = new LineSplitter(maxLineBytes, (line) => emit('stderr', line));
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  let timedOut = false;
  let canceled = false;
  let terminating = false;
  let killTimer: NodeJS.Timeout | undefined;
  let killSentAt: number | undefined;
  const terminate = (why: string) => {
    if (terminating) return;
    terminating = true;
    plog?.debug({ why }, 'command:terminating');
    signalGroup(pid, 'SIGTERM', plog);
    killTimer = setTimeout(() => {
      plog?.debug({ why }, 'command:killing');
      killSentAt = performance.now();
      signalGroup(pid, 'SIGKILL', plog);
    }, graceMs);
  };
  const timeoutTimer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          terminate('timeout');
        }, options.timeoutMs)
      : undefined;
  const onAbort = () => {
    canceled = true;
    terminate('canceled');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = await exited;
  clearTimeout(timeoutTimer);
  options.signal?.removeEventListener('abort', onAbort);
  // The shell is done; whatever it left running in its group ends with it, because a step that
  // leaks a background process would otherwise hold resources after it is reported done.
  if (await groupHasLiveMembers(pid)) terminate('leftover processes after exit');
  // Processes that redirected their output away do not hold our pipes, so the pipes closing does
  // not prove the group is gone; wait for the group itself so nothing outlives the promise.
  for (;;) {
    if (!(await groupHasLiveMembers(pid))) break;
    if (killSentAt !== undefined && performance.now() - killSentAt > REAP_WAIT_MS) {
      plog?.warn('command:group-survived-sigkill');
      break;
    }
    await delay(REAP_POLL_MS);
  }
  // Once the group is gone, stop the timer so a SIGKILL can never reach a later group reusing the id.
  clearTimeout(killTimer);
  // The pipes drain promptly now, unless a process that left the group (setsid) still holds them.
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    closed,
    new Promise<false>((resolve) => (drainTimer = setTimeout(() => resolve(false), REAP_WAIT_MS))),
  ]);
  clearTimeout(drainTimer);
  if (!drained) {
    plog?.warn('command:output-held-open');
    child.stdout.destroy();
    child.stderr.destroy();
  }
  stdout.flush();
  stderr.flush();
  const result: CommandResult = {
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    canceled,
    durationMs: elapsed(),
  };
  plog?.debug({ ...result }, 'command:finished');
  return result;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function checkDirectory(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(dir);
    return info.isDirectory() ? undefined : `working directory ${JSON.stringify(dir)} is not a directory`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `working directory ${JSON.stringify(dir)} does not exist`;
    return `working directory ${JSON.stringify(dir)} is not usable: ${(err as Error).message}`;
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals, log: Logger | undefined): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    // ESRCH: the group is already gone, which is the outcome we want. Anything else (EPERM would
    // mean the id now names someone else's group) is logged, not thrown, since this runs in timers.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log?.error({ err, sig }, 'command:signal-failed');
  }
}

/**
 * Whether any non-zombie process is still in the group. kill(-pgid, 0) alone cannot tell: it also
 * succeeds for zombies, and orphans stay zombies for as long as PID 1 does not reap them (as in
 * containers without an init), although they are no longer running anything.
 */
export async function groupHasLiveMembers(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = await readFile(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parens, so parse after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/**
 * Splits a byte stream into lines. Works on bytes rather than strings so a multi-byte character split
 * across chunks is decoded whole, and caps each line so one huge unterminated blob (a binary written
 * to stdout) costs at most `maxBytes` of memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  private endsWithCr = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      this.append(chunk.subarray(start, nl));
      this.emit();
      start = nl + 1;
    }
  }

  /** Emits a final line that had no line break. */
  flush(): void {
    if (this.kept > 0 || this.dropped > 0) this.emit();
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.endsWithCr = bytes[bytes.length - 1] === 0x0d;
    const room = this.maxBytes - this.kept;
    if (room >= bytes.length) {
      this.parts.push(bytes);
      this.kept += bytes.length;
      return;
    }
    if (room > 0) {
      // Cut on a UTF-8 character boundary so the kept part decodes cleanly.
      let cut = room;
      while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
      this.parts.push(bytes.subarray(0, cut));
      this.kept += cut;
      this.dropped += bytes.length - cut;
      // Nothing more fits, even if a later chunk starts with a small character.
      this.kept = this.maxBytes;
      return;
    }
    this.dropped += bytes.length;
  }

  private emit(): void {
    let line = Buffer.concat(this.parts).toString('utf8');
    if (this.endsWithCr) {
      if (this.dropped > 0) this.dropped--;
      else line = line.slice(0, -1);
    }
    if (this.dropped > 0) line += ` …[truncated ${this.dropped} bytes]`;
    this.parts = [];
    this.kept = 0;
    this.dropped = 0;
    this.endsWithCr = false;
    this.onLine(line);
  }
}
