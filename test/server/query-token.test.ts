// A token in the URL (`?token=`) ends up in access logs, proxies and browser history. Only the
// Keeper dialect takes one there (its real clients send it no other way); every other surface
// answers 401 with a message naming the Authorization header, and the gateway's own log never
// carries the token, whichever surface it was sent to.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/server/app.ts';
import type { Dialect } from '../../src/shim/core/index.ts';
import { keeperDialect } from '../../src/shim/keeper/index.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';

/** A dialect that needs no token in the URL, with one route that fails. */
const plain: Dialect = {
  name: 'plain',
  defaultPort: 1,
  async handle(request, ctx) {
    if (new URL(request.url).pathname.endsWith('/boom')) throw new Error('a broken route');
    return Response.json({ role: ctx.viewer.role });
  },
};

/** The same, for a legacy client that sends its token in the URL. */
const legacy: Dialect = { ...plain, name: 'legacy', acceptsQueryToken: true };

const lines: string[] = [];
let t: TestApp;
let app: App;
let base: string;
let token: string;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  token = await t.token('admin');
  app = buildServedApp(t.database, {
    logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }),
    dialects: [keeperDialect, plain, legacy],
  });
  base = await app.start();
  // A shared machine under load may take minutes to boot PGlite.
}, 240_000);
afterAll(async () => {
  await app?.stop();
  await t?.close();
});

describe('a token in the URL', () => {
  it('is taken by the Keeper dialect, as Keeper clients send it', async () => {
    const home = await fetch(`${base}/compat/keeper/?token=${token}`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Welcome to Qross Keeper');
    // Without it Keeper's own answer for the missing parameter.
    const none = await fetch(`${base}/compat/keeper/`);
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("missing required query parameter 'token'");
  }, 180_000);

  it('is refused with 401 naming the Authorization header on /graphql and other dialects', async () => {
    const body = JSON.stringify({ query: '{ overview { clusters } }' });
    const graphql = await fetch(`${base}/graphql?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(graphql.status).toBe(401);
    expect(((await graphql.json()) as any).errors[0].message).toContain('Authorization header');
    const dialect = await fetch(`${base}/compat/plain/whoami?token=${token}`);
    expect(dialect.status).toBe(401);
    expect(((await dialect.json()) as any).errors[0].message).toContain('Authorization: Bearer');
    // Positive controls: the same requests with the token in the header are served.
    const headers = { authorization: `Bearer ${token}` };
    const graphqlOk = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    expect(((await graphqlOk.json()) as any).data.overview.clusters).toBe(1);
    expect(await (await fetch(`${base}/compat/plain/whoami`, { headers })).json()).toEqual({ role: 'admin' });
  }, 180_000);

  it('is refused on the WebSocket upgrade with 401', async () => {
    const url = `${base.replace(/^http/, 'ws')}/graphql?token=${token}`;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const status = await new Promise<number>((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', reject);
    });
    expect(status).toBe(401);
    // Positive control: the same upgrade without it opens.
    const open = new WebSocket(`${base.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      open.once('open', () => resolve());
      open.once('error', reject);
    });
    open.close();
  }, 180_000);

  it('never reaches the gateway log, even when the route it was sent to fails', async () => {
    const before = lines.length;
    const boom = await fetch(`${base}/compat/legacy/boom?token=${token}`);
    expect(boom.status).toBe(500);
    await fetch(`${base}/compat/plain/boom?token=${token}`);
    await fetch(`${base}/graphql?token=${token}&query=${encodeURIComponent('{ nope }')}`);
    // Positive control: the failure was logged (with its path), so the log was being written.
    const logged = lines.slice(before).map((line) => JSON.parse(line) as { msg: string; path?: string });
    expect(logged.find((entry) => entry.msg === 'a dialect route failed')).toMatchObject({ path: '/boom' });
    expect(lines.join('\n')).not.toContain(token);
  }, 180_000);
});
