// Allocations and evaluations, derived from a job's runs (nothing of Nomad's is stored): each attempt
// of a run places every task group once, so a failed attempt's allocations end `failed` and the
// restart's are new ones that name them (RescheduleTracker, NextAllocation), as Nomad reschedules a
// failed allocation. Task events follow the run: Received and Task Setup when the attempt begins,
// Started when it runs, the dtle driver's `job_stage_full` / `job_stage_incr` (the run's
// `job_stage_*` log lines) on the dest task, and Terminated / Killing / Killed / Not Restarting as
// it ends. Ids are stable UUIDs (ids.ts); indexes are the millisecond times of what they index.
import {
  isEndedRun,
  isFailedRun,
  isFinishedRun,
  nomadClientStatus,
  nomadDesiredStatus,
  nomadEvalStatus,
  nomadTaskState,
  RESTART_BOUNDARY,
  STARTED_STATUS,
  STOP_REQUESTED,
  type NomadClientStatus,
} from '../../lib/nomad-status.ts';
import type { GroupSpec } from './groups.ts';
import { allocId, deregisterEvalId, failureEvalId, goTime, indexOf, nanos, registerEvalId } from './ids.ts';
import type { JobData, NodeRef, RunData, RunSummary, StageLine } from './job-data.ts';

/** Nomad keeps the latest 10 events of a task (allocations.mdx). */
const MAX_EVENTS = 10;

export interface Attempt {
  index: number;
  start: string;
  end: string | null;
  last: boolean;
}

export interface AllocModel {
  id: string;
  evalId: string;
  run: RunData;
  attempt: Attempt;
  group: GroupSpec;
  node: NodeRef | null;
  clientStatus: NomadClientStatus;
  previous: AllocModel | null;
  nextId: string;
  taskState: Record<string, unknown>;
  createIndex: number;
  modifyIndex: number;
  createTime: bigint;
  modifyTime: bigint;
}

/** The attempts of a run, split at each RESTARTING. */
export function attemptsOf(run: RunSummary): Attempt[] {
  const restarts = run.statusHistory.filter((h) => h.to === RESTART_BOUNDARY).map((h) => h.at);
  const starts = [run.createdAt, ...restarts];
  return starts.map((start, index) => ({
    index,
    start,
    end: index < restarts.length ? restarts[index]! : run.endedAt,
    last: index === restarts.length,
  }));
}

function within(at: string, attempt: Attempt): boolean {
  const t = Date.parse(at);
  return t >= Date.parse(attempt.start) && (attempt.end === null || t <= Date.parse(attempt.end));
}

/** The node the group ran on in this attempt: the subtask attempt that began inside it, else the
 * subtask's current node. */
function nodeOf(run: RunData, group: GroupSpec, attempt: Attempt): NodeRef | null {
  const subtasks = run.vertices.filter((v) => group.vertices.includes(v.name)).flatMap((v) => v.subtasks);
  for (const subtask of subtasks) {
    const inside = subtask.attempts.find((a) => a.startedAt && within(a.startedAt, attempt) && a.node);
    if (inside) return inside.node;
  }
  return subtasks.find((s) => s.node)?.node ?? null;
}

function event(type: string, at: string, fields: Record<string, unknown> = {}) {
  return {
    Type: type,
    Time: nanos(at),
    Message: '',
    DisplayMessage: '',
    Details: {},
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    ExitCode: 0,
    Signal: 0,
    KillTimeout: 0,
    KillError: '',
    KillReason: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    DriverMessage: '',
    GenericSource: '',
    ...fields,
  };
}

function stageWord(message: string): string {
  return message.startsWith('job_stage_full') ? 'job_stage_full' : 'job_stage_incr';
}

