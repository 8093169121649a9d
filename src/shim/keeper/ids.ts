// Keeper's numbers over jobgate's ids. A Keeper job is a jobgate job (its id is Job.number); a task
// is a run (its id is Run.number); an action is one step (vertex) of that run: its id is the task id
// times 1000 plus the step's position in the DAG from 1, so an action id names its task and step
// without any table (a job has at most 100 steps).
import { AkkaText, KeeperRestError } from './respond.ts';

const STEPS_PER_TASK = 1000;
/** GraphQL Int: Run.number and Job.number are 32-bit. */
const INT_MAX = 2_147_483_647;

/** The action id of step `index` (0-based, in Run.vertices order) of task `taskId`. */
export function actionId(taskId: number, index: number): number {
  return taskId * STEPS_PER_TASK + index + 1;
}

/** The task and 0-based step index an action id names; a number that names none is a 404. */
export function splitActionId(id: number): { taskId: number; index: number } {
  const taskId = Math.floor(id / STEPS_PER_TASK);
  const index = (id % STEPS_PER_TASK) - 1;
  if (taskId < 1 || index < 0) throw new KeeperRestError(404, AkkaText.notFound);
  return { taskId, index };
}

/** Whether a task or job number can name anything (GraphQL's Int range). */
export function isKnownNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && n <= INT_MAX;
}

/** Keeper's record time, `yyyy-MM-dd HH:mm:ss` in the server's local time (as Keeper writes it). */
export function recordTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}
