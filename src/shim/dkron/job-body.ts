// A Dkron job body (ref/dkron/ENDPOINTS.md §2, §3) checked as Dkron's Job.Validate checks it and
// turned into jobgate's job input. What jobgate has no setting for (display name, owner, node tags,
// processors, ...) is kept in the job's metadata under `dkron:` keys and shown back from there.
// Secret-bearing values (a shell job's env, an http job's headers) go only into the definition,
// where the runtime seals them; the metadata copy of executor_config never holds them.
import { DkronError, validationFailed } from './respond.ts';

/** Metadata keys jobgate keeps Dkron's extra fields under. */
export const META = {
  displayname: 'dkron:displayname',
  owner: 'dkron:owner',
  ownerEmail: 'dkron:owner_email',
  tags: 'dkron:tags',
  processors: 'dkron:processors',
  executor: 'dkron:executor',
  executorConfig: 'dkron:executor_config',
  ephemeral: 'dkron:ephemeral',
  startsAt: 'dkron:starts_at',
  expiresAt: 'dkron:expires_at',
  executionsClearedAt: 'dkron:executions_cleared_at',
} as const;
export const META_PREFIX = 'dkron:';

/** The executors jobgate runs. */
export const EXECUTORS = ['shell', 'http'] as const;

/** The job input for the createJob/updateJob mutations. */
export interface JobInput {
  name: string;
  schedule: string | null;
  timezone: string | null;
  retries: number;
  concurrency: 'ALLOW' | 'FORBID';
  parentJob: string | null;
  metadata: Record<string, string>;
  disabled: boolean;
  command?: { command: string; timeoutSeconds?: number; env?: Record<string, string>; cwd?: string };
  http?: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: string;
    expectCode?: number;
    timeoutSeconds?: number;
  };
}

type Body = Record<string, unknown>;

/** gin BindJSON's 400 when the body does not bind onto the Job struct. */
function unparsable(reason: string): DkronError {
  return new DkronError(400, `Unable to parse payload: ${reason}.`);
}

/** The body's JSON object, or Dkron's 400. */
export function parseBody(text: string): Body {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw unparsable((err as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw unparsable('json: cannot unmarshal into Go value of type types.Job');
  }
  return parsed as Body;
}

function str(body: Body, key: string): string {
  const value = body[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw unparsable(`json: cannot unmarshal ${typeof value} into Go struct field Job.${key} of type string`);
  }
  return value;
}

function bool(body: Body, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw unparsable(`json: cannot unmarshal ${typeof value} into Go struct field Job.${key} of type bool`);
  }
  return value;
}

function stringMap(body: Body, key: string): Record<string, string> {
  const value = body[key];
  if (value === undefined || value === null) return {};
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw unparsable(`json: cannot unmarshal into Go struct field Job.${key} of type map[string]string`);
  }
  return value as Record<string, string>;
}

/** Go's time.ParseDuration for the units Dkron's docs use, in milliseconds. */
export function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const parts = text.match(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g);
  if (!parts || parts.join('') !== text) return text === '0' ? 0 : undefined;
  return parts.reduce((sum, part) => {
    const [, n, unit] = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(part)!;
    return sum + Number(n) * units[unit!]!;
  }, 0);
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
  '@minutely': '0 * * * * *',
};

/** Dkron's schedule (robfig/cron with mandatory seconds, descriptors, @every, @at, @manually) as a
 * jobgate schedule, or the 400 Dkron answers (`can't parse job schedule: ...`). */
