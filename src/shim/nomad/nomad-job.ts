// A Nomad job as POST /v1/jobs carries it (api.Job), read and checked as Nomad 1.1 does before it
// stores anything: the HTTP handler's own checks answer 400 (`Job must be specified`, `Job ID hasn't
// been provided`), and what Job.Validate finds is a go-multierror that Nomad answers 500 with
// (ENDPOINTS.md §0 "Error format", §2). Canonicalize's defaults are applied: Name = ID, Type
// service, Region global, Namespace default, Priority 50.
import {
  arrayField,
  intField,
  isObject,
  objectField,
  stringField,
  stringListField,
  type JsonObject,
} from './json-fields.ts';
import { NomadError } from './respond.ts';

export interface NomadTask {
  name: string;
  driver: string;
  config: JsonObject;
}

export interface NomadTaskGroup {
  name: string;
  count: number;
  tasks: NomadTask[];
  /** RestartPolicy.Attempts / Delay (ns), when given. */
  restartAttempts?: number;
  restartDelayNs?: number;
}

export interface NomadJob {
  id: string;
  name: string;
  type: string;
  region: string;
  namespace: string;
  priority: number;
  datacenters: string[];
  meta: Record<string, string>;
  groups: NomadTaskGroup[];
}

const JOB_TYPES = ['service', 'batch', 'system', 'sysbatch'];
/** Limits jobgate sets on what it reads (Nomad has none this small; these keep a request bounded). */
const MAX_GROUPS = 20;
const MAX_TASKS = 20;

/** go-multierror's text: `1 error occurred:\n\t* <e>\n\n` (`N errors occurred:` for several). */
export function multiError(errors: readonly string[]): string {
  const head = errors.length === 1 ? '1 error occurred:' : `${errors.length} errors occurred:`;
  return `${head}\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** A Job.Validate failure: Nomad answers it 500 with the multierror text. */
export function validationError(errors: readonly string[]): NomadError {
  return new NomadError(500, multiError(errors));
}

function parseTask(raw: unknown, path: string): { task?: NomadTask; errors: string[] } {
  if (!isObject(raw)) return { errors: ['Task is not an object'] };
  const name = stringField(raw, 'Name', `${path}.Name`) ?? '';
  const driver = stringField(raw, 'Driver', `${path}.Driver`) ?? '';
  const config = objectField(raw, 'Config', `${path}.Config`) ?? {};
  const errors: string[] = [];
  if (name === '') errors.push('Missing task name');
  if (driver === '') errors.push('Missing task driver');
  if (errors.length)
    return { errors: [`Task ${name || '<unnamed>'} validation failed: ${multiError(errors)}`] };
  return { task: { name, driver, config }, errors: [] };
}

function parseGroup(raw: unknown, index: number): { group?: NomadTaskGroup; errors: string[] } {
  const path = `Job.TaskGroups`;
  if (!isObject(raw)) return { errors: [`Task group ${index + 1} is not an object`] };
  const name = stringField(raw, 'Name', `${path}.Name`) ?? '';
  const count = intField(raw, 'Count', `${path}.Count`) ?? 1;
  const rawTasks = arrayField(raw, 'Tasks', `${path}.Tasks`) ?? [];
  const restart = objectField(raw, 'RestartPolicy', `${path}.RestartPolicy`);
  const errors: string[] = [];
  if (name === '') errors.push(`Job task group ${index + 1} missing name`);
  if (count < 0) errors.push("Task group count can't be negative");
  if (rawTasks.length === 0) errors.push('Missing tasks for task group');
  if (rawTasks.length > MAX_TASKS) errors.push(`Task group has more than ${MAX_TASKS} tasks`);
  const tasks: NomadTask[] = [];
  const seen = new Set<string>();
  for (const [i, rawTask] of rawTasks.slice(0, MAX_TASKS).entries()) {
    const { task, errors: taskErrors } = parseTask(rawTask, `${path}.Tasks`);
    errors.push(...taskErrors);
    if (!task) continue;
    if (seen.has(task.name)) errors.push(`Task ${i + 1} redefines '${task.name}' from task ${i}`);
    seen.add(task.name);
    tasks.push(task);
  }
  if (errors.length) {
    return { errors: [`Task group ${name || index + 1} validation failed: ${multiError(errors)}`] };
  }
  const group: NomadTaskGroup = { name, count, tasks };
  const attempts = restart && intField(restart, 'Attempts', `${path}.RestartPolicy.Attempts`);
  const delay = restart && intField(restart, 'Delay', `${path}.RestartPolicy.Delay`);
  if (attempts !== undefined) group.restartAttempts = attempts;
  if (delay !== undefined) group.restartDelayNs = delay;
  return { group, errors: [] };
}

/**
 * The job of a register body `{"Job": {...}}`. `pathId` is the :job_id of PUT/POST /v1/job/:job_id.
 * Throws NomadError: 400 for the handler's checks, 500 (multierror) for Job.Validate's, and the 400
 * of a field that does not decode (JsonFieldError turned into its text).
 */
export function parseRegisterBody(body: unknown, pathId?: string): NomadJob {
  if (!isObject(body))
    throw new NomadError(400, 'json: cannot unmarshal into Go value of type api.JobRegisterRequest');
  const job = objectField(body, 'Job', 'JobRegisterRequest.Job');
  if (!job) throw new NomadError(400, 'Job must be specified');
  const id = stringField(job, 'ID', 'Job.ID') ?? '';
  if (id === '') throw new NomadError(400, "Job ID hasn't been provided");
  if (pathId !== undefined && pathId !== id) throw new NomadError(400, 'Job ID does not match name');

  const name = stringField(job, 'Name', 'Job.Name') || id;
  const type = stringField(job, 'Type', 'Job.Type') || 'service';
  const region = stringField(job, 'Region', 'Job.Region') || 'global';
  const namespace = stringField(job, 'Namespace', 'Job.Namespace') || 'default';
  const priority = intField(job, 'Priority', 'Job.Priority') ?? 50;
  const datacenters = stringListField(job, 'Datacenters', 'Job.Datacenters') ?? [];
  const metaObject = objectField(job, 'Meta', 'Job.Meta') ?? {};
  const rawGroups = arrayField(job, 'TaskGroups', 'Job.TaskGroups') ?? [];

  const errors: string[] = [];
  if (id.includes(' ')) errors.push('Job ID contains a space');
  if (!JOB_TYPES.includes(type)) errors.push(`Invalid job type: ${JSON.stringify(type)}`);
  if (priority < 1 || priority > 100) errors.push('Job priority must be between [1, 100]');
  if (datacenters.length === 0) errors.push('Missing job datacenters');
  if (datacenters.some((dc) => dc === '')) errors.push('Job datacenter must be non-empty string');
  if (rawGroups.length === 0) errors.push('Missing job task groups');
  if (rawGroups.length > MAX_GROUPS) errors.push(`Job has more than ${MAX_GROUPS} task groups`);
  const groups: NomadTaskGroup[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of rawGroups.slice(0, MAX_GROUPS).entries()) {
    const { group, errors: groupErrors } = parseGroup(raw, i);
    errors.push(...groupErrors);
    if (!group) continue;
    if (seen.has(group.name))
      errors.push(`Job task group ${i + 1} redefines '${group.name}' from group ${i}`);
    seen.add(group.name);
    groups.push(group);
  }
  if (errors.length) throw validationError(errors);

  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(metaObject)) {
    if (typeof value === 'string') meta[key] = value;
  }
  return { id, name, type, region, namespace, priority, datacenters, meta, groups };
}
