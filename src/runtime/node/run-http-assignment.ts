// HTTP assignments: one request from this node. The response body's lines are INFO log lines (the
// run's output), the outcome one summary line; the status against expectCode (any 2xx without one)
// decides. The request's headers hold secrets: they are opened here and never logged.
import { SubtaskStatus } from '../../lib/status.ts';
import { REDACTED, redactSecrets, revealSecrets } from '../definition/secret-options.ts';
import { httpTimeoutMs, runHttp } from '../executors/run-http.ts';
import { createSecretScrubber } from '../logs/secret-scrubber.ts';
import type { AssignmentOutcome } from '../runs/settle.ts';
import { writeMetrics } from '../sql/write-metrics.ts';
import type { AssignmentContext } from './assignment-context.ts';
import type { CommandRunOptions } from './run-command-assignment.ts';

/** What an HTTP vertex's config holds (header values sealed until the node opens them). */
interface HttpConfig {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | null;
  expectCode?: number | null;
  timeoutSeconds?: number | null;
}

export async function runHttpAssignment(
  ctx: AssignmentContext,
  opts: CommandRunOptions,
): Promise<AssignmentOutcome> {
  const vertex = ctx.vertices[0]!;
  const runId = ctx.run.id;
  const where = { vertex: vertex.name, subtaskIndex: 0 };
  const config = revealSecrets(vertex.config as unknown as HttpConfig, opts.secrets);
  // The URL as readers see it (a password in it was refused when the job was saved; belt and braces).
  opts.logs.append(runId, 'INFO', `$ ${config.method} ${redactSecrets(config.url)}`, where);
  const result = await runHttp({
    method: config.method,
    url: config.url,
    headers: config.headers ?? {},
    body: config.body ?? null,
    timeoutMs: httpTimeoutMs(config.timeoutSeconds),
    signal: opts.signal,
  });
  // A server that echoes the request (httpbin's /anything, a debug endpoint) would put the header
  // secrets into the log: each header value is cut out of every line before it is written.
  const scrub = createSecretScrubber(Object.values(config.headers ?? {}), REDACTED);
  if (result.headersDroppedFor) {
    opts.logs.append(
      runId,
      'WARN',
      `redirected to another origin (${result.headersDroppedFor}): the job's headers were not sent there`,
      where,
    );
  }
  for (const line of result.body.split(/\r?\n/)) {
    if (line !== '') opts.logs.append(runId, 'INFO', scrub(line), where);
  }
  if (result.truncated) {
    opts.logs.append(
      runId,
      'WARN',
      `response body cut at ${result.body.length} of ${result.bytes} bytes`,
      where,
    );
  }
  const expected = config.expectCode ?? null;
  const ok =
    result.status !== null &&
    (expected === null ? result.status >= 200 && result.status < 300 : result.status === expected);
  const failure = result.canceled
    ? undefined
    : result.timedOut
      ? `request to ${result.host} timed out after ${result.timeoutMs / 1000} s without a complete answer`
      : result.error
        ? `request to ${result.host} failed: ${result.error}`
        : ok
          ? undefined
          : `HTTP ${result.status}, expected ${expected ?? '2xx'}`;
  const summary = result.canceled
    ? 'request stopped'
    : result.status !== null
      ? `HTTP ${result.status}${expected !== null ? ` (expected ${expected})` : ''}`
      : failure;
  opts.logs.append(
    runId,
    failure ? 'ERROR' : 'INFO',
    `${vertex.name}: ${summary} (${result.durationMs} ms)`,
    where,
  );
  const sample = (name: string, value: number) => ({
    runId,
    vertexId: vertex.id,
    subtaskIndex: 0,
    name,
    value,
  });
  await writeMetrics(opts.database, [
    sample('httpDurationMs', result.durationMs),
    sample('numBytesIn', result.bytes),
    ...(result.status !== null ? [sample('httpStatusCode', result.status)] : []),
  ]).catch((err: unknown) => opts.logger.warn({ err, runId }, 'http metrics not written'));
  if (result.canceled) return { status: SubtaskStatus.CANCELED };
  if (failure) {
    return {
      status: SubtaskStatus.FAILED,
      failure: { message: `http ${failure}`, vertex: vertex.name, subtaskIndex: 0 },
    };
  }
  return { status: SubtaskStatus.FINISHED };
}
