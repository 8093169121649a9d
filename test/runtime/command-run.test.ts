// runCommand against real /bin/sh child processes: output, exit status, and that a timeout or cancel
// leaves nothing of the process group running.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  runCommand,
  safeBaseEnv,
  type OutputStream,
  type RunCommandOptions,
} from '../../src/runtime/executors/run-command.ts';

interface Captured {
  stdout: string[];
  stderr: string[];
  all: { stream: OutputStream; line: string }[];
}

function capture(): Captured & { onLine: RunCommandOptions['onLine'] } {
  const c: Captured = { stdout: [], stderr: [], all: [] };
  return {
    ...c,
    onLine: (stream, line) => {
      c[stream].push(line);
      c.all.push({ stream, line });
    },
  };
}

/** Live (non-zombie) processes; an orphan may stay a zombie until PID 1 reaps it, but runs nothing. */
function liveProcesses(): { pid: number; pgid: number }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && !f[2]?.startsWith('Z'))
    .map((f) => ({ pid: Number(f[0]), pgid: Number(f[1]) }));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return liveProcesses().some((p) => p.pid === pid);
}

function groupMembers(pgid: number): number[] {
  return liveProcesses()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('runCommand output and exit status', () => {
  it('delivers stdout and stderr lines in order, each on its own stream', async () => {
    const out = capture();
    const result = await runCommand({
      command: "echo one; echo err1 >&2; echo two; printf 'crlf\\r\\n'; echo err2 >&2; printf 'partial'",
      onLine: out.onLine,
    });
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, canceled: false });
    expect(result.error).toBeUndefined();
    expect(out.stdout).toEqual(['one', 'two', 'crlf', 'partial']);
    expect(out.stderr).toEqual(['err1', 'err2']);
  });

  it('keeps many lines in order and keeps empty lines', async () => {
    const out = capture();
    await runCommand({ command: 'seq 1 2000; echo; echo end', onLine: out.onLine });
    expect(out.stdout).toHaveLength(2002);
    expect(out.stdout.slice(0, 3)).toEqual(['1', '2', '3']);
    expect(out.stdout.slice(-3)).toEqual(['2000', '', 'end']);
  });

  it('reports the exit code', async () => {
    const result = await runCommand({ command: 'echo bye; exit 3', onLine: () => {} });
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, canceled: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('truncates a very long line with a marker and carries on with the next', async () => {
    const out = capture();
    const result = await runCommand({
      command: "head -c 200000 /dev/zero | tr '\\0' x; echo; echo after",
      onLine: out.onLine,
    });
    expect(result.exitCode).toBe(0);
    expect(out.stdout).toHaveLength(2);
    const [long, after] = out.stdout as [string, string];
    expect(long.startsWith('x'.repeat(64 * 1024))).toBe(true);
    expect(long).toContain(`[truncated ${200000 - 64 * 1024} bytes]`);
    expect(long.length).toBeLessThan(64 * 1024 + 100);
    expect(after).toBe('after');
  });

  it('runs in cwd, and reports a missing cwd as an error instead of throwing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobgate-cmd-'));
    dirs.push(dir);
    const out = capture();
    const ok = await runCommand({ command: 'pwd', cwd: dir, onLine: out.onLine });
    expect(ok.exitCode).toBe(0);
    expect(out.stdout).toEqual([dir]);

    const missing = join(dir, 'nope');
    const bad = await runCommand({ command: 'pwd', cwd: missing, onLine: () => {} });
    expect(bad).toMatchObject({ exitCode: null, signal: null, timedOut: false, canceled: false });
    expect(bad.error).toBe(`working directory ${JSON.stringify(missing)} does not exist`);
  });

  it('keeps an onLine that throws from breaking the run', async () => {
    const result = await runCommand({
      command: 'echo a; echo b; exit 4',
      onLine: () => {
        throw new Error('sink broke');
      },
    });
    expect(result.exitCode).toBe(4);
  });
});