function taskStateOf(
  run: RunData,
  group: GroupSpec,
  attempt: Attempt,
  client: NomadClientStatus,
  stages: readonly StageLine[],
) {
  const events: ReturnType<typeof event>[] = [
    event('Received', attempt.start, { DisplayMessage: 'Task received by client' }),
    event('Task Setup', attempt.start, {
      Message: 'Building Task Directory',
      DisplayMessage: 'Building Task Directory',
    }),
  ];
  const started = run.statusHistory.find((h) => h.to === STARTED_STATUS && within(h.at, attempt))?.at ?? null;
  if (started) events.push(event('Started', started, { DisplayMessage: 'Task started by client' }));
  const mine = (line: StageLine) =>
    group.role === 'dest' ||
    (group.role === null && line.vertex !== null && group.vertices.includes(line.vertex));
  for (const line of stages) {
    if (!mine(line) || !within(line.at, attempt)) continue;
    const word = stageWord(line.message);
    events.push(event('Driver', line.at, { DriverMessage: word, DisplayMessage: word }));
  }
  const end = attempt.end;
  const failed = client === 'failed';
  if (end && failed) {
    const cause = run.statusCause ?? 'task failed';
    events.push(
      event('Terminated', end, {
        ExitCode: 1,
        Message: cause,
        DisplayMessage: `Exit Code: 1, Exit Message: ${JSON.stringify(cause)}`,
      }),
    );
    events.push(
      event('Not Restarting', end, {
        FailsTask: true,
        RestartReason: 'Error was unrecoverable',
        DisplayMessage: 'Error was unrecoverable',
      }),
    );
  } else if (end && client === 'complete' && isFinishedRun(run.status)) {
    events.push(event('Terminated', end, { DisplayMessage: 'Exit Code: 0' }));
  } else if (end && client === 'complete') {
    events.push(
      event('Killing', end, {
        KillTimeout: 5_000_000_000,
        DisplayMessage: 'Sent interrupt. Waiting 5s before force killing',
      }),
    );
    events.push(event('Killed', end, { DisplayMessage: 'Task successfully killed' }));
  }
  return {
    State: nomadTaskState(client),
    Failed: failed,
    Restarts: 0,
    LastRestart: goTime(null),
    StartedAt: goTime(started),
    FinishedAt: goTime(client === 'pending' || client === 'running' ? null : end),
    Events: events.slice(-MAX_EVENTS),
  };
}

/** Every allocation of the job's runs (newest run first, its attempts newest first). */
export function allocationsOf(
  runs: readonly RunData[],
  groups: (run: RunData) => GroupSpec[],
  stages: ReadonlyMap<string, StageLine[]>,
): AllocModel[] {
  const out: AllocModel[] = [];
  for (const run of runs) {
    const attempts = attemptsOf(run);
    for (const group of groups(run)) {
      let previous: AllocModel | null = null;
      const ofGroup: AllocModel[] = [];
      for (const attempt of attempts) {
        const clientStatus = attempt.last ? nomadClientStatus(run.status) : 'failed';
        const taskState = taskStateOf(run, group, attempt, clientStatus, stages.get(run.id) ?? []);
        const times = (taskState.Events as { Time: bigint }[]).map((e) => e.Time);
        const modifyTime = times.reduce((a, b) => (b > a ? b : a), nanos(attempt.start));
        const alloc: AllocModel = {
          id: allocId(run.id, group.group, attempt.index),
          evalId: attempt.index === 0 ? registerEvalId(run.id) : failureEvalId(run.id, attempt.index),
          run,
          attempt,
          group,
          node: nodeOf(run, group, attempt),
          clientStatus,
          previous,
          nextId: attempt.last ? '' : allocId(run.id, group.group, attempt.index + 1),
          taskState: { [group.task]: taskState },
          createIndex: indexOf(attempt.start),
          modifyIndex: Number(modifyTime / 1_000_000n),
          createTime: nanos(attempt.start),
          modifyTime,
        };
        ofGroup.push(alloc);
        previous = alloc;
      }
      out.push(...ofGroup.reverse());
    }
  }
  return out;
}

const CLIENT_DESCRIPTION: Record<NomadClientStatus, string> = {
  pending: 'No tasks have started',
  running: 'Tasks are running',
  complete: 'All tasks have completed',
  failed: 'Failed tasks',
  lost: 'alloc is lost since its node is down',
};

