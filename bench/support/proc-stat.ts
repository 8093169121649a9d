// CPU time and memory of a process from /proc (Linux only), for the benchmarks that measure what a
// server process costs over a window: sample before, sample after, subtract.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS = 100;

/** User + system CPU seconds the process has used so far; NaN when it cannot be read. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state (field 3).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** A value in kB from /proc/<pid>/status (`VmRSS`, `VmHWM`), in MiB; NaN when it cannot be read. */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'),
    );
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident memory now, in MiB. */
export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');

/** The highest resident memory the process has had, in MiB. */
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');

/** The summed CPU seconds of several processes (e.g. PostgreSQL backends); unreadable ones count 0. */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => {
    const s = cpuSeconds(pid);
    return Number.isFinite(s) ? sum + s : sum;
  }, 0);
}

/** CPU seconds per process now, to subtract later with cpuSecondsSince. */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
}

/**
 * The CPU seconds `pids` used since `snapshot`: a process in the snapshot counts its difference
 * (one that exited since counts nothing: its time is gone), one not in it (started since) counts
 * in full.
 */
export function cpuSecondsSince(snapshot: ReadonlyMap<number, number>, pids: readonly number[]): number {
  let sum = 0;
  for (const pid of new Set([...snapshot.keys(), ...pids])) {
    const now = cpuSeconds(pid);
    if (!Number.isFinite(now)) continue;
    const before = snapshot.get(pid);
    sum += before === undefined ? now : now - (Number.isFinite(before) ? before : now);
  }
  return sum;
}
