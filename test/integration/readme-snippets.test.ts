// Every snippet of the README runs, in order, against a real `jobgate serve` (PGlite, auth on): the
// shell commands as written (the project's bin for `npx jobgate`, this server's address for
// 127.0.0.1:4000, the main port's /compat/<name> for each dialect's own port (8081, 8080, ...), the token they created for
// `jg_...`, the latest run for `<jobid>`), each GraphQL block with the JSON block after
// it as variables (`"<run id>"` and `"<savepoint id>"` stand for the ids earlier answers gave), each
// answering without errors. A snippet the test does not know how to run fails it: a new README
// example must be runnable or explicitly listed below as run elsewhere.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DIALECT_DEFAULT_PORTS } from '../../src/config.ts';
import { killLeftovers, startJobgate, type JobgateProcess } from '../support/processes.ts';
import { TEST_SECRET_KEY } from '../support/secrets.ts';
import { until } from '../support/wait.ts';

/** A dialect's own port in a snippet (`http://127.0.0.1:8081`, `:8080`, ...) becomes its mount on the
 * main port (`<url>/compat/flink`, ...): the test's gateway opens no dialect port. */
function dialectsOnMainPort(command: string, url: string): string {
  return Object.entries(DIALECT_DEFAULT_PORTS).reduce(
    (text, [name, port]) => text.replaceAll(`http://127.0.0.1:${port}`, `${url}/compat/${name}`),
    command,
  );
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/** Shell snippets that other parts of CI run: the install and start of the README's first lines
 * (.ci/run installs and runs `npm test`; test/server/serve.test.ts starts `jobgate serve`). */
const RUN_ELSEWHERE = new Set(['npm install && npm start', 'npm install && npm test']);

interface Snippet {
  lang: string;
  text: string;
  /** A JSON block right after a GraphQL one: its variables. */
  variables?: string;
}

function snippets(readme: string): Snippet[] {
  const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1]!,
    text: m[2]!.trim(),
  }));
  const out: Snippet[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.lang === 'json' && out.at(-1)?.lang === 'graphql' && out.at(-1)!.variables === undefined) {
      out.at(-1)!.variables = block.text;
      continue;
    }
    out.push({ ...block });
  }
  return out;
}

/** A shell snippet as commands: continued lines joined, comments dropped. */
const commands = (text: string) =>
  text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

let dir: string | undefined;
let server: JobgateProcess | undefined;
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await killLeftovers();
});

it('every README snippet runs against a live server', { timeout: 600_000 }, async () => {
  const all = snippets(await readFile(join(ROOT, 'README.md'), 'utf8'));
  expect(all.length).toBeGreaterThan(5);
  dir = await mkdtemp(join(tmpdir(), 'jobgate-readme-'));
  const env = { ...process.env, JOBGATE_SECRET_KEY: TEST_SECRET_KEY, JOBGATE_LOG_LEVEL: 'warn' };
  const jobgate = async (args: string) => {
    const { stdout } = await run('sh', ['-c', `node bin/jobgate.mjs ${args} --data-dir '${dir}'`], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    });
    return stdout.trim();
  };
  // Tokens are made while no server holds the data directory, as the README says.
  const admin = await jobgate('token create --role admin --name readme-admin');
  let token = admin;
  for (const snippet of all.filter((s) => s.lang === 'sh')) {
    for (const command of commands(snippet.text)) {
      if (command.startsWith('npx jobgate token create'))
        token = await jobgate(command.slice('npx jobgate '.length));
    }
  }
  server = startJobgate(['serve', '--port', '0', '--data-dir', dir, '--auth', 'on']);
  const [, url] = await server.waitFor(/ready: GraphQL and GraphiQL at (http:\/\/\S+)\/graphql/);

  const ids: Record<string, string> = {};
  const variablesOf = (snippet: Snippet) =>
    snippet.variables
      ? JSON.parse(
          snippet.variables.replace(/"<(run id|savepoint id)>"/g, (_, name: string) =>
            JSON.stringify(ids[name]),
          ),
        )
      : undefined;
  const graphql = async (snippet: Snippet) => {
    const variables = variablesOf(snippet);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: snippet.text, variables }),
    });
    return (await response.json()) as {
      data?: Record<string, any>;
      errors?: { extensions?: { code?: string } }[];
    };
  };

  /** A subscription's first event (or its completion), over WebSocket as a client would. */
  const firstEvent = async (snippet: Snippet) => {
    const client = createClient({
      url: `${url!.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${admin}` },
      retryAttempts: 0,
    });
    try {
      const subscription = client.iterate({ query: snippet.text, variables: variablesOf(snippet) });
      const first = await subscription.next();
      await subscription.return?.();
      return (first.value ?? {}) as { data?: Record<string, any>; errors?: unknown };
    } finally {
      await client.dispose();
    }
  };

  const ran: string[] = [];
  for (const snippet of all) {
    const name = snippet.text.split('\n')[0]!;
    if (snippet.lang === 'sh') {
      for (const command of commands(snippet.text)) {
        if (RUN_ELSEWHERE.has(command) || command.startsWith('npx jobgate token create')) continue;
        if (!command.startsWith('curl '))
          throw new Error(`the README has a shell command this test cannot run: ${command}`);
        const { stdout } = await run(
          'sh',
          [
            '-c',
            dialectsOnMainPort(command.replaceAll('http://127.0.0.1:4000', url!), url!)
              .replaceAll('<jobid>', ids['run id']!)
              .replaceAll('jg_...', token),
          ],
          {
            timeout: 60_000,
          },
        );
        const answer = JSON.parse(stdout) as { errors?: unknown; status?: unknown };
        expect(answer.errors, command).toBeUndefined();
        // SeaTunnel's failures are {"status":"fail","message":...}.
        expect(answer.status, command).not.toBe('fail');
        ran.push(command);
      }
      continue;
    }
    if (snippet.lang === 'json') throw new Error(`a JSON block not after a GraphQL one: ${name}`);
    if (snippet.lang !== 'graphql')
      throw new Error(`the README has a ${snippet.lang || 'plain'} block this test cannot run: ${name}`);
    if (/^subscription\b/.test(snippet.text)) {
      const event = await firstEvent(snippet);
      expect(event.errors, name).toBeUndefined();
      expect(event.data, name).toBeTruthy();
      ran.push(name);
      continue;
    }
    // A savepoint needs the run RUNNING: what is refused only because it is not yet is tried again.
    const answer = await until(
      name,
      async () => {
        const result = await graphql(snippet);
        return result.errors?.[0]?.extensions?.code === 'CONFLICT' ? undefined : result;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(answer.errors, name).toBeUndefined();
    const data = answer.data!;
    if (data.startJob) ids['run id'] = data.startJob.run.id;
    if (data.stopJob?.savepoint) ids['savepoint id'] = data.stopJob.savepoint.id;
    if (data.startJob?.run.restoredFrom) expect(data.startJob.run.restoredFrom.id).toBe(ids['savepoint id']);
    ran.push(name);
  }
  expect(ran.length).toBeGreaterThan(5);
});
