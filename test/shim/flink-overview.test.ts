// The Flink dialect's first route, GET /overview, over a real socket: served at /v1/overview and
// /overview, under /compat/flink/ on the main port and on the dialect's own port, in Flink's shape
// and content type; any other prefix, an unknown path or a wrong method answer Flink's 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags, settingsFrom } from '../../src/bin/settings.ts';
import { parseConfig } from '../../src/config.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp, createTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/dialect-harness.ts';

let t: TestApp;
let app: App;
let main: string;
let own: string;
let token: string;
beforeAll(async () => {
  t = await createTestApp({ authEnabled: true });
  token = await t.token('viewer');
  app = buildServedApp(t.database, { dialectPorts: { flink: await freePort() } });
  main = `${await app.start()}/compat/flink`;
  own = app.dialectUrls().flink!;
});
afterAll(async () => {
  await app?.stop();
  await t?.close();
});

const get = (url: string, init: RequestInit = {}) =>
  fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

describe('GET /overview', () => {
  it('answers Flink’s shape at /v1 and unversioned, on both mounts', async () => {
    for (const url of [`${main}/v1/overview`, `${main}/overview`, `${own}/v1/overview`, `${own}/overview`]) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        [
          'taskmanagers',
          'slots-total',
          'slots-available',
          'slots-free-and-blocked',
          'taskmanagers-blocked',
          'jobs-running',
          'jobs-finished',
          'jobs-cancelled',
          'jobs-failed',
          'flink-version',
          'flink-commit',
        ].sort(),
      );
      expect(body['jobs-running']).toBe(0);
      expect(body['flink-version']).toBe('1.20.0');
    }
  });

  it('answers 404 `Not found: <uri>` for another prefix, an unknown path and a wrong method', async () => {
    for (const [method, path] of [
      ['GET', '/v2/overview'],
      ['GET', '/nothing-here'],
      ['POST', '/overview'],
      ['DELETE', '/v1/overview'],
    ] as const) {
      const res = await get(`${own}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errors: [`Not found: ${path}`] });
    }
  });

  it('refuses a request without a token with 401 in Flink’s error shape', async () => {
    const res = await fetch(`${own}/overview`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: string[] };
    expect(body.errors).toHaveLength(1);
    expect(typeof body.errors[0]).toBe('string');
  });
});

describe('the Flink port', () => {
  it('is 8081 by default; --flink-port (or JOBGATE_FLINK_PORT) moves it, and 0 turns it off', () => {
    const configFrom = (argv: string[], env: Record<string, string> = {}) =>
      parseConfig(settingsFrom(parseFlags(argv).values, env));
    expect(configFrom([]).dialectPorts.flink).toBe(8081);
    expect(configFrom(['--flink-port', '18081']).dialectPorts.flink).toBe(18081);
    expect(configFrom([], { JOBGATE_FLINK_PORT: '0' }).dialectPorts.flink).toBe(0);
    expect(configFrom(['--flink-port', '0']).dialectPorts.flink).toBe(0);
  });

  it('off: no listener of its own, still served under /compat/flink/', async () => {
    const off = buildServedApp(t.database, { dialectPorts: { flink: 0 } });
    try {
      const url = await off.start();
      expect(off.dialectUrls()).toEqual({});
      expect((await get(`${url}/compat/flink/overview`)).status).toBe(200);
    } finally {
      await off.stop();
    }
  });
});

describe('CORS', () => {
  it('names a configured origin in Access-Control-Allow-Origin, and only that one', async () => {
    const origin = 'http://dashboard.example';
    const open = buildServedApp(t.database, { corsOrigins: [origin] });
    try {
      const url = await open.start();
      const allowed = await get(`${url}/compat/flink/overview`, { headers: { origin } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
      // Another origin is refused by the browser guard before the dialect (403), with no header.
      const other = await get(`${url}/compat/flink/overview`, { headers: { origin: 'http://evil.example' } });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await open.stop();
    }
  });
});