export function dkronSchedule(schedule: string): string {
  const fail = (reason: string) => validationFailed(`can't parse job schedule: ${reason}`);
  const text = schedule.trim();
  if (text === '') throw fail('empty spec string');
  if (text === '@manually') return text;
  if (text.startsWith('@every ')) {
    const ms = goDurationMs(text.slice(7).trim());
    if (ms === undefined)
      throw fail(`failed to parse duration ${text}: time: invalid duration "${text.slice(7).trim()}"`);
    // robfig/cron runs an @every below one second every second.
    return `@every ${Math.max(1000, Math.round(ms / 1000) * 1000) / 1000}s`;
  }
  if (text.startsWith('@at ')) {
    const at = text.slice(4).trim();
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(at)) {
      throw fail(`failed to parse time ${at}`);
    }
    return `@at ${at}`;
  }
  if (text.startsWith('@')) {
    const cron = DESCRIPTORS[text];
    if (!cron) throw fail(`unrecognized descriptor: ${text}`);
    return cron;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    throw fail(`expected exactly 6 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  if (text.includes('~')) throw fail('the ~ (name hash) field syntax is not supported by jobgate');
  return fields.join(' ');
}

/** Dkron's `env` executor option: `K=v,K2=v2`. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) throw validationFailed(`invalid env entry ${JSON.stringify(pair)}, use K=v,K2=v2`);
    env[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return env;
}

/** Dkron's http `headers` option: a JSON array of `Name: value` strings. */
function parseHeaders(text: string): Record<string, string> {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || list.some((h) => typeof h !== 'string' || !h.includes(':'))) {
    throw validationFailed('headers must be a JSON array of "Name: value" strings');
  }
  return Object.fromEntries(
    (list as string[]).map((h) => [h.slice(0, h.indexOf(':')).trim(), h.slice(h.indexOf(':') + 1).trim()]),
  );
}

/** The executor options kept in metadata and shown back as given: those that carry no command,
 * body or secret (those live in the definition). Any other option is dropped, never stored: an
 * unknown key may well hold a password. */
const SHOWN_OPTIONS: Record<string, readonly string[]> = {
  shell: ['shell', 'timeout', 'mem_limit'],
  http: ['timeout', 'expectBody', 'debug', 'tlsNoVerify'],
};

function executorInput(executor: string, config: Record<string, string>): Pick<JobInput, 'command' | 'http'> {
  if (executor === 'shell') {
    const command: NonNullable<JobInput['command']> = { command: config.command ?? '' };
    if (config.timeout) {
      const ms = goDurationMs(config.timeout);
      if (ms === undefined) throw validationFailed('Error parsing job timeout value');
      command.timeoutSeconds = Math.max(1, Math.ceil(ms / 1000));
    }
    if (config.mem_limit && !/^\d+(B|KB|MB|GB|TB)?$/i.test(config.mem_limit)) {
      throw validationFailed('Error parsing job memory limit value');
    }
    if (config.env) command.env = parseEnv(config.env);
    if (config.cwd) command.cwd = config.cwd;
    return { command };
  }
  const http: NonNullable<JobInput['http']> = {
    method: (config.method || 'GET').toUpperCase(),
    url: config.url ?? '',
  };
  if (config.headers) http.headers = parseHeaders(config.headers);
  if (config.body) http.body = config.body;
  if (config.expectCode) {
    if (!/^\d{3}$/.test(config.expectCode)) throw validationFailed('expectCode must be an HTTP status code');
    http.expectCode = Number(config.expectCode);
  }
  if (config.timeout) {
    if (!/^\d+$/.test(config.timeout)) throw validationFailed('timeout must be a number of seconds');
    http.timeoutSeconds = Math.max(1, Number(config.timeout));
  }
  return { http };
}

/** The body as jobgate's job input, or the 400 Dkron answers for it (nothing is stored then). */
export function jobInputOf(body: Body): JobInput {
  const name = str(body, 'name');
  if (name === '') throw validationFailed('name cannot be empty');
  const illegal = [...name].find((c) => !/[\p{Ll}0-9_-]/u.test(c));
  if (illegal !== undefined) throw validationFailed(`name contains illegal character '${illegal}'`);
  const parentJob = str(body, 'parent_job');
  if (parentJob === name) throw validationFailed('the job can not have itself as parent');
  const rawSchedule = str(body, 'schedule');
  const schedule = parentJob && rawSchedule.trim() === '' ? null : dkronSchedule(rawSchedule);
  const concurrency = str(body, 'concurrency') || 'allow';
  if (concurrency !== 'allow' && concurrency !== 'forbid') {
    throw validationFailed('invalid concurrency policy value, use "allow" or "forbid"');
  }
  const retries = body.retries ?? 0;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
    throw unparsable('json: cannot unmarshal into Go struct field Job.retries of type uint');
  }
  const executor = str(body, 'executor');
  if (!(EXECUTORS as readonly string[]).includes(executor)) {
    throw validationFailed(
      executor === ''
        ? 'executor is required (shell or http)'
        : `executor ${executor} not found, jobgate runs shell and http`,
    );
  }
  const config = stringMap(body, 'executor_config');
  const metadata: Record<string, string> = { ...stringMap(body, 'metadata') };
  for (const key of Object.keys(metadata)) {
    if (key.startsWith(META_PREFIX))
      throw validationFailed(`metadata keys starting with ${META_PREFIX} are reserved`);
  }
  const extras: [string, string][] = [
    [META.displayname, str(body, 'displayname')],
    [META.owner, str(body, 'owner')],
    [META.ownerEmail, str(body, 'owner_email')],
    [META.executor, executor],
    [META.startsAt, str(body, 'starts_at')],
    [META.expiresAt, str(body, 'expires_at')],
    [META.ephemeral, bool(body, 'ephemeral') ? 'true' : ''],
  ];
  const tags = stringMap(body, 'tags');
  if (Object.keys(tags).length) extras.push([META.tags, JSON.stringify(tags)]);
  if (body.processors != null) {
    if (typeof body.processors !== 'object' || Array.isArray(body.processors)) {
      throw unparsable('json: cannot unmarshal into Go struct field Job.processors');
    }
    extras.push([META.processors, JSON.stringify(body.processors)]);
  }
  const shown = SHOWN_OPTIONS[executor] ?? [];
  const plainConfig = Object.fromEntries(Object.entries(config).filter(([k]) => shown.includes(k)));
  if (Object.keys(plainConfig).length) extras.push([META.executorConfig, JSON.stringify(plainConfig)]);
  for (const [key, value] of extras) if (value) metadata[key] = value;
  return {
    name,
    schedule,
    timezone: str(body, 'timezone') || null,
    retries,
    concurrency: concurrency === 'forbid' ? 'FORBID' : 'ALLOW',
    parentJob: parentJob || null,
    metadata,
    disabled: bool(body, 'disabled'),
    ...executorInput(executor, config),
  };
}
