// The log routes (ENDPOINTS.md rows 36-38 and the text/plain file routes the dashboard opens).
// jobgate's processes log structured JSON to their own stdout, which the API cannot reach; what it
// records and serves is each run's log. So "the JobManager log" here is the newest lines of the
// newest runs, and "a TaskManager's log" the newest lines that node produced, both rendered as
// log4j-style text (oldest first) in one file named jobgate.log. There is no separate stdout file:
// the stdout routes answer 200 with a hint, as Flink does for a missing stdout (FLINK-31233).
import type { RouteCall } from '../core/index.ts';
import { query } from './query.ts';
import { FlinkRestError, flinkJson, flinkText } from './respond.ts';
import { loadTaskManager } from './taskmanagers.ts';

/** The one log file each process has. */
const LOG_FILE = 'jobgate.log';
/** Lines a log file shows (the schema's page limit). */
const LOG_LINES = 1000;
const STDOUT_HINT =
  'jobgate keeps no separate stdout file: stdout and stderr of COMMAND steps are in the log ' +
  `(${LOG_FILE}, and each run's log through GraphQL logLines).\n`;

interface LineData {
  at: string;
  level: string;
  message: string;
  node: string | null;
  vertex: string | null;
  subtaskIndex: number | null;
}

const LINE_FIELDS = 'at level message node vertex subtaskIndex';
const JOBMANAGER_LINES = `query FlinkJobManagerLog($first: Int!) { recentLogLines(first: $first) { ${LINE_FIELDS} } }`;
const NODE_LINES = `query FlinkTaskManagerLog($first: Int!, $node: ID!) {
  recentLogLines(first: $first, node: $node) { ${LINE_FIELDS} }
}`;

/** `2026-11-30 01:23:45,123 INFO  source[0] - message`, like Flink's default log4j pattern. */
function render(lines: readonly LineData[]): string {
  return [...lines]
    .reverse()
    .map((line) => {
      const stamp = line.at.replace('T', ' ').replace('Z', '').replace('.', ',');
      const where = line.vertex ? `${line.vertex}[${line.subtaskIndex ?? 0}]` : (line.node ?? 'jobgate');
      return `${stamp} ${line.level.padEnd(5)} ${where} - ${line.message}\n`;
    })
    .join('');
}

/** The file listing: one file, its size in bytes and the time of its newest line. */
function listing(lines: readonly LineData[]) {
  const mtime = lines[0] ? Date.parse(lines[0].at) : 0;
  return { logs: [{ name: LOG_FILE, size: Buffer.byteLength(render(lines)), mtime }] };
}

async function jobManagerLines(call: RouteCall): Promise<LineData[]> {
  const data = await query<{ recentLogLines: LineData[] }>(call.ctx, JOBMANAGER_LINES, { first: LOG_LINES });
  return data.recentLogLines;
}

async function taskManagerLines(call: RouteCall): Promise<LineData[]> {
  const node = await loadTaskManager(call);
  const data = await query<{ recentLogLines: LineData[] }>(call.ctx, NODE_LINES, {
    first: LOG_LINES,
    node: node.id,
  });
  return data.recentLogLines;
}

/** GET /jobmanager/logs. */
export async function getJobManagerLogs(call: RouteCall): Promise<Response> {
  return flinkJson(listing(await jobManagerLines(call)), call.ctx);
}

/** GET /jobmanager/log. */
export async function getJobManagerLog(call: RouteCall): Promise<Response> {
  return flinkText(render(await jobManagerLines(call)), call.ctx);
}

/** GET /jobmanager/logs/:filename: only the basename counts, as in Flink. */
export async function getJobManagerLogFile(call: RouteCall): Promise<Response> {
  const name = call.params.filename!.split('/').at(-1);
  if (name !== LOG_FILE) throw new FlinkRestError(404, 'This file does not exist in JobManager log dir.');
  return getJobManagerLog(call);
}

/** GET /jobmanager/stdout and /taskmanagers/:id/stdout. */
export async function getStdout(call: RouteCall): Promise<Response> {
  if (call.params.taskmanagerid !== undefined) await loadTaskManager(call);
  return flinkText(STDOUT_HINT, call.ctx);
}

/** GET /taskmanagers/:taskmanagerid/logs. */
export async function getTaskManagerLogs(call: RouteCall): Promise<Response> {
  return flinkJson(listing(await taskManagerLines(call)), call.ctx);
}

/** GET /taskmanagers/:taskmanagerid/log. */
export async function getTaskManagerLog(call: RouteCall): Promise<Response> {
  return flinkText(render(await taskManagerLines(call)), call.ctx);
}

/** GET /taskmanagers/:taskmanagerid/logs/:filename. */
export async function getTaskManagerLogFile(call: RouteCall): Promise<Response> {
  const name = call.params.filename!.split('/').at(-1);
  if (name !== LOG_FILE) {
    await loadTaskManager(call);
    throw new FlinkRestError(404, `The file ${name} does not exist on the TaskExecutor.`);
  }
  return getTaskManagerLog(call);
}
