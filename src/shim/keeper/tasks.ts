// Keeper's task verbs: restart (WHOLE, EXCEPTIONAL or a list of action ids), instant (run a job now,
// with a delay) and kill, over restartJob, startJob and cancelJob.
import {
  KEEPER_RESTART_MODES,
  KeeperRestartStatus,
  isActiveRun,
  isRunningStep,
} from '../../lib/keeper-status.ts';
import type { Route, RouteCall } from '../core/index.ts';
import { recordTime, splitActionId } from './ids.ts';
import { firstOf, intParam, optional, pathNumber, recordTimeParam, required } from './params.ts';
import { query } from './query.ts';
import { AkkaText, KeeperRestError, keeperJson } from './respond.ts';
import { actionIds, findTask, requireJob, requireTask, type TaskData } from './task-data.ts';

/** Keeper's longest instant delay, in seconds (QrossTask.createInstantWholeTask). */
export const MAX_INSTANT_DELAY_SECONDS = 60;
/** Most tasks one `PUT /task/restart?taskIds=` restarts. */
const MAX_RESTART_TASKS = 100;

interface RestartAnswer {
  id: number;
  status: string;
  recordTime: string;
}

const RESTART = `mutation KeeperRestart($input: RestartJobInput!) {
  restartJob(input: $input) { run { number createdAt } }
}`;

/** What `option` (v1.7+) or `more` (v1.5, v1.6) asks for: a mode, or the steps named by action ids. */
function restartInput(task: TaskData, option: string) {
  const word = option.replace(/^\^/, '');
  if (word === 'WHOLE' || word === 'EXCEPTIONAL') {
    return { runId: task.id, mode: KEEPER_RESTART_MODES[word] };
  }
  const ids = word.split(',').map((s) => s.trim());
  if (ids.length > 100 || !ids.every((s) => /^\d{1,16}$/.test(s))) {
    throw new KeeperRestError(
      400,
      AkkaText.malformedParameter('option', 'must be WHOLE, EXCEPTIONAL or a list of action ids'),
    );
  }
  const steps = ids.map((s) => {
    const { taskId, index } = splitActionId(Number(s));
    const step = task.vertices[index];
    if (taskId !== task.number || !step) {
      throw new KeeperRestError(400, `action ${s} is not an action of task ${task.number}`);
    }
    return step.name;
  });
  return { runId: task.id, mode: 'STEPS', steps };
}

async function restartOne(call: RouteCall, taskId: number, option: string): Promise<RestartAnswer> {
  const task = await requireTask(call.ctx, taskId);
  const input = restartInput(task, option);
  const data = await query<{ restartJob: { run: { number: number; createdAt: string } } }>(
    call.ctx,
    RESTART,
    { input },
  );
  const run = data.restartJob.run;
  const whole = input.mode === KEEPER_RESTART_MODES.WHOLE;
  return {
    id: run.number,
    status: whole ? KeeperRestartStatus.whole : KeeperRestartStatus.inPlace,
    recordTime: recordTime(run.createdAt),
  };
}

/** `option` (v1.7+), else `more` (the seed's spelling, v1.5/v1.6), default WHOLE; `starter` an Int. */
function restartOption(url: URL): string {
  intParam(url, 'starter', 0);
  return firstOf(url, ['option', 'more']) ?? 'WHOLE';
}

async function restartTask(call: RouteCall): Promise<Response> {
  const option = restartOption(call.url);
  return keeperJson(await restartOne(call, pathNumber(call.params.taskId), option));
}

async function restartTasks(call: RouteCall): Promise<Response> {
  const option = restartOption(call.url);
  const ids = required(call.url, 'taskIds')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length > MAX_RESTART_TASKS) {
    throw new KeeperRestError(
      400,
      AkkaText.malformedParameter('taskIds', `at most ${MAX_RESTART_TASKS} tasks`),
    );
  }
  const answers: RestartAnswer[] = [];
  for (const id of ids) answers.push(await restartOne(call, pathNumber(id), option));
  return keeperJson(answers);
}

async function instantTask(call: RouteCall): Promise<Response> {
  const { url } = call;
  intParam(url, 'creator', 0);
  const delay = intParam(url, 'delay', 0);
  if (delay < 0 || delay > MAX_INSTANT_DELAY_SECONDS) {
    throw new KeeperRestError(
      400,
      AkkaText.malformedParameter('delay', `delay must be from 0 to ${MAX_INSTANT_DELAY_SECONDS} seconds`),
    );
  }
  const ignore = optional(url, 'ignore') ?? 'no';
  if (ignore !== 'yes' && ignore !== 'no') {
    throw new KeeperRestError(400, AkkaText.malformedParameter('ignore', "must be 'yes' or 'no'"));
  }
  const job = await requireJob(call.ctx, pathNumber(call.params.jobId), 1);
  // jobgate starts no job on its upstream's behalf, so `ignore=yes` changes nothing here.
  const data = await query<{ startJob: { run: { number: number; createdAt: string } } }>(
    call.ctx,
    `mutation KeeperInstant($input: StartJobInput!) { startJob(input: $input) { run { number createdAt } } }`,
    { input: { job: job.name, delaySeconds: delay } },
  );
  const run = data.startJob.run;
  return keeperJson({ id: run.number, recordTime: recordTime(run.createdAt) });
}

const CANCEL = `mutation KeeperKill($input: CancelJobInput!) { cancelJob(input: $input) { run { status } } }`;

/** Cancels one active run; answers the action ids that were running. */
export async function killRun(call: RouteCall, task: TaskData): Promise<number[]> {
  const running = actionIds(task, isRunningStep);
  await query(call.ctx, CANCEL, { input: { runId: task.id } });
  return running;
}

async function killTask(call: RouteCall): Promise<Response> {
  intParam(call.url, 'killer', 0);
  // v1.6+ require recordTime; the seed's v1.5 calls have none, so it is taken when given.
  recordTimeParam(call.url, 'recordTime', false);
  // An unknown task is as inactive as an ended one: Keeper finds no running record either way.
  const task = await findTask(call.ctx, pathNumber(call.params.taskId));
  if (!task || !isActiveRun(task.status)) return keeperJson({ actions: [], warn: 'Task is not active.' });
  const actions = await killRun(call, task);
  return keeperJson(
    actions.length > 0 ? { actions } : { actions, warn: 'No running action. Task is interrupted.' },
  );
}

export const TASK_ROUTES: readonly Route[] = [
  { method: 'PUT', path: '/task/restart/:taskId', handler: restartTask, doc: '§3 task restart' },
  {
    method: 'PUT',
    path: '/task/restrat/:taskId',
    handler: restartTask,
    doc: '§3 task restart, the doc heading',
  },
  { method: 'PUT', path: '/task/restart', handler: restartTasks, doc: '§3 restart several tasks (v1.7+)' },
  { method: 'PUT', path: '/task/instant/:jobId', handler: instantTask, doc: '§3 task instant' },
  { method: 'PUT', path: '/task/kill/:taskId', handler: killTask, doc: '§3 task kill' },
  { method: 'PUT', path: '/kill/task/:taskId', handler: killTask, doc: '§5 task kill, v1.3 path' },
];