/** AllocListStub of an allocation. */
export function allocStub(alloc: AllocModel, job: JobData, jobType: string) {
  const { run, group, previous } = alloc;
  return {
    ID: alloc.id,
    EvalID: alloc.evalId,
    Name: `${job.name}.${group.group}[0]`,
    Namespace: 'default',
    NodeID: alloc.node?.id ?? '',
    NodeName: alloc.node?.name ?? '',
    JobID: job.name,
    JobType: jobType,
    JobVersion: Math.max(0, run.jobVersion - 1),
    TaskGroup: group.group,
    DesiredStatus: alloc.attempt.last ? nomadDesiredStatus(run.status) : 'stop',
    DesiredDescription: alloc.attempt.last ? '' : 'alloc was rescheduled because it failed',
    ClientStatus: alloc.clientStatus,
    ClientDescription: CLIENT_DESCRIPTION[alloc.clientStatus],
    DesiredTransition: { Migrate: null, Reschedule: alloc.attempt.last ? null : true, ForceReschedule: null },
    TaskStates: alloc.taskState,
    DeploymentStatus: null,
    FollowupEvalID: alloc.attempt.last ? '' : failureEvalId(run.id, alloc.attempt.index + 1),
    NextAllocation: alloc.nextId,
    RescheduleTracker: previous
      ? {
          Events: [
            {
              PrevAllocID: previous.id,
              PrevNodeID: previous.node?.id ?? '',
              RescheduleTime: alloc.createTime,
              Delay: 0,
            },
          ],
        }
      : null,
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    CreateIndex: alloc.createIndex,
    ModifyIndex: alloc.modifyIndex,
    CreateTime: alloc.createTime,
    ModifyTime: alloc.modifyTime,
  };
}

function evaluation(
  id: string,
  job: JobData,
  jobType: string,
  priority: number,
  triggeredBy: string,
  at: string,
  status: string,
  groups: readonly GroupSpec[],
  extra: Record<string, unknown> = {},
) {
  return {
    ID: id,
    Namespace: 'default',
    Priority: priority,
    Type: jobType,
    TriggeredBy: triggeredBy,
    JobID: job.name,
    JobModifyIndex: indexOf(job.updatedAt),
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: status,
    StatusDescription: '',
    Wait: 0,
    WaitUntil: goTime(null),
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    FailedTGAllocs: null,
    ClassEligibility: null,
    QuotaLimitReached: '',
    EscapedComputedClass: false,
    AnnotatePlan: false,
    QueuedAllocations: Object.fromEntries(groups.map((g) => [g.group, 0])),
    LeaderACL: '',
    SnapshotIndex: indexOf(at),
    CreateIndex: indexOf(at),
    ModifyIndex: indexOf(at),
    CreateTime: nanos(at),
    ModifyTime: nanos(at),
    ...extra,
  };
}

/** The evaluations of the job's runs, newest first: the register of each run, an alloc-failure
 * per restart, a deregister for a run that was stopped. */
export function evaluationsOf(
  job: JobData,
  runs: readonly RunData[],
  groups: (run: RunData) => GroupSpec[],
  jobType: string,
  priority: number,
) {
  const out: ReturnType<typeof evaluation>[] = [];
  for (const run of runs) {
    const runGroups = groups(run);
    const attempts = attemptsOf(run);
    const stop = run.statusHistory.find((h) => STOP_REQUESTED.includes(h.to));
    if (stop) {
      out.push(
        evaluation(
          deregisterEvalId(run.id),
          job,
          jobType,
          priority,
          'job-deregister',
          stop.at,
          'complete',
          runGroups,
        ),
      );
    }
    for (const attempt of [...attempts].reverse()) {
      if (attempt.index === 0) continue;
      out.push(
        evaluation(
          failureEvalId(run.id, attempt.index),
          job,
          jobType,
          priority,
          'alloc-failure',
          attempt.start,
          'complete',
          runGroups,
          {
            PreviousEval:
              attempt.index === 1 ? registerEvalId(run.id) : failureEvalId(run.id, attempt.index - 1),
          },
        ),
      );
    }
    out.push(
      evaluation(
        registerEvalId(run.id),
        job,
        jobType,
        priority,
        'job-register',
        run.createdAt,
        nomadEvalStatus(run.status),
        runGroups,
      ),
    );
  }
  return out;
}

/** Whether the run's allocations have all ended. */
export function runEnded(run: RunData): boolean {
  return isEndedRun(run.status);
}

/** Whether the run failed for good (its last allocations failed). */
export function runFailed(run: RunData): boolean {
  return isFailedRun(run.status);
}
