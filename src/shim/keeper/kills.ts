// Keeper's job kill (every active task of a job) and action kill (one running step), over
// cancelJob and cancelStep.
import { isActiveRun, isRunningStep } from '../../lib/keeper-status.ts';
import type { Route, RouteCall } from '../core/index.ts';
import { splitActionId } from './ids.ts';
import { intParam, pathNumber } from './params.ts';
import { tryQuery } from './query.ts';
import { keeperJson } from './respond.ts';
import { findTask, requireJob } from './task-data.ts';
import { killRun } from './tasks.ts';

/** How many of a job's newest runs a job kill looks at for active ones. */
const JOB_KILL_RUNS = 100;

async function killJob(call: RouteCall): Promise<Response> {
  intParam(call.url, 'killer', 0);
  const job = await requireJob(call.ctx, pathNumber(call.params.jobId), JOB_KILL_RUNS);
  const actions: number[] = [];
  for (const task of job.runs.nodes.filter((run) => isActiveRun(run.status))) {
    actions.push(...(await killRun(call, task)));
  }
  return keeperJson({ actions });
}

/** v2.8's shape: `{"action": [<id>]}`, or `{"action": []}` when that action is not running. */
async function killAction(call: RouteCall): Promise<Response> {
  intParam(call.url, 'killer', 0);
  const id = pathNumber(call.params.actionId);
  const { taskId, index } = splitActionId(id);
  const task = await findTask(call.ctx, taskId);
  const step = task?.vertices[index];
  if (!task || !step || !isRunningStep(step.status)) return keeperJson({ action: [] });
  const done = await tryQuery(
    call.ctx,
    `mutation KeeperKillAction($input: CancelStepInput!) { cancelStep(input: $input) { run { id } } }`,
    { input: { runId: task.id, step: step.name } },
    ['CONFLICT'],
  );
  return keeperJson({ action: done ? [id] : [] });
}

export const KILL_ROUTES: readonly Route[] = [
  { method: 'PUT', path: '/job/kill/:jobId', handler: killJob, doc: '§3 job kill' },
  { method: 'PUT', path: '/kill/job/:jobId', handler: killJob, doc: '§5 job kill, v1.3 path' },
  { method: 'PUT', path: '/action/kill/:actionId', handler: killAction, doc: '§3 action kill' },
  { method: 'PUT', path: '/kill/action/:actionId', handler: killAction, doc: '§5 action kill, v1.3 path' },
];
