// GET /task/logs: a task's log lines, at most 100 a call, with Keeper's cursor. A line's place is its
// gap-free seq in the run; while the task is active the cursor is negative (Keeper's database rows,
// `-<last id>`), once it ended positive (Keeper's file position); either way the client sends it back
// as it came and the next call reads after abs(cursor), so every line comes exactly once.
import { isActiveRun } from '../../lib/keeper-status.ts';
import type { Route, RouteCall } from '../core/index.ts';
import { actionId, splitActionId } from './ids.ts';
import { intParam, longParam, optional, recordTimeParam } from './params.ts';
import { query } from './query.ts';
import { AkkaText, KeeperRestError, keeperJson } from './respond.ts';
import { findTask } from './task-data.ts';

/** Keeper's page size. */
export const LOG_PAGE = 100;

interface LogLine {
  at: string;
  level: string;
  message: string;
  vertex: string | null;
}

interface LogPage {
  logLines: { edges: { cursor: string; node: LogLine }[] };
}

const LOGS = `query KeeperLogs($runId: ID!, $after: String, $level: LogLevel, $vertex: String, $first: Int!) {
  logLines(runId: $runId, after: $after, level: $level, vertex: $vertex, first: $first) {
    edges { cursor node { at level message vertex } }
  }
}`;

/** Keeper's log types over jobgate's levels (TRACE has no Keeper word: DEBUG). */
function logType(level: string): string {
  return level === 'TRACE' ? 'DEBUG' : level;
}

function stamp(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 19);
}

const NOT_FOUND = { logs: [], cursor: 0, error: 'File not found.' };

async function getTaskLogs(call: RouteCall): Promise<Response> {
  const { url } = call;
  const jobId = intParam(url, 'jobId');
  const taskId = longParam(url, 'taskId');
  recordTimeParam(url, 'recordTime', true);
  const action = longParam(url, 'actionId', 0);
  const cursor = longParam(url, 'cursor', 0);
  const mode = optional(url, 'mode') ?? 'all';
  if (mode !== 'all' && mode !== 'debug' && mode !== 'error') {
    throw new KeeperRestError(400, AkkaText.malformedParameter('mode', "must be 'all', 'debug' or 'error'"));
  }
  const task = await findTask(call.ctx, taskId);
  if (!task || task.job.number !== jobId) return keeperJson(NOT_FOUND);
  let vertex: string | undefined;
  if (action !== 0) {
    const { taskId: owner, index } = splitActionId(action);
    vertex = owner === task.number ? task.vertices[index]?.name : undefined;
    if (!vertex) return keeperJson(NOT_FOUND);
  }
  const from = Math.abs(cursor);
  const data = await query<LogPage>(call.ctx, LOGS, {
    runId: task.id,
    after: from > 0 ? String(from) : undefined,
    level: mode === 'error' ? 'ERROR' : undefined,
    vertex,
    first: LOG_PAGE,
  });
  const edges = data.logLines.edges;
  const last = edges.length > 0 ? Number(edges[edges.length - 1]!.cursor) : from;
  const index = new Map(task.vertices.map((v, i) => [v.name, actionId(task.number, i)]));
  const logs = edges
    // debug: everything but INFO (the page still moves the cursor past the INFO lines it read).
    .filter(({ node }) => mode !== 'debug' || node.level !== 'INFO')
    .map(({ cursor: seq, node }) => {
      const type = logType(node.level);
      const id = node.vertex ? (index.get(node.vertex) ?? 0) : 0;
      const prefixed =
        type === 'INFO' || type === 'ERROR' ? node.message : `${stamp(node.at)} [${type}] ${node.message}`;
      return { id: Number(seq), commandId: id, actionId: id, logType: type, logText: prefixed };
    });
  return keeperJson({ logs, cursor: isActiveRun(task.status) ? -last : last });
}

export const LOG_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/task/logs', handler: getTaskLogs, doc: '§3 task logs, 100 lines a call' },
];
