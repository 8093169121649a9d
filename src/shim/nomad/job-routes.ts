// The read side of Nomad's job routes (ENDPOINTS.md §1, §3, §5, §9, §6): the job list, a job, its
// allocations and evaluations, and one allocation. Each is a blocking query.
import type { RouteCall } from '../core/index.ts';
import { allocationsOf, allocStub, evaluationsOf } from './alloc-model.ts';
import { blocking } from './blocking.ts';
import { groupsOf, nomadSettingsOf } from './groups.ts';
import { findJob, loadJob, loadJobNames, loadJobs, loadStageLines, type JobWithRuns } from './job-data.ts';
import { fullJob, jobIndex, jobStub } from './job-model.ts';
import { NomadError, NomadMessage } from './respond.ts';

/** ?prefix on a list: only ids starting with it. */
function prefixOf(url: URL): string {
  return url.searchParams.get('prefix') ?? '';
}

/** GET /v1/jobs: JobListStub for every job, sorted by ID as Nomad's state store iterates them. */
export function listJobs(call: RouteCall): Promise<Response> {
  const prefix = prefixOf(call.url);
  return blocking(call, async () => {
    const jobs = (await loadJobs(call.ctx))
      .filter((job) => job.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const body = jobs.map((job) => jobStub(job, job.latestRun));
    const index = Math.max(1, ...jobs.map((job) => jobIndex(job, [job.latestRun])));
    return { body, index };
  });
}

/** GET /v1/job/:job_id. */
export function readJob(call: RouteCall): Promise<Response> {
  return blocking(call, async () => {
    const job = await loadJob(call.ctx, call.params.id!);
    return { body: fullJob(job), index: jobIndex(job, job.runs.nodes) };
  });
}

async function allocationsWithJob(call: RouteCall, job: JobWithRuns) {
  const runs = job.runs.nodes;
  const stages = await loadStageLines(
    call.ctx,
    runs.map((run) => run.id),
  );
  const allocs = allocationsOf(runs, (run) => groupsOf(job, run), stages);
  return { allocs, stages };
}

/** GET /v1/job/:job_id/allocations. */
export function jobAllocations(call: RouteCall): Promise<Response> {
  return blocking(call, async () => {
    const job = await loadJob(call.ctx, call.params.id!);
    const { allocs, stages } = await allocationsWithJob(call, job);
    const type = nomadSettingsOf(job).type;
    return {
      body: allocs.map((alloc) => allocStub(alloc, job, type)),
      index: jobIndex(job, job.runs.nodes, stages),
    };
  });
}

/** GET /v1/job/:job_id/evaluations. */
export function jobEvaluations(call: RouteCall): Promise<Response> {
  return blocking(call, async () => {
    const job = await loadJob(call.ctx, call.params.id!);
    const settings = nomadSettingsOf(job);
    const evals = evaluationsOf(
      job,
      job.runs.nodes,
      (run) => groupsOf(job, run),
      settings.type,
      settings.priority,
    );
    return { body: evals, index: jobIndex(job, job.runs.nodes) };
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** GET /v1/allocation/:alloc_id: the full UUID only. jobgate derives allocations, so it finds one
 * among the allocations of every job's newest runs (one read per job
 * until it is found: allocations are not stored, so there is no index to look one up by). */
export function readAllocation(call: RouteCall): Promise<Response> {
  const id = call.params.id!;
  return blocking(call, async () => {
    if (!UUID.test(id)) throw new NomadError(404, NomadMessage.allocNotFound);
    for (const name of await loadJobNames(call.ctx)) {
      const job = await findJob(call.ctx, name);
      if (!job) continue;
      // Cheap test first: which run and group would make this id (no log read needed).
      const candidates = allocationsOf(job.runs.nodes, (run) => groupsOf(job, run), new Map());
      if (!candidates.some((alloc) => alloc.id === id)) continue;
      const { allocs, stages } = await allocationsWithJob(call, job);
      const alloc = allocs.find((a) => a.id === id)!;
      const type = nomadSettingsOf(job).type;
      const stub = allocStub(alloc, job, type);
      const body = {
        ...stub,
        Job: fullJob(job),
        Resources: null,
        SharedResources: null,
        TaskResources: null,
        AllocatedResources: null,
        Metrics: null,
        AllocStates: null,
        PreviousAllocation: alloc.previous?.id ?? '',
        DeploymentID: '',
        NetworkStatus: null,
        AllocModifyIndex: alloc.modifyIndex,
      };
      return { body, index: Math.max(alloc.modifyIndex, jobIndex(job, [alloc.run], stages)) };
    }
    throw new NomadError(404, NomadMessage.allocNotFound);
  });
}
