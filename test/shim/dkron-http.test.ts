// Dkron's http executor on jobgate: a job that sends a request to a local server started here. The
// run succeeds when expectCode matches and fails otherwise, the response body is the execution's
// output, and the Authorization header's token reaches the server but appears nowhere else: not in
// any Dkron or GraphQL answer, not in the run log, not in plain text in the database.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeIn } from '../../src/db/client.ts';
import { until } from '../support/wait.ts';
import { dkronSpec, startDkronHarness, type DkronHarness } from './dkron-harness.ts';

const TOKEN = 'tok-3f9a1c77e2b84d0c';
const ENV_SECRET = 'pw-8d1e55aa0c9b';

let h: DkronHarness;
let server: Server;
let target: string;
const seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];

async function read(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  h = await startDkronHarness();
  server = createServer(async (req, res) => {
    seen.push({
      method: req.method,
      url: req.url,
      authorization: req.headers.authorization,
      body: await read(req),
    });
    if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing\n');
      return;
    }
    if (req.url === '/echo') {
      // A server that echoes what it got, the header among it.
      res.writeHead(200).end(`you sent ${req.headers.authorization}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('pong line one\npong line two\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

async function dkron(method: string, path: string, role: 'viewer' | 'operator' | 'admin', body?: unknown) {
  const res = await fetch(`${h.dkron}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.tokens[role]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const httpJob = (name: string, path: string, expectCode: string) => ({
  name,
  schedule: '@manually',
  executor: 'http',
  executor_config: {
    method: 'POST',
    url: `${target}${path}`,
    headers: JSON.stringify([`Authorization: Bearer ${TOKEN}`, 'Content-Type: text/plain']),
    body: 'ping',
    expectCode,
    timeout: '30',
  },
});

async function runAndWait(name: string) {
  const ran = await dkron('POST', `/v1/jobs/${name}/run`, 'operator');
  expect(ran.status).toBe(200);
  return until(
    `an ended execution of ${name}`,
    async () => {
      const res = await dkron('GET', `/v1/jobs/${name}/executions`, 'viewer');
      const ended = res.json?.find((e: any) => e.finished_at !== '0001-01-01T00:00:00Z');
      return ended ? { list: res.json, ended } : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

describe('the http executor', () => {
  it('is an admin job: an operator is refused (403) and nothing is stored', async () => {
    const refused = await dkron('POST', '/v1/jobs', 'operator', httpJob('http-by-operator', '/ok', '200'));
    expect(refused.status).toBe(403);
    expect(refused.text).toMatch(/only admins may define jobs that run shell commands or send HTTP requests/);
    expect((await dkron('GET', '/v1/jobs/http-by-operator', 'viewer')).status).toBe(404);
  });

  it('succeeds when expectCode matches, with the response body as output and the header sent', async () => {
    const created = await dkron('POST', '/v1/jobs', 'admin', httpJob('http-ok', '/ok', '200'));
    expect(created.status).toBe(201);
    expect(created.json.executor).toBe('http');
    expect(created.json.executor_config).toMatchObject({
      method: 'POST',
      url: `${target}/ok`,
      expectCode: '200',
      timeout: '30',
    });
    expect(JSON.parse(created.json.executor_config.headers).sort()).toEqual([
      'Authorization: [redacted]',
      'Content-Type: [redacted]',
    ]);
    expect(dkronSpec.validate('post', '/jobs', created.json, 201)).toEqual([]);

    const { ended } = await runAndWait('http-ok');
    expect(ended).toMatchObject({ success: true, output: 'pong line one\npong line two\n' });
    const got = seen.find((s) => s.url === '/ok')!;
    expect(got).toMatchObject({ method: 'POST', authorization: `Bearer ${TOKEN}`, body: 'ping' });
    const job = await dkron('GET', '/v1/jobs/http-ok', 'viewer');
    expect(job.json).toMatchObject({ success_count: 1, error_count: 0, status: 'success' });
  });

  it('fails when the status is not expectCode, the body still the output', async () => {
    expect((await dkron('POST', '/v1/jobs', 'admin', httpJob('http-miss', '/missing', '200'))).status).toBe(
      201,
    );
    const { ended } = await runAndWait('http-miss');
    expect(ended).toMatchObject({ success: false, output: 'no such thing\n' });
    const job = await dkron('GET', '/v1/jobs/http-miss', 'viewer');
    expect(job.json).toMatchObject({
      success_count: 0,
      error_count: 1,
      status: 'failed',
      last_success: null,
    });
    expect(Date.parse(job.json.last_error)).toBeGreaterThan(0);
    // The same server answer is a success for a job that expects 404: expectCode decides.
    expect(
      (await dkron('POST', '/v1/jobs', 'admin', httpJob('http-expect-404', '/missing', '404'))).status,
    ).toBe(201);
    expect((await runAndWait('http-expect-404')).ended.success).toBe(true);
  });

  it('cuts the header secret out of an echoed response', async () => {
    expect((await dkron('POST', '/v1/jobs', 'admin', httpJob('http-echo', '/echo', '200'))).status).toBe(201);
    const { ended } = await runAndWait('http-echo');
    expect(ended.success).toBe(true);
    expect(ended.output).toBe('you sent [redacted]\n');
  });

  it('keeps shell env values and http header values out of every answer, the log and the stored rows', async () => {
    const shell = await dkron('POST', '/v1/jobs', 'admin', {
      name: 'shell-env',
      schedule: '@manually',
      executor: 'shell',
      executor_config: {
        api_password: ENV_SECRET,
        command: 'test "$DB_PASSWORD" = "$EXPECTED" && echo matched',
        env: `DB_PASSWORD=${ENV_SECRET},EXPECTED=${ENV_SECRET}`,
      },
    });
    expect(shell.status).toBe(201);
    expect(shell.json.executor_config.env.split(',').sort()).toEqual([
      'DB_PASSWORD=[redacted]',
      'EXPECTED=[redacted]',
    ]);
    // The child got the real values (the test in the command passed).
    const { ended } = await runAndWait('shell-env');
    expect(ended).toMatchObject({ success: true, output: 'matched\n' });

    const answers = [
      (await dkron('GET', '/v1/jobs', 'viewer')).text,
      (await dkron('GET', '/v1/jobs/shell-env', 'viewer')).text,
      (await dkron('GET', '/v1/jobs/http-ok/executions', 'viewer')).text,
      (await dkron('GET', '/v1/jobs/shell-env/executions', 'viewer')).text,
      JSON.stringify(
        await h.t.graphql(`{ jobs(first: 100) { nodes { name definition } } }`, {}, h.tokens.admin),
      ),
    ];
    expect(answers[0]).toContain('http-ok');
    for (const text of answers) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(ENV_SECRET);
    }
    const stored = await executeIn<{ text: string }>(
      h.t.database.db,
      sql`select concat_ws(' ', (select string_agg(definition::text, ' ') from job_versions),
        (select string_agg(config::text, ' ') from vertices),
        (select string_agg(metadata::text, ' ') from jobs),
        (select string_agg(message, ' ') from log_lines)) as text`,
    );
    expect(stored[0]!.text).toContain('$sealed');
    expect(stored[0]!.text).toContain('pong line one');
    expect(stored[0]!.text).not.toContain(TOKEN);
    expect(stored[0]!.text).not.toContain(ENV_SECRET);
  });
});