describe('runCommand environment', () => {
  it('does not pass on the parent environment, only PATH, HOME, LANG and env', async () => {
    process.env.JOBGATE_SECRET_TEST = 'do-not-leak';
    try {
      const out = capture();
      const result = await runCommand({
        command: 'echo "secret=${JOBGATE_SECRET_TEST:-unset}"; echo "mine=$MINE"; env',
        baseEnv: safeBaseEnv(process.env),
        env: { MINE: 'yes' },
        onLine: out.onLine,
      });
      expect(result.exitCode).toBe(0);
      expect(out.stdout[0]).toBe('secret=unset');
      expect(out.stdout[1]).toBe('mine=yes');
      const names = out.stdout.slice(2).map((l) => l.split('=')[0]);
      expect(names).not.toContain('JOBGATE_SECRET_TEST');
      expect(names).toEqual(expect.arrayContaining(['PATH', 'HOME', 'LANG', 'MINE']));
      // What dash adds by itself is fine; nothing else from the parent may appear.
      expect(
        names.filter(
          (n) => !['PATH', 'HOME', 'LANG', 'MINE', 'PWD', 'SHLVL', 'OLDPWD', '_'].includes(n ?? ''),
        ),
      ).toEqual([]);
    } finally {
      delete process.env.JOBGATE_SECRET_TEST;
    }
  });
});

describe('runCommand timeout and cancel', () => {
  it('kills the whole group on timeout, including a background grandchild', async () => {
    const out = capture();
    const result = await runCommand({
      command: 'echo $$; sleep 30 & echo $!; sleep 30',
      timeoutMs: 300,
      killGraceMs: 1000,
      onLine: out.onLine,
    });
    const [leader, grandchild] = out.stdout.map(Number) as [number, number];
    // SIGTERM, not SIGKILL: the group ended on the first signal, without the grace path.
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: true, canceled: false });
    expect(grandchild).toBeGreaterThan(0);
    expect(isRunning(grandchild)).toBe(false);
    expect(isRunning(leader)).toBe(false);
    expect(groupMembers(leader)).toEqual([]);
  });

  it('SIGKILLs a group that ignores SIGTERM once the grace is over', async () => {
    const out = capture();
    const result = await runCommand({
      command: "trap '' TERM; echo $$; sleep 30 & echo $!; wait",
      timeoutMs: 200,
      killGraceMs: 400,
      onLine: out.onLine,
    });
    const [leader, grandchild] = out.stdout.map(Number) as [number, number];
    // SIGKILL only after the timeout and the whole grace: a lower bound, which a busy machine cannot break.
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    expect(result.durationMs).toBeGreaterThanOrEqual(550);
    expect(isRunning(grandchild)).toBe(false);
    expect(groupMembers(leader)).toEqual([]);
  });

  it('cancels on abort: TERM is ignored, so after the grace the group is KILLed and nothing runs', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    let grandchildRanAtAbort = false;
    const result = await runCommand({
      command: "trap '' TERM; echo $$; sleep 30 & echo $!; wait",
      killGraceMs: 300,
      signal: controller.signal,
      onLine: (_stream, line) => {
        lines.push(line);
        if (lines.length === 2) {
          // The positive control for "nothing runs" below: the same look sees it before the abort.
          grandchildRanAtAbort = isRunning(Number(line));
          controller.abort();
        }
      },
    });
    // canceled (not timedOut), and SIGKILL: the grace path was taken because TERM was trapped.
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false, canceled: true });
    const [leader, grandchild] = lines.map(Number) as [number, number];
    expect(grandchildRanAtAbort).toBe(true);
    expect(isRunning(grandchild)).toBe(false);
    expect(groupMembers(leader)).toEqual([]);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const out = capture();
    const result = await runCommand({ command: 'echo ran', signal: AbortSignal.abort(), onLine: out.onLine });
    expect(result).toMatchObject({ exitCode: null, canceled: true });
    expect(out.stdout).toEqual([]);
  });

  it('ends background processes a command leaves behind when it exits', async () => {
    const out = capture();
    const result = await runCommand({
      command: 'sleep 30 >/dev/null 2>&1 & echo $!; exit 0',
      killGraceMs: 300,
      onLine: out.onLine,
    });
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, canceled: false });
    expect(isRunning(Number(out.stdout[0]))).toBe(false);
  });
});
