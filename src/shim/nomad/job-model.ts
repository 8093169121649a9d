// Nomad's job shapes (JobListStub and Job, as Nomad 1.1 writes them) of a jobgate job. Status comes
// from the newest run (nomad-status.ts); Stop is set once that run was stopped (DELETE
// /v1/job/:id); Version counts from 0 as Nomad's does (jobgate's job versions start at 1). A dtle
// job's task configs are read back from its stored REPLICATION document, passwords redacted.
import { isFailedRun, isStoppedRun, nomadJobStatus } from '../../lib/nomad-status.ts';
import { attemptsOf } from './alloc-model.ts';
import { dtleConfigsOf } from './dtle-replication.ts';
import { groupsOf, nomadSettingsOf, type GroupSpec } from './groups.ts';
import { indexOf, nanos } from './ids.ts';
import type { JobData, JobWithRuns, RunSummary, StageLine } from './job-data.ts';

/** The index of a job and what it shows: the newest time among its definition, its runs' status
 * changes and their stage lines (milliseconds; it grows whenever the answer may have changed). */
export function jobIndex(
  job: JobData,
  runs: readonly (RunSummary | null)[],
  stages?: ReadonlyMap<string, StageLine[]>,
): number {
  let index = Math.max(indexOf(job.createdAt), indexOf(job.updatedAt));
  for (const run of runs) {
    if (!run) continue;
    index = Math.max(index, indexOf(run.createdAt));
    for (const change of run.statusHistory) index = Math.max(index, indexOf(change.at));
    for (const line of stages?.get(run.id) ?? []) index = Math.max(index, indexOf(line.at));
  }
  return Math.max(index, 1);
}

function summaryOf(job: JobData, run: RunSummary | null, groups: readonly GroupSpec[]) {
  const summary: Record<string, Record<string, number>> = {};
  for (const { group } of groups) {
    const counts = { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0 };
    if (run) {
      for (const attempt of attemptsOf(run)) {
        if (!attempt.last) counts.Failed += 1;
      }
      const status = nomadJobStatus(run.status);
      if (status === 'pending') counts.Starting += 1;
      else if (status === 'running') counts.Running += 1;
      else if (isFailedRun(run.status)) counts.Failed += 1;
      else counts.Complete += 1;
    }
    summary[group] = counts;
  }
  return {
    JobID: job.name,
    Namespace: 'default',
    Summary: summary,
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: indexOf(job.createdAt),
    ModifyIndex: jobIndex(job, [run]),
  };
}

/** JobListStub (Nomad 1.1.2: no NodePool, no Meta). */
export function jobStub(job: JobData, latest: RunSummary | null) {
  const settings = nomadSettingsOf(job);
  const groups = groupsOf(job, latest);
  return {
    ID: job.name,
    ParentID: '',
    Name: job.name,
    Namespace: settings.namespace,
    Datacenters: settings.datacenters,
    Multiregion: null,
    Type: settings.type,
    Priority: settings.priority,
    Periodic: false,
    ParameterizedJob: false,
    Stop: latest !== null && isStoppedRun(latest.status),
    Status: nomadJobStatus(latest?.status ?? null),
    StatusDescription: '',
    JobSummary: summaryOf(job, latest, groups),
    CreateIndex: indexOf(job.createdAt),
    ModifyIndex: jobIndex(job, [latest]),
    JobModifyIndex: indexOf(job.updatedAt),
    SubmitTime: nanos(job.updatedAt),
  };
}

function taskOf(
  spec: GroupSpec,
  config: Record<string, unknown>,
  settings: ReturnType<typeof nomadSettingsOf>,
) {
  return {
    Name: spec.task,
    Driver: spec.driver,
    User: '',
    Config: config,
    Env: null,
    Services: null,
    Vault: null,
    Templates: null,
    Constraints: null,
    Affinities: null,
    Resources: { CPU: 100, MemoryMB: 300, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null },
    RestartPolicy: restartPolicy(settings),
    DispatchPayload: null,
    Lifecycle: null,
    Meta: null,
    KillTimeout: 5_000_000_000,
    LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10 },
    Artifacts: null,
    Leader: false,
    ShutdownDelay: 0,
    VolumeMounts: null,
    ScalingPolicies: null,
    KillSignal: '',
    Kind: '',
    CSIPluginConfig: null,
  };
}

function restartPolicy(settings: ReturnType<typeof nomadSettingsOf>) {
  return {
    Attempts: settings.restart.attempts,
    Interval: 1_800_000_000_000,
    Delay: settings.restart.delayNs,
    Mode: 'fail',
  };
}

/** The full Job of GET /v1/job/:id (and of an allocation's Job). */
export function fullJob(job: JobWithRuns) {
  const latest = job.runs.nodes[0] ?? null;
  const stub = jobStub(job, latest);
  const settings = nomadSettingsOf(job);
  const configs = job.kind === 'REPLICATION' ? dtleConfigsOf(job.definition) : null;
  const groups = groupsOf(job, latest);
  return {
    Stop: stub.Stop,
    Region: settings.region,
    Namespace: settings.namespace,
    ID: job.name,
    ParentID: '',
    Name: job.name,
    Type: settings.type,
    Priority: settings.priority,
    AllAtOnce: false,
    Datacenters: settings.datacenters,
    Constraints: null,
    Affinities: null,
    Spreads: null,
    TaskGroups: groups.map((spec) => ({
      Name: spec.group,
      Count: 1,
      Update: null,
      Migrate: null,
      Constraints: null,
      Scaling: null,
      RestartPolicy: restartPolicy(settings),
      Tasks: [taskOf(spec, (spec.role && configs?.[spec.role]) || {}, settings)],
      EphemeralDisk: { Sticky: false, SizeMB: 300, Migrate: false },
      Meta: null,
      ReschedulePolicy: {
        Attempts: 0,
        Interval: 0,
        Delay: 30_000_000_000,
        DelayFunction: 'exponential',
        MaxDelay: 3_600_000_000_000,
        Unlimited: true,
      },
      Affinities: null,
      Spreads: null,
      Networks: null,
      Services: null,
      Volumes: null,
      ShutdownDelay: null,
      StopAfterClientDisconnect: null,
    })),
    Update: {
      Stagger: 30_000_000_000,
      MaxParallel: 1,
      HealthCheck: '',
      MinHealthyTime: 0,
      HealthyDeadline: 0,
      ProgressDeadline: 0,
      AutoRevert: false,
      AutoPromote: false,
      Canary: 0,
    },
    Multiregion: null,
    Periodic: null,
    ParameterizedJob: null,
    Dispatched: false,
    Payload: null,
    Meta: settings.meta,
    ConsulToken: '',
    VaultToken: '',
    VaultNamespace: '',
    NomadTokenID: '',
    Status: stub.Status,
    StatusDescription: '',
    Stable: false,
    Version: Math.max(0, job.version - 1),
    SubmitTime: stub.SubmitTime,
    CreateIndex: stub.CreateIndex,
    ModifyIndex: jobIndex(job, job.runs.nodes),
    JobModifyIndex: stub.JobModifyIndex,
  };
}
