// The HTTP routing of the dialects, over real sockets, with a tiny test dialect registered through
// the same interface the real ones will use: mounted under /compat/<name>/ and on its own port, auth
// and the browser guard on both, its GraphQL operations held to the same roles, limits and masking as
// /graphql, a taken port reported without failing start-up, and every listener closed on stop.
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/lib/status.ts';
import { createEventFeed, createLogFeed, createMetricFeed } from '../../src/runtime/index.ts';
import type { App } from '../../src/server/app.ts';
import type { Dialect } from '../../src/shim/core/index.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/dialect-harness.ts';

const CREATE = 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { name } } }';
const PIPELINE = { source: [{ plugin_name: 'FakeSource' }], sink: [{ plugin_name: 'Console' }] };

function tooDeep(): string {
  let deep = 'id';
  for (let i = 0; i < 4; i++) deep = `runs(first: 1) { nodes { job { ${deep} } } }`;
  return `{ jobs(first: 1) { nodes { ${deep} } } }`;
}

/** A dialect as small as one can be: each route runs at most one operation and shapes the answer. */
const echo: Dialect = {
  name: 'echo',
  defaultPort: 1, // never used: the tests name its port
  async handle(request, ctx) {
    const route = `${request.method} ${ctx.path}`;
    if (route === 'GET /whoami') return Response.json({ path: ctx.path, role: ctx.viewer.role });
    if (route === 'POST /jobs') {
      const { name } = (await request.json()) as { name: string };
      const result = await ctx.execute({
        document: CREATE,
        variables: { input: { name, pipeline: PIPELINE } },
      });
      if (result.errors)
        return Response.json({ codes: result.errors.map((e) => e.extensions?.code) }, { status: 400 });
      return Response.json(result.data);
    }
    if (route === 'GET /deep') {
      const result = await ctx.execute({ document: tooDeep() });
      return Response.json({ codes: result.errors?.map((e) => e.extensions?.code) }, { status: 400 });
    }
    if (route === 'POST /body') return Response.json({ bytes: (await request.arrayBuffer()).byteLength });
    if (route === 'GET /boom') throw new Error('secret detail of a broken route');
    return Response.json({ error: `no route ${route}` }, { status: 404 });
  },
};

/** A port that was free a moment ago. */

let t: TestApp;
let app: App;
let base: string; // the main port
let own: string; // the echo dialect's own port
const tokens = {} as Record<Role, string>;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await t.token(role);
  app = buildServedApp(t.database, {
    dialects: [echo],
    dialectPorts: { echo: await freePort() },
  });
  base = await app.start();
  own = app.dialectUrls().echo!;
});
afterAll(async () => {
  await app?.stop();
  await t?.close();
});

const call = (url: string, init: RequestInit & { role?: Role } = {}) =>
  fetch(url, {
    ...init,
    headers: { ...(init.role ? { authorization: `Bearer ${tokens[init.role]}` } : {}), ...init.headers },
  });

