// A Nomad job's task groups and what each stands for in jobgate. A job registered through this
// dialect keeps its Nomad settings (groups and task names, datacenters, type, priority, meta) in
// the job's metadata under `nomad.*`; a dtle job's src group runs the replication's `snapshot` and
// `changes` vertices, its dest group `apply` (replication-interface.md §2). A job made any other way
// shows one group per vertex, whose one task has the vertex's name.
import { DTLE_DRIVER } from './dtle-replication.ts';
import type { JobData, RunSummary } from './job-data.ts';
import { metadataOf } from './job-data.ts';

export const META = {
  groups: 'nomad.groups',
  datacenters: 'nomad.datacenters',
  type: 'nomad.type',
  priority: 'nomad.priority',
  region: 'nomad.region',
  namespace: 'nomad.namespace',
  meta: 'nomad.meta',
  restart: 'nomad.restart',
  fingerprint: 'nomad.fingerprint',
} as const;

/** The replication vertices each dtle task runs. */
export const ROLE_VERTICES = { src: ['snapshot', 'changes'], dest: ['apply'] } as const;

export type Role = keyof typeof ROLE_VERTICES;

export interface GroupSpec {
  group: string;
  task: string;
  driver: string;
  /** The dtle end the group is; null for a job not registered as a dtle job. */
  role: Role | null;
  vertices: readonly string[];
}

/** The Nomad settings of a job (defaults for one made outside this dialect). */
export interface NomadSettings {
  datacenters: string[];
  type: string;
  priority: number;
  region: string;
  namespace: string;
  meta: Record<string, string> | null;
  restart: { attempts: number; delayNs: number };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Default restart policy of a service job (Nomad's DefaultServiceJobRestartPolicy). */
export const DEFAULT_RESTART = { attempts: 2, delayNs: 15_000_000_000 };

export function nomadSettingsOf(job: JobData): NomadSettings {
  const meta = metadataOf(job);
  const datacenters = parseJson(meta[META.datacenters]);
  const userMeta = parseJson(meta[META.meta]);
  const restart = parseJson(meta[META.restart]) as { attempts?: number; delayNs?: number } | undefined;
  return {
    datacenters: Array.isArray(datacenters) ? (datacenters as string[]) : ['dc1'],
    type: meta[META.type] ?? (job.kind === 'REPLICATION' ? 'service' : 'batch'),
    priority: Number(meta[META.priority] ?? 50),
    region: meta[META.region] ?? 'global',
    namespace: meta[META.namespace] ?? 'default',
    meta: userMeta && typeof userMeta === 'object' ? (userMeta as Record<string, string>) : null,
    restart: {
      attempts: restart?.attempts ?? DEFAULT_RESTART.attempts,
      delayNs: restart?.delayNs ?? DEFAULT_RESTART.delayNs,
    },
  };
}

/** The task groups of a job; `run` supplies the vertices of a job made outside this dialect. */
export function groupsOf(job: JobData, run: RunSummary | null | undefined): GroupSpec[] {
  const stored = parseJson(metadataOf(job)[META.groups]);
  if (Array.isArray(stored)) {
    return (stored as { group: string; task: string; role: Role }[]).map(({ group, task, role }) => ({
      group,
      task,
      driver: DTLE_DRIVER,
      role,
      vertices: ROLE_VERTICES[role] ?? [],
    }));
  }
  return (run?.vertices ?? []).map((vertex) => ({
    group: vertex.name,
    task: vertex.name,
    driver: 'jobgate',
    role: null,
    vertices: [vertex.name],
  }));
}
