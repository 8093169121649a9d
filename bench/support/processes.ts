// Every child process a benchmark starts is tracked here, and killed if the benchmark dies first.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Whether the child is still running. */
export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILLs every tracked child that is still running and waits for each to exit. */
export async function killLeftovers(): Promise<number> {
  const left = [...live].filter(running);
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  return left.length;
}

// Last resort: a synchronous kill on the way out (no waiting is possible in an exit handler).
process.on('exit', () => {
  for (const child of live) if (running(child)) child.kill('SIGKILL');
});
