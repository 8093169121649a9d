// GET /thread-dump: Zeta lists its JVM's threads `[{"threadName","threadId","threadState",
// "stackTrace"}]`. jobgate answers with the gateway process's own threads as Linux lists them
// (/proc/self/task: the JavaScript thread, libuv's pool, V8's workers), their kernel states in
// Java's words. Native threads have no JavaScript stack, so stackTrace is empty; where there is no
// /proc, the answer is the one JavaScript thread.
import { readdirSync, readFileSync } from 'node:fs';
import type { RouteCall } from '../core/index.ts';
import { seatunnelJson } from './respond.ts';

/** Kernel task states (proc(5)) as java.lang.Thread.State names. */
const STATE: Record<string, string> = {
  R: 'RUNNABLE',
  S: 'WAITING',
  I: 'WAITING',
  D: 'BLOCKED',
  T: 'WAITING',
  t: 'WAITING',
  Z: 'TERMINATED',
  X: 'TERMINATED',
};

interface ThreadInfo {
  threadName: string;
  threadId: number;
  threadState: string;
  stackTrace: string;
}

function task(id: string): ThreadInfo | undefined {
  try {
    // `pid (comm) state ...`: the name may hold spaces and parentheses, so read from the last ')'.
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const state = stat.slice(close + 2, close + 3);
    return {
      threadName: stat.slice(open + 1, close),
      threadId: Number(id),
      threadState: STATE[state] ?? 'RUNNABLE',
      stackTrace: '',
    };
  } catch {
    return undefined; // the thread ended between the listing and the read
  }
}

export function getThreadDump(_call: RouteCall): Response {
  let threads: ThreadInfo[] = [];
  try {
    threads = readdirSync('/proc/self/task')
      .map(task)
      .filter((t): t is ThreadInfo => t !== undefined);
  } catch {
    // no /proc: below
  }
  if (threads.length === 0) {
    threads = [{ threadName: 'main', threadId: process.pid, threadState: 'RUNNABLE', stackTrace: '' }];
  }
  return seatunnelJson(threads);
}
