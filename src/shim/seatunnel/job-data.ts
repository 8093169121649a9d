// The GraphQL reads behind Zeta's job routes: one SeaTunnel job is a jobgate job named
// `seatunnel-<id>` (ids.ts), shown as its newest run.
import type { RunStatus } from '../../lib/status.ts';
import type { DialectContext } from '../core/index.ts';
import { JOB_NAME_FILTER, jobIdOfName, jobNameOf } from './ids.ts';
import { query, queryOrNull } from './query.ts';

export interface SeaTunnelVertex {
  name: string;
  kind: string;
  plugin: string | null;
  inputs: string[];
}

export interface SeaTunnelRun {
  id: string;
  status: RunStatus;
  statusCause: string | null;
  createdAt: string;
  endedAt: string | null;
  restoredFrom: { id: string } | null;
  vertices: SeaTunnelVertex[];
  metrics: { name: string; value: number }[];
}

export interface SeaTunnelJob {
  name: string;
  definition: Record<string, unknown>;
  metadata: { key: string; value: string }[];
  latestRun: SeaTunnelRun | null;
}

const JOB_FIELDS = `
  name
  definition
  metadata { key value }
  latestRun {
    id status statusCause createdAt endedAt
    restoredFrom { id }
    vertices { name kind plugin inputs }
    metrics { name value }
  }`;

const ONE = `query SeaTunnelJob($name: String!) { job(name: $name) { ${JOB_FIELDS} } }`;
const PAGE = `query SeaTunnelJobs($name: String!, $after: String, $status: RunStatus) {
  jobs(name: $name, first: 100, after: $after, status: $status) {
    nodes { ${JOB_FIELDS} }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** How many jobs a list route reads at most (Zeta scans whole maps; jobgate pages and stops). */
const MAX_LISTED = 1000;

/** The SeaTunnel job with this id, or null. */
export async function findSeaTunnelJob(ctx: DialectContext, id: string): Promise<SeaTunnelJob | null> {
  const data = await queryOrNull<{ job: SeaTunnelJob }>(ctx, ONE, { name: jobNameOf(id) });
  return data?.job ?? null;
}

/** Every SeaTunnel job (up to MAX_LISTED), optionally only those whose newest run has `status`. */
export async function listSeaTunnelJobs(ctx: DialectContext, status?: RunStatus): Promise<SeaTunnelJob[]> {
  const jobs: SeaTunnelJob[] = [];
  let after: string | null = null;
  for (;;) {
    const {
      jobs: page,
    }: { jobs: { nodes: SeaTunnelJob[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await query(ctx, PAGE, { name: JOB_NAME_FILTER, after, status: status ?? null });
    jobs.push(...page.nodes.filter((job) => jobIdOfName(job.name) !== undefined));
    if (!page.pageInfo.hasNextPage || jobs.length >= MAX_LISTED) break;
    after = page.pageInfo.endCursor;
  }
  return jobs.slice(0, MAX_LISTED);
}

/** The client's job name, kept in the job's metadata. */
export const JOB_NAME_KEY = 'seatunnel.jobName';

export function seatunnelJobNameOf(job: SeaTunnelJob): string {
  return job.metadata.find((tag) => tag.key === JOB_NAME_KEY)?.value ?? job.name;
}
