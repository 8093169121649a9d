// The common POST /graphql is answered without yoga's HTTP layer (graphql-post.ts). Every request
// here goes, over real sockets, to two gateways on the same database: one with that direct path,
// one sending every request through yoga. Their answers must be the same: status, headers (but the
// date) and body, for data, errors, refusals and whatever the direct path hands back to yoga. The
// direct gateway's /metrics says which path each request took, so a request the test means for the
// direct path cannot pass by being answered by yoga.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/app.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';
import { contractOperation } from '../support/contract.ts';
import { seedRun } from '../support/fixtures.ts';

let t: TestApp;
let direct: App;
let viaYoga: App;
const base = { direct: '', viaYoga: '' };
const tokens = { viewer: '', admin: '' };
let runId: string;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  tokens.viewer = await t.token('viewer');
  tokens.admin = await t.token('admin');
  runId = (await seedRun(t.database, { name: 'post', vertices: 2, parallelism: 2, checkpoints: 3 })).runId;
  // Two mutations a minute: the third of a burst is refused 429 on each gateway (each has its own
  // bucket, and both get the same requests in the same order).
  direct = buildServedApp(t.database, { mutationsPerMinute: 2 });
  viaYoga = buildServedApp(t.database, { mutationsPerMinute: 2, graphqlPostFastPath: false });
  base.direct = await direct.start();
  base.viaYoga = await viaYoga.start();
}, 240_000);
afterAll(async () => {
  await direct?.stop();
  await viaYoga?.stop();
  await t?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function answer(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'date') headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

/** How many requests the direct gateway answered itself, and handed to yoga. */
async function directStats(): Promise<{ answered: number; handed: number }> {
  const text = await (await fetch(`${base.direct}/metrics`)).text();
  const read = (outcome: string) =>
    Number(new RegExp(`^jobgate_graphql_post_direct\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  return { answered: read('answered'), handed: read('handed_to_yoga') };
}

type Path = 'answered' | 'handed' | 'yoga';

/**
 * Sends the same request to both gateways, expects the same answer, and that the direct gateway
 * took the path named: answered it itself, handed it to yoga after reading the body, or left it to
 * yoga from its head.
 */
async function same(
  init: { body: string; token?: string; headers?: Record<string, string>; path?: string },
  path: Path,
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    ...init.headers,
  };
  const request = { method: 'POST', headers, body: init.body };
  const before = await directStats();
  const fast = await answer(`${base.direct}${init.path ?? '/graphql'}`, request);
  const after = await directStats();
  const slow = await answer(`${base.viaYoga}${init.path ?? '/graphql'}`, request);
  expect(fast).toEqual(slow);
  expect({ answered: after.answered - before.answered, handed: after.handed - before.handed }).toEqual({
    answered: path === 'answered' ? 1 : 0,
    handed: path === 'handed' ? 1 : 0,
  });
  return fast;
}

const op = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const codes = (answer: Answer) =>
  ((JSON.parse(answer.body) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map(
    (e) => e.extensions?.code,
  );

describe('POST /graphql without yoga HTTP layer', () => {
  it('answers the contract Run query as yoga does', async () => {
    const run = await same(
      { body: op(contractOperation('Run'), { id: runId }), token: tokens.viewer },
      'answered',
    );
    expect(run.status).toBe(200);
    expect(run.headers['content-type']).toBe('application/json; charset=utf-8');
    const data = JSON.parse(run.body) as { data: { run: { id: string; vertices: unknown[] } } };
    expect(data.data.run.id).toBe(runId);
    expect(data.data.run.vertices).toHaveLength(2);
  });

  it('answers errors of execution as yoga does, under either answer type', async () => {
    const missing = { id: '00000000-0000-4000-8000-000000000000' };
    const query = 'query ($id: ID!) { run(id: $id) { id status } }';
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answered = await same(
        { body: op(query, missing), token: tokens.viewer, headers: { accept } },
        'answered',
      );
      expect(answered.status).toBe(200);
      // A variable that does not coerce is refused at execution, not validation.
      const bad = await same(
        { body: op(query, { id: 12 }), token: tokens.viewer, headers: { accept } },
        'answered',
      );
      expect(codes(bad)).not.toEqual([]);
    }
  });

  it('applies roles and the mutation rate limit as yoga does', async () => {
    const create = (name: string) =>
      op(
        'mutation ($n: String!) { createJob(input: { name: $n, command: { command: "true" } }) { job { name } } }',
        {
          n: name,
        },
      );
    const refused = await same({ body: create('post-viewer'), token: tokens.viewer }, 'answered');
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    // Each gateway creates its own jobs (names are unique), so these are compared by their data.
    for (const i of [1, 2]) {
      for (const [gateway, url] of Object.entries(base)) {
        const created = await answer(`${url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${tokens.admin}`,
          },
          body: create(`post-${gateway}-${i}`),
        });
        expect(JSON.parse(created.body)).toEqual({
          data: { createJob: { job: { name: `post-${gateway}-${i}` } } },
        });
      }
    }
    const limited = await same({ body: create('post-limited'), token: tokens.admin }, 'answered');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('refuses a request without a valid token before reading it, as yoga does', async () => {
    const none = await same({ body: op('{ overview { clusters } }') }, 'answered');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const wrong = await same({ body: op('{ overview { clusters } }'), token: 'not-a-token' }, 'answered');
    expect(wrong.status).toBe(401);
  });

  it('hands yoga every body and document it would refuse, and yoga refuses them', async () => {
    const cases: { body: string }[] = [
      { body: '{"query": "{ overview { clusters } }"' }, // not JSON
      { body: '[{"query": "{ overview { clusters } }"}]' }, // a batch
      { body: '{"query": 12}' },
      { body: '{"query": "{ overview { clusters } }", "variables": "x"}' },
      { body: '{"query": "{ overview { clusters } }", "operationName": 3}' },
      { body: '{"query": "{ overview { clusters } }", "other": 1}' },
      { body: op('{ overview { clusters') }, // a parse error
      { body: op('{ overview { nope } }') }, // a validation error
      { body: op(`{ overview { clusters } }${' '.repeat(200_000)}`) }, // longer than the document limit
      {
        body: op('subscription { runEvents(runId: "00000000-0000-4000-8000-000000000000") { __typename } }'),
      },
    ];
    for (const { body } of cases) {
      const refused = await same({ body, token: tokens.viewer }, 'handed');
      // (yoga answers a parse or validation error 200 under application/json, with errors)
      expect(refused.status !== 200 || codes(refused).length > 0, body.slice(0, 80)).toBe(true);
    }
    const batch = await same(
      { body: '[{"query": "{ overview { clusters } }"}]', token: tokens.viewer },
      'handed',
    );
    expect(batch.status).toBe(400);
  });

  it('leaves to yoga what it does not take: other answer types, browsers, query strings, other bodies', async () => {
    const body = op('{ overview { clusters } }');
    const token = tokens.viewer;
    await same({ body, token, headers: { accept: '*/*' } }, 'yoga');
    await same(
      { body, token, headers: { accept: 'application/graphql-response+json, application/json' } },
      'yoga',
    );
    await same({ body, token, headers: { accept: 'text/event-stream' } }, 'yoga');
    await same({ body, token, headers: { 'content-type': 'text/plain' } }, 'yoga');
    await same({ body, token, path: '/graphql?x=1' }, 'yoga');
    const browser = await same({ body, token, headers: { origin: 'http://evil.example' } }, 'yoga');
    expect(browser.status).toBe(403);
  });

  it('drops a request whose client goes away before its body ends, and goes on serving', async () => {
    const before = await directStats();
    const { port } = new URL(base.direct);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        `accept: application/json\r\nauthorization: Bearer ${tokens.viewer}\r\ncontent-length: 1000\r\n\r\n{"query":`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    const next = await same({ body: op('{ overview { clusters } }'), token: tokens.viewer }, 'answered');
    expect(next.status).toBe(200);
    const after = await directStats();
    // Only the last request counts: the abandoned one was neither answered nor handed on.
    expect(after.answered - before.answered).toBe(1);
    expect(after.handed - before.handed).toBe(0);
  });
});
