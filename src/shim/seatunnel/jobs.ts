// Zeta's read routes over jobs: overview, running-jobs, job-info (and its deprecated alias
// running-job), finished-jobs. A job unknown to job-info is no error: 200 `{"jobId": "<id>"}`.
// The lists read at most 1000 jobs (job-data.ts); the overview's counts are totals.
import {
  isSeaTunnelEndStatus,
  SEATUNNEL_JOB_STATUSES,
  SEATUNNEL_OVERVIEW_COUNTS,
  seatunnelJobStatus,
  type SeaTunnelJobStatus,
} from '../../lib/seatunnel-status.ts';
import { RUN_STATUSES, type RunStatus } from '../../lib/status.ts';
import type { DialectContext, RouteCall } from '../core/index.ts';
import { JOB_NAME_FILTER, parseJobId } from './ids.ts';
import { findSeaTunnelJob, listSeaTunnelJobs } from './job-data.ts';
import { jobInfoOf, jobStatusOf } from './job-info.ts';
import { query } from './query.ts';
import { badRequest, seatunnelJson } from './respond.ts';

/** The version Zeta's overview reports: the release ENDPOINTS.md was written from. */
export const PROJECT_VERSION = '2.3.8';
const GIT_COMMIT_ABBREV = 'DeadD0d0';

const NODES = `query SeaTunnelNodes { nodes { status slots slotsFree tags { key value } } }`;

interface NodeInfo {
  status: string;
  slots: number;
  slotsFree: number;
  tags: { key: string; value: string }[];
}

/** One count per run status of the SeaTunnel jobs' newest runs (totals, not a listing: no cap). */
const COUNTS = `query SeaTunnelJobCounts($name: String!) {
  ${RUN_STATUSES.map((status) => `${status}: jobs(name: $name, status: ${status}, first: 0) { totalCount }`).join('\n  ')}
}`;

async function countsByStatus(ctx: DialectContext): Promise<Map<SeaTunnelJobStatus, number>> {
  const data = await query<Record<RunStatus, { totalCount: number }>>(ctx, COUNTS, { name: JOB_NAME_FILTER });
  const counts = new Map<SeaTunnelJobStatus, number>();
  for (const status of RUN_STATUSES) {
    const shown = seatunnelJobStatus(status);
    counts.set(shown, (counts.get(shown) ?? 0) + data[status].totalCount);
  }
  return counts;
}

/** GET /overview[?tag=value...]: tags filter the workers and slots; job counts are cluster-wide. */
export async function getOverview({ ctx, url }: RouteCall): Promise<Response> {
  const { nodes } = await query<{ nodes: NodeInfo[] }>(ctx, NODES);
  const wanted = [...url.searchParams.entries()];
  const workers = nodes.filter((node) =>
    wanted.every(([key, value]) => node.tags.some((tag) => tag.key === key && tag.value === value)),
  );
  const counts = await countsByStatus(ctx);
  const count = (status: SeaTunnelJobStatus) => String(counts.get(status) ?? 0);
  const running = [...counts].filter(([status]) => !isSeaTunnelEndStatus(status));
  return seatunnelJson({
    projectVersion: PROJECT_VERSION,
    gitCommitAbbrev: GIT_COMMIT_ABBREV,
    totalSlot: String(workers.reduce((sum, node) => sum + node.slots, 0)),
    unassignedSlot: String(workers.reduce((sum, node) => sum + node.slotsFree, 0)),
    works: String(workers.length),
    runningJobs: String(running.reduce((sum, [, n]) => sum + n, 0)),
    finishedJobs: count(SEATUNNEL_OVERVIEW_COUNTS.finishedJobs),
    failedJobs: count(SEATUNNEL_OVERVIEW_COUNTS.failedJobs),
    cancelledJobs: count(SEATUNNEL_OVERVIEW_COUNTS.cancelledJobs),
  });
}

/** GET /running-jobs: every job not in an end state. */
export async function getRunningJobs({ ctx }: RouteCall): Promise<Response> {
  const jobs = (await listSeaTunnelJobs(ctx)).filter((job) => {
    const status = jobStatusOf(job);
    return status !== undefined && !isSeaTunnelEndStatus(status);
  });
  return seatunnelJson(jobs.map(jobInfoOf));
}

/** GET /job-info/:jobId and /running-job/:jobId. */
export async function getJobInfo({ ctx, params }: RouteCall): Promise<Response> {
  const jobId = parseJobId(params.jobId ?? '');
  const job = await findSeaTunnelJob(ctx, jobId);
  if (!job?.latestRun) return seatunnelJson({ jobId });
  return seatunnelJson(jobInfoOf(job));
}

/** JobStatus.valueOf(state.toUpperCase()): an unknown name is Java's IllegalArgumentException. */
function parseState(state: string): SeaTunnelJobStatus {
  const upper = state.toUpperCase();
  const found = SEATUNNEL_JOB_STATUSES.find((s) => s === upper);
  if (!found) throw badRequest(`No enum constant org.apache.seatunnel.engine.core.job.JobStatus.${upper}`);
  return found;
}

/** GET /finished-jobs[/:state]: ended jobs, by finish time ascending. */
export async function getFinishedJobs({ ctx, params }: RouteCall): Promise<Response> {
  const state = params.state ? parseState(params.state) : undefined;
  const jobs = (await listSeaTunnelJobs(ctx)).filter((job) => {
    const status = jobStatusOf(job);
    return status !== undefined && isSeaTunnelEndStatus(status) && (!state || status === state);
  });
  jobs.sort((a, b) => (a.latestRun!.endedAt ?? '').localeCompare(b.latestRun!.endedAt ?? ''));
  return seatunnelJson(jobs.map(jobInfoOf));
}