describe('mounting', () => {
  it('serves a registered dialect under /compat/<name>/ and on its own port, with the same paths', async () => {
    expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(own).not.toBe(base);
    for (const url of [`${base}/compat/echo/whoami`, `${own}/whoami`]) {
      const res = await call(url, { role: 'operator' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: '/whoami', role: 'operator' });
    }
    // The main port's own routes are not the dialect's, and the dialect port serves only the dialect.
    expect((await call(`${base}/healthz`)).status).toBe(200);
    expect((await call(`${own}/healthz`, { role: 'admin' })).status).toBe(404);
    expect((await call(`${own}/graphql`, { role: 'admin' })).status).toBe(404);
  });

  it('answers 404 JSON naming an unknown dialect', async () => {
    const res = await call(`${base}/compat/flink/jobs/overview`, { role: 'admin' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(body.errors[0].message).toContain('"flink"');
    expect(body.errors[0].message).toContain('echo');
  });
});

describe('auth on every surface', () => {
  it('refuses a request without a valid token on both mounts, and takes each token carrier', async () => {
    for (const url of [`${base}/compat/echo/whoami`, `${own}/whoami`]) {
      const none = await call(url);
      expect(none.status).toBe(401);
      expect(((await none.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const bad = await call(url, { headers: { authorization: 'Bearer not-a-token' } });
      expect(bad.status).toBe(401);
      // The dialects' own carriers.
      const nomad = await call(url, { headers: { 'x-nomad-token': tokens.viewer } });
      expect(await nomad.json()).toMatchObject({ role: 'viewer' });
      // A token in the URL is refused on a dialect whose clients never send one there (Keeper's,
      // which do, are in test/server/query-token.test.ts), even beside a good header.
      for (const role of [undefined, 'admin'] as const) {
        const inUrl = await call(`${url}?token=${tokens.admin}`, { role });
        expect(inUrl.status).toBe(401);
        expect(((await inUrl.json()) as any).errors[0].message).toContain('Authorization header');
      }
    }
  });
});

describe('the operations a dialect runs', () => {
  const createJob = (url: string, role: Role, name: string) =>
    call(url, {
      role,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });

  it('hold to roles: a viewer cannot create a job (FORBIDDEN), an operator can', async () => {
    const refused = await createJob(`${own}/jobs`, 'viewer', 'echo-viewer');
    expect(await refused.json()).toEqual({ codes: ['FORBIDDEN'] });
    const created = await createJob(`${base}/compat/echo/jobs`, 'operator', 'echo-operator');
    expect(await created.json()).toEqual({ createJob: { job: { name: 'echo-operator' } } });
  });

  it('hold to the limits: a too-deep document is refused', async () => {
    const res = await call(`${base}/compat/echo/deep`, { role: 'admin' });
    expect(await res.json()).toEqual({ codes: ['QUERY_TOO_COMPLEX'] });
  });

  it('mask a route that throws: 500, "Unexpected error.", nothing of the cause', async () => {
    const res = await call(`${own}/boom`, { role: 'admin' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).errors[0]).toEqual({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(text).not.toContain('secret detail');
  });

  it('limit the request body, with or without a Content-Length', async () => {
    const small = await call(`${own}/body`, { role: 'admin', method: 'POST', body: 'x'.repeat(10) });
    expect(await small.json()).toEqual({ bytes: 10 });
    const big = 'x'.repeat(1_048_577);
    const declared = await call(`${own}/body`, { role: 'admin', method: 'POST', body: big });
    expect(declared.status).toBe(413);
    const chunked = await call(`${base}/compat/echo/body`, {
      role: 'admin',
      method: 'POST',
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit & { role: Role });
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as any).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});

describe('the browser guard on the dialect port', () => {
  /** A GET with a Host header of our choosing (fetch does not let a caller set Host). */
  const withHeaders = (url: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const { port, pathname } = new URL(url);
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: pathname,
          headers: { authorization: `Bearer ${tokens.admin}`, ...headers },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('answers only to its loopback names with its own port, and no foreign origin', async () => {
    const { port } = new URL(own);
    expect(await withHeaders(`${own}/whoami`, { host: `evil.example:${port}` })).toBe(421);
    expect(await withHeaders(`${own}/whoami`, { host: `127.0.0.1:${new URL(base).port}` })).toBe(421);
    expect(
      await withHeaders(`${own}/whoami`, { host: `127.0.0.1:${port}`, origin: 'https://evil.example' }),
    ).toBe(403);
    expect(
      await withHeaders(`${base}/compat/echo/whoami`, {
        host: `localhost:${new URL(base).port}`,
        origin: 'https://evil.example',
      }),
    ).toBe(403);
    // Positive control: its loopback names with its port.
    expect(await withHeaders(`${own}/whoami`, { host: `localhost:${port}` })).toBe(200);
  });
});

describe('start-up and shutdown', () => {
  it('reports a taken dialect port, starts anyway, and keeps the dialect under /compat/', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const second = buildServedApp(t.database, {
      logger,
      dialects: [echo],
      dialectPorts: { echo: port },
    });
    try {
      const url = await second.start();
      expect(second.dialectUrls()).toEqual({});
      const warning = lines.map((line) => JSON.parse(line)).find((entry) => entry.dialect === 'echo');
      expect(warning).toMatchObject({ level: 40, port, code: 'EADDRINUSE' });
      expect(warning.msg).toContain('/compat/echo/');
      const res = await call(`${url}/compat/echo/whoami`, { role: 'viewer' });
      expect(await res.json()).toEqual({ path: '/whoami', role: 'viewer' });
    } finally {
      await second.stop();
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('opens no dialect port when no dialect is registered, and answers /compat/ with 404', async () => {
    const bare = buildServedApp(t.database, {
      settings: {
        authEnabled: false,
        heartbeatTimeoutMs: 5_000,
        commandsEnabled: true,
        events: createEventFeed(t.database),
        logFeed: createLogFeed(t.database),
        metricFeed: createMetricFeed(t.database),
      },
      dialects: [],
      dialectPorts: { flink: await freePort() },
    });
    try {
      const url = await bare.start();
      expect(bare.dialectUrls()).toEqual({});
      const res = await fetch(`${url}/compat/flink/overview`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).errors[0].message).toMatch(
        /unknown dialect "flink".*dialects: none/,
      );
    } finally {
      await bare.stop();
    }
  });

  it('closes every listener on stop', async () => {
    const third = buildServedApp(t.database, {
      dialects: [echo],
      dialectPorts: { echo: await freePort() },
    });
    const url = await third.start();
    const dialectUrl = third.dialectUrls().echo!;
    expect((await call(`${dialectUrl}/whoami`, { role: 'admin' })).status).toBe(200); // positive control
    await third.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await expect(fetch(`${dialectUrl}/whoami`)).rejects.toThrow();
  });
});
