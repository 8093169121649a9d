// A jobgate job as Dkron's Job JSON (ref/dkron/ENDPOINTS.md §2). Secrets never leave: the definition
// arrives redacted from GraphQL, so env values and header values read `[redacted]`.
import { dkronJobStatus } from '../../lib/dkron-status.ts';
import type { RunStatus } from '../../lib/status.ts';
import { META, META_PREFIX } from './job-body.ts';

/** The Job fields every Dkron job answer reads. */
export const JOB_FIELDS = `
  name schedule timezone disabled concurrency retries kind definition updatedAt
  metadata { key value }
  parentJob { name }
  nextFireAt
  latestRun { status }
  runStats { finished failed lastFinishedAt lastFailedAt }
`;

export interface JobData {
  name: string;
  schedule: string | null;
  timezone: string | null;
  disabled: boolean;
  concurrency: 'ALLOW' | 'FORBID';
  retries: number;
  kind: string;
  definition: Record<string, unknown>;
  updatedAt: string;
  metadata: { key: string; value: string }[];
  parentJob: { name: string } | null;
  nextFireAt: string | null;
  latestRun: { status: RunStatus } | null;
  runStats: { finished: number; failed: number; lastFinishedAt: string | null; lastFailedAt: string | null };
}

/** Go's zero time, which Dkron writes for a time.Time that was never set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Dkron writes RFC 3339 without milliseconds when they are zero; keep what GraphQL gives. */
const time = (iso: string | null) => iso;

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function executorConfig(job: JobData, kept: Record<string, string>): Record<string, string> {
  const config: Record<string, string> = { ...kept };
  const def = job.definition;
  const command = def.command as
    | { command?: string; env?: Record<string, unknown>; cwd?: string; timeoutSeconds?: number | null }
    | undefined;
  if (command) {
    if (command.command !== undefined) config.command = command.command;
    if (command.env)
      config.env = Object.entries(command.env)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
    if (command.cwd) config.cwd = command.cwd;
    if (command.timeoutSeconds && !config.timeout) config.timeout = `${command.timeoutSeconds}s`;
  }
  const http = def.http as
    | { method?: string; url?: string; headers?: Record<string, unknown>; body?: string; expectCode?: number }
    | undefined;
  if (http) {
    if (http.method) config.method = http.method;
    if (http.url) config.url = http.url;
    if (http.headers)
      config.headers = JSON.stringify(Object.entries(http.headers).map(([k, v]) => `${k}: ${String(v)}`));
    if (http.body) config.body = http.body;
    if (http.expectCode) config.expectCode = String(http.expectCode);
  }
  return config;
}

/** The Dkron Job JSON of `job`; `dependents` are the names of jobs whose parent it is. */
export function dkronJob(job: JobData, dependents: string[], stats = job.runStats) {
  const meta = Object.fromEntries(job.metadata.map((m) => [m.key, m.value]));
  const metadata = Object.fromEntries(
    job.metadata.filter((m) => !m.key.startsWith(META_PREFIX)).map((m) => [m.key, m.value]),
  );
  return {
    id: job.name,
    name: job.name,
    displayname: meta[META.displayname] ?? '',
    timezone: job.timezone ?? '',
    schedule: job.schedule ?? '',
    owner: meta[META.owner] ?? '',
    owner_email: meta[META.ownerEmail] ?? '',
    success_count: stats.finished,
    error_count: stats.failed,
    last_success: time(stats.lastFinishedAt),
    last_error: time(stats.lastFailedAt),
    disabled: job.disabled,
    tags: parseJson<Record<string, string>>(meta[META.tags], {}),
    metadata,
    retries: job.retries,
    dependent_jobs: dependents.length ? dependents : null,
    parent_job: job.parentJob?.name ?? '',
    processors: parseJson<Record<string, Record<string, string>>>(meta[META.processors], {}),
    concurrency: job.concurrency === 'FORBID' ? 'forbid' : 'allow',
    executor: meta[META.executor] ?? (job.definition.http ? 'http' : 'shell'),
    executor_config: executorConfig(job, parseJson<Record<string, string>>(meta[META.executorConfig], {})),
    status: dkronJobStatus(job.latestRun?.status),
    next: job.nextFireAt ?? ZERO_TIME,
    ephemeral: meta[META.ephemeral] === 'true',
    starts_at: meta[META.startsAt] || null,
    expires_at: meta[META.expiresAt] || null,
  };
}

export type DkronJob = ReturnType<typeof dkronJob>;
