// HTTP jobs against real local servers: a server that accepts the connection and never answers
// fails the run after the timeout (never holds the slot for good), with a message naming the host
// and the timeout; a redirect to another origin does not carry the job's headers there.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  MAX_HTTP_TIMEOUT_MS,
  httpTimeoutMs,
  runHttp,
} from '../../src/runtime/executors/run-http.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';

interface Seen {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
}

/** A server on 127.0.0.1 (its own port, so its own origin) that records what it was sent. */
async function startServer(
  answer: (url: string, res: ServerResponse) => void,
): Promise<{ server: Server; base: string; seen: Seen[]; sockets: Set<Socket> }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    answer(req.url ?? '', res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, sockets };
}

const SECRET_HEADERS = {
  Authorization: 'Bearer tok-77c1e0d9a2',
  Cookie: 'session=ck-5be31f0a',
  'Proxy-Authorization': 'Basic cHgtdXNlcg==',
  'X-Api-Key': 'key-90af3c2e11',
};

let silent: Awaited<ReturnType<typeof startServer>>; // accepts, never answers
let other: Awaited<ReturnType<typeof startServer>>; // another origin: records, answers 200
let origin: Awaited<ReturnType<typeof startServer>>; // the job's origin: redirects
let t: TestRuntime;
beforeAll(async () => {
  silent = await startServer(() => {});
  other = await startServer((_url, res) => res.writeHead(200).end('landed elsewhere\n'));
  origin = await startServer((url, res) => {
    if (url === '/away') res.writeHead(302, { location: `${other.base}/landing` }).end();
    else if (url === '/away-and-back') res.writeHead(307, { location: `${other.base}/back` }).end();
    else if (url === '/here') res.writeHead(301, { location: '/landing' }).end();
    else res.writeHead(200).end('landed here\n');
  });
  // `other` sends /back home again: the headers stay dropped.
  other.server.removeAllListeners('request');
  other.server.on('request', (req, res) => {
    other.seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    if (req.url === '/back') res.writeHead(307, { location: `${origin.base}/home-again` }).end();
    else res.writeHead(200).end('landed elsewhere\n');
  });
  t = await createTestRuntime();
  // A shared machine under load may take minutes to boot PGlite and a runtime.
}, 240_000);
afterAll(async () => {
  await t?.close();
  for (const s of [silent, other, origin]) {
    for (const socket of s?.sockets ?? []) socket.destroy();
    await new Promise<void>((resolve) => s?.server.close(() => resolve()));
  }
});

describe('the timeout of an HTTP request', () => {
  it('has a default, and a job may change it within a cap', () => {
    expect(DEFAULT_HTTP_TIMEOUT_MS).toBe(30_000);
    expect(httpTimeoutMs(null)).toBe(DEFAULT_HTTP_TIMEOUT_MS);
    expect(httpTimeoutMs(undefined)).toBe(DEFAULT_HTTP_TIMEOUT_MS);
    expect(httpTimeoutMs(5)).toBe(5_000);
    expect(httpTimeoutMs(604_800)).toBe(MAX_HTTP_TIMEOUT_MS);
  }, 180_000);

  it('ends a request to a server that never answers, naming its host', async () => {
    const result = await runHttp({
      method: 'GET',
      url: `${silent.base}/hang`,
      headers: {},
      body: null,
      timeoutMs: 300,
    });
    expect(result).toMatchObject({ status: null, timedOut: true, canceled: false, timeoutMs: 300 });
    expect(result.host).toBe(new URL(silent.base).host);
  }, 180_000);

  it('fails the run of a job whose server never answers, with the host and the timeout', async () => {
    await t.createJob({ name: 'http-hang', http: { url: `${silent.base}/hang`, timeoutSeconds: 1 } });
    const runId = await t.start('http-hang');
    expect((await t.waitForRun(runId, ['FAILED', 'FINISHED'], 150_000)).status).toBe('FAILED');
    const res = await t.graphql({ contract: 'Run' }, { id: runId });
    const message = res.data!.run.exceptions[0].message as string;
    expect(message).toContain(new URL(silent.base).host);
    expect(message).toContain('timed out after 1 s');
  }, 180_000);
});

describe('a redirect', () => {
  const headerValues = (seen: Seen) =>
    Object.keys(SECRET_HEADERS).map((name) => seen.headers[name.toLowerCase()]);

  it('to the same origin keeps the job headers', async () => {
    const before = origin.seen.length;
    const result = await runHttp({
      method: 'GET',
      url: `${origin.base}/here`,
      headers: SECRET_HEADERS,
      body: null,
    });
    expect(result).toMatchObject({ status: 200, body: 'landed here\n' });
    expect(result.headersDroppedFor).toBeUndefined();
    const landing = origin.seen.slice(before).find((s) => s.url === '/landing')!;
    expect(headerValues(landing)).toEqual(Object.values(SECRET_HEADERS));
  }, 180_000);

  it('to another origin drops Authorization, Cookie, Proxy-Authorization and every job header', async () => {
    const before = { origin: origin.seen.length, other: other.seen.length };
    const result = await runHttp({
      method: 'GET',
      url: `${origin.base}/away`,
      headers: { ...SECRET_HEADERS, Accept: 'text/plain' },
      body: null,
    });
    expect(result).toMatchObject({ status: 200, body: 'landed elsewhere\n' });
    expect(result.headersDroppedFor).toBe(new URL(other.base).host);
    // The job's own origin got them (positive control), the other origin none of them.
    expect(headerValues(origin.seen[before.origin]!)).toEqual(Object.values(SECRET_HEADERS));
    const landing = other.seen.slice(before.other).find((s) => s.url === '/landing')!;
    expect(headerValues(landing)).toEqual([undefined, undefined, undefined, undefined]);
    expect(landing.headers.accept).toBe('text/plain');
  }, 180_000);

  it('back to the job origin after another one does not send them again', async () => {
    const before = origin.seen.length;
    const result = await runHttp({
      method: 'POST',
      url: `${origin.base}/away-and-back`,
      headers: SECRET_HEADERS,
      body: 'payload',
    });
    expect(result.status).toBe(200);
    const home = origin.seen.slice(before).find((s) => s.url === '/home-again')!;
    expect(home.method).toBe('POST'); // 307 keeps the method
    expect(headerValues(home)).toEqual([undefined, undefined, undefined, undefined]);
  }, 180_000);

  it('to another origin is said in the run log, and the run succeeds', async () => {
    await t.createJob({
      name: 'http-away',
      http: { url: `${origin.base}/away`, headers: { 'X-Api-Key': SECRET_HEADERS['X-Api-Key'] } },
    });
    const runId = await t.start('http-away');
    expect((await t.waitForRun(runId, ['FAILED', 'FINISHED'], 150_000)).status).toBe('FINISHED');
    const res = await t.graphql(
      `query($id: ID!) { logLines(runId: $id, first: 100) { nodes { level message } } }`,
      {
        id: runId,
      },
    );
    const lines = res.data!.logLines.nodes as { level: string; message: string }[];
    expect(lines).toContainEqual({
      level: 'WARN',
      message: expect.stringContaining(`another origin (${new URL(other.base).host})`),
    });
    expect(lines.map((l) => l.message)).toContain('landed elsewhere');
  }, 180_000);
});
