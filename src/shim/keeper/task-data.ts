// The GraphQL reads the Keeper routes share: a task (run) by number with its job and steps, and a
// job by number with its live tasks.
import type { DialectContext } from '../core/index.ts';
import { actionId, isKnownNumber } from './ids.ts';
import { query, tryQuery } from './query.ts';
import { AkkaText, KeeperRestError } from './respond.ts';

export interface TaskData {
  id: string;
  number: number;
  status: string;
  createdAt: string;
  job: { name: string; number: number };
  vertices: { name: string; status: string }[];
}

const TASK_FIELDS = 'id number status createdAt job { name number } vertices { name status }';

/** The run numbered `taskId`, or undefined when there is none. */
export async function findTask(ctx: DialectContext, taskId: number): Promise<TaskData | undefined> {
  if (!isKnownNumber(taskId)) return undefined;
  const data = await tryQuery<{ runByNumber: TaskData }>(
    ctx,
    `query KeeperTask($n: Int!) { runByNumber(number: $n) { ${TASK_FIELDS} } }`,
    { n: taskId },
    ['NOT_FOUND'],
  );
  return data?.runByNumber;
}

/** The run numbered `taskId`, or akka's 404. */
export async function requireTask(ctx: DialectContext, taskId: number): Promise<TaskData> {
  const task = await findTask(ctx, taskId);
  if (!task) throw new KeeperRestError(404, AkkaText.notFound);
  return task;
}

/** The action ids of a task's steps whose status passes `test`. */
export function actionIds(task: TaskData, test: (status: string) => boolean): number[] {
  return task.vertices.flatMap((v, i) => (test(v.status) ? [actionId(task.number, i)] : []));
}

export interface JobData {
  name: string;
  number: number;
  runs: { nodes: TaskData[] };
}

/** The job numbered `jobId` with its newest runs (at most `first`), or akka's 404. */
export async function requireJob(ctx: DialectContext, jobId: number, first = 100): Promise<JobData> {
  if (!isKnownNumber(jobId)) throw new KeeperRestError(404, AkkaText.notFound);
  const data = await query<{ jobByNumber: JobData }>(
    ctx,
    `query KeeperJob($n: Int!, $first: Int!) {
      jobByNumber(number: $n) { name number runs(first: $first) { nodes { ${TASK_FIELDS} } } }
    }`,
    { n: jobId, first },
  );
  return data.jobByNumber;
}
