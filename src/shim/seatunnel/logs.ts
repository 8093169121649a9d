// Zeta's log routes (ENDPOINTS.md §3): `/logs` lists the log files (HTML by default, `format=json`
// as `[{"node","logLink","logName"}]`), `/logs/<jobId>` only that job's, `/logs/job-<id>.log` is the
// file; `/log` is the same for the node asked (one gateway answers for itself). Zeta writes one
// file per job; jobgate's is the job's newest run's log, rendered as log4j-style text oldest first.
import type { RouteCall } from '../core/index.ts';
import { jobIdOfName, parseJobId } from './ids.ts';
import { findSeaTunnelJob, listSeaTunnelJobs } from './job-data.ts';
import { query } from './query.ts';
import { SEATUNNEL_CONTENT_TYPE, seatunnelJson } from './respond.ts';

/** Lines one file shows at most (pages of the schema's limit). */
const MAX_LINES = 10_000;
const PAGE = 1000;

const LINES = `query SeaTunnelLog($runId: ID!, $after: String) {
  logLines(runId: $runId, first: ${PAGE}, after: $after) {
    nodes { at level message vertex subtaskIndex }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Line {
  at: string;
  level: string;
  message: string;
  vertex: string | null;
  subtaskIndex: number | null;
}

const fileNameOf = (jobId: string) => `job-${jobId}.log`;

/** `2026-11-30 01:23:45,123 INFO  [source-0] [0] - message`. */
function render(lines: readonly Line[]): string {
  return lines
    .map((line) => {
      const stamp = line.at.replace('T', ' ').replace('Z', '').replace('.', ',');
      const where = line.vertex
        ? ` [${line.vertex}]${line.subtaskIndex === null ? '' : ` [${line.subtaskIndex}]`}`
        : '';
      return `${stamp} ${line.level.padEnd(5)}${where} - ${line.message}\n`;
    })
    .join('');
}

async function logText(call: RouteCall, runId: string): Promise<string> {
  const lines: Line[] = [];
  let after: string | null = null;
  for (;;) {
    const {
      logLines,
    }: { logLines: { nodes: Line[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await query(call.ctx, LINES, { runId, after });
    lines.push(...logLines.nodes);
    if (!logLines.pageInfo.hasNextPage || lines.length >= MAX_LINES) break;
    after = logLines.pageInfo.endCursor;
  }
  return render(lines.slice(0, MAX_LINES));
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The file list, JSON or HTML as `format` asks. */
function listing(call: RouteCall, jobIds: string[]): Response {
  const node = call.url.host;
  const base = `${call.url.origin}${call.url.pathname.replace(/\/logs?(\/[^/]*)?$/, '')}/logs`;
  const files = jobIds.map((id) => ({ node, logLink: `${base}/${fileNameOf(id)}`, logName: fileNameOf(id) }));
  if (call.url.searchParams.get('format')?.toLowerCase() === 'json') return seatunnelJson(files);
  const items = files
    .map(
      (f) => `<li><a href="${escapeHtml(f.logLink)}">${escapeHtml(f.node)} ${escapeHtml(f.logName)}</a></li>`,
    )
    .join('');
  const html = `<html><head><title>Seatunnel log</title></head><body><h2>Log files</h2><ul>${items}</ul></body></html>`;
  return new Response(html, { status: 200, headers: { 'content-type': 'text/html;charset=UTF-8' } });
}

/** GET /logs and /log: every SeaTunnel job that has run. */
export async function getLogs(call: RouteCall): Promise<Response> {
  const jobs = (await listSeaTunnelJobs(call.ctx)).filter((job) => job.latestRun);
  return listing(
    call,
    jobs.map((job) => jobIdOfName(job.name)!),
  );
}

/** GET /logs/:name and /log/:name: a file (`job-<id>.log`) or the files of one job id. */
export async function getLogFile(call: RouteCall): Promise<Response> {
  const name = call.params.name ?? '';
  const file = /^job-(-?\d{1,19})\.log$/.exec(name);
  const jobId = parseJobId(file ? file[1]! : name);
  const job = await findSeaTunnelJob(call.ctx, jobId);
  if (!file) return listing(call, job?.latestRun ? [jobId] : []);
  if (!job?.latestRun) return new Response(null, { status: 404 });
  const text = await logText(call, job.latestRun.id);
  return new Response(text, {
    status: 200,
    headers: { 'content-type': SEATUNNEL_CONTENT_TYPE.replace('application/json', 'text/plain') },
  });
}
