// The attack suite's HTTP front: what a web page in the user's browser, an anonymous flooder and a
// viewer with a heavy query can do to a real `jobgate serve` (auth on, and auth off as `npm start`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killLeftovers } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { startSecureServer, type SecureServer } from './serve.ts';

let secure: SecureServer; // auth on, one origin configured, a small mutation rate limit
let open: SecureServer; // auth off on 127.0.0.1, as `npm start`
beforeAll(async () => {
  [secure, open] = await Promise.all([
    startSecureServer({ args: ['--cors-origin', 'https://ok.example', '--mutation-rate-limit', '5'] }),
    startSecureServer({ args: ['--auth', 'off'] }),
  ]);
});
afterAll(async () => {
  expect(await secure?.stop()).toBe(0);
  expect(await open?.stop()).toBe(0);
  expect(await killLeftovers()).toBe(0);
});

const CREATE = (name: string) =>
  `mutation { createJob(input: { name: "${name}", command: { command: "true" } }) { job { id } } }`;

async function jobCount(server: SecureServer): Promise<number> {
  const res = await server.graphql('{ jobs { totalCount } }', {}, 'admin');
  expect(res.errors).toBeUndefined();
  return res.data.jobs.totalCount;
}

async function post(server: SecureServer, headers: Record<string, string>, body: BodyInit | undefined) {
  const res = await fetch(`${server.base}/graphql`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

describe('a web page cannot post operations', () => {
  it('refuses form, multipart, text and untyped bodies with 415, and nothing is created', async () => {
    const before = await jobCount(open);
    const query = CREATE('from-a-form');
    const form = await post(
      open,
      { 'content-type': 'application/x-www-form-urlencoded' },
      new URLSearchParams({ query }).toString(),
    );
    expect(form.status).toBe(415);
    expect(form.text).toContain('JSON body');
    const multipartBody = new FormData();
    multipartBody.set('operations', JSON.stringify({ query }));
    multipartBody.set('map', '{}');
    const multipart = await post(open, {}, multipartBody); // fetch sets multipart/form-data; boundary=
    expect(multipart.status).toBe(415);
    const text = await post(open, { 'content-type': 'text/plain' }, JSON.stringify({ query }));
    expect(text.status).toBe(415);
    const untyped = await post(open, {}, new Blob([JSON.stringify({ query })]));
    expect(untyped.status).toBe(415);
    const graphqlString = await post(open, { 'content-type': 'application/graphql' }, query);
    expect(graphqlString.status).toBe(415);
    // The same form post as a browser sends it, Origin and all.
    const fromPage = await post(
      open,
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      new URLSearchParams({ query }).toString(),
    );
    expect([403, 415]).toContain(fromPage.status);
    expect(await jobCount(open)).toBe(before);

    // Positive control: the same mutation as JSON creates the job.
    const json = await open.graphql(CREATE('from-json'));
    expect(json.errors).toBeUndefined();
    expect(await jobCount(open)).toBe(before + 1);
  });

  it('never runs a mutation over GET', async () => {
    const before = await jobCount(open);
    const url = `${open.base}/graphql?query=${encodeURIComponent(CREATE('from-get'))}`;
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(405);
    expect(await jobCount(open)).toBe(before);
    // Positive control: a query over GET works.
    const query = await fetch(`${open.base}/graphql?query=${encodeURIComponent('{ overview { nodes } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(((await query.json()) as any).data.overview.nodes).toBe(1);
  });
});

describe('CORS, Origin and Host', () => {
  const preflight = (server: SecureServer, origin: string) =>
    fetch(`${server.base}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('answers no foreign origin, and a configured one exactly', async () => {
    for (const server of [open, secure]) {
      const evil = await preflight(server, 'https://evil.example');
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const ok = await preflight(secure, 'https://ok.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    // Not configured on the auth-off server.
    expect(
      (await preflight(open, 'https://ok.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    // A near miss is not the configured origin.
    const near = await preflight(secure, 'https://ok.example.evil.example');
    expect(near.headers.get('access-control-allow-origin')).toBeNull();

    const body = JSON.stringify({ query: '{ overview { nodes } }' });
    const allowed = await post(
      secure,
      {
        'content-type': 'application/json',
        origin: 'https://ok.example',
        authorization: `Bearer ${secure.tokens.viewer}`,
      },
      body,
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ok.example');
    const refused = await post(
      open,
      { 'content-type': 'application/json', origin: 'https://evil.example' },
      body,
    );
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).errors[0].extensions.code).toBe('FORBIDDEN_ORIGIN');
    // The server's own pages (GraphiQL) may call it.
    const own = await post(open, { 'content-type': 'application/json', origin: open.base }, body);
    expect(own.status).toBe(200);
  });

  it('refuses an EventSource (SSE) subscription from a foreign origin', async () => {
    const query = encodeURIComponent(
      'subscription { runEvents(runId: "0123456789abcdef0123456789abcdef") { type } }',
    );
    const res = await fetch(`${open.base}/graphql?query=${query}`, {
      headers: { accept: 'text/event-stream', origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    await res.body?.cancel();
  });

  it('answers only to its loopback names (no DNS rebinding)', async () => {
    const { port } = new URL(open.base);
    const withHost = async (host: string, path = '/graphql') => {
      // fetch does not let a caller set Host; node:http does.
      const { request } = await import('node:http');
      return new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            headers: { host, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ query: '{ overview { nodes } }' }));
      });
    };
    expect(await withHost(`evil.example:${port}`)).toBe(421);
    expect(await withHost('evil.example')).toBe(421);
    expect(await withHost(`evil.example:${port}`, '/metrics')).toBe(421);
    expect(await withHost(`127.0.0.1:${Number(port) + 1}`)).toBe(421);
    expect(await withHost(`localhost:${port}`)).toBe(200);
    expect(await withHost(`127.0.0.1:${port}`)).toBe(200);
    expect(await withHost(`[::1]:${port}`)).toBe(200);
  });
});

/** Opens a graphql-transport-ws socket; resolves with the first messages, the refusal of the
 * upgrade, or the code the server closed the socket with. */
function wsExchange(
  base: string,
  options: { origin?: string; token?: string; query?: string },
): Promise<{ refused?: number; closed?: number; messages: any[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
      ...(options.origin ? { origin: options.origin } : {}),
    });
    const messages: any[] = [];
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer over WebSocket; got ${JSON.stringify(messages)}`));
    }, 30_000);
    const done = (result: { refused?: number; closed?: number; messages: any[] }) => {
      clearTimeout(timer);
      socket.terminate();
      resolve({ ...result, messages: [...result.messages] }); // later messages may still arrive
    };
    socket.on('unexpected-response', (_req, res) => done({ refused: res.statusCode, messages }));
    socket.on('close', (code) => done({ closed: code, messages }));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: options.token ? { token: options.token } : {} }),
      ),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString());
      messages.push(message);
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: options.query ?? '{ overview { nodes } }' },
          }),
        );
      } else if (message.type === 'next' || message.type === 'error' || message.type === 'complete') {
        done({ messages });
      }
    });
  });
}

describe('WebSocket', () => {
  it('refuses a foreign Origin and serves the own origin or no origin', async () => {
    expect((await wsExchange(open.base, { origin: 'https://evil.example' })).refused).toBe(403);
    const own = await wsExchange(open.base, { origin: open.base });
    expect(own.messages.at(-1)).toMatchObject({
      type: 'next',
      payload: { data: { overview: { nodes: 1 } } },
    });
    const cli = await wsExchange(open.base, {});
    expect(cli.messages.at(-1)).toMatchObject({
      type: 'next',
      payload: { data: { overview: { nodes: 1 } } },
    });
    expect(
      (
        await wsExchange(secure.base, { origin: 'https://ok.example', token: secure.tokens.viewer })
      ).messages.at(-1),
    ).toMatchObject({ type: 'next' });
  });

  it('authenticates before parsing and applies the same limits', async () => {
    const anonymous = await wsExchange(secure.base, { query: '{ overview { nodes } ' });
    // Unauthenticated: closed 4403 at connection_init, before any document is sent, so no syntax
    // error and no acknowledgement.
    expect(anonymous.closed).toBe(4403);
    expect(anonymous.messages).toEqual([]);
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: overview { nodes }`).join(' ');
    const heavy = await wsExchange(secure.base, { token: secure.tokens.viewer, query: `{ ${aliases} }` });
    expect(heavy.messages.at(-1)).toMatchObject({
      type: 'error',
      payload: [{ extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxAliases' } }],
    });
  });
});

describe('limits before work', () => {
  it('answers an anonymous request 401 before reading its document', async () => {
    const res = await post(
      secure,
      { 'content-type': 'application/json' },
      JSON.stringify({ query: '{ nope' }),
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    // The GraphiQL page is still served.
    const page = await fetch(`${secure.base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    await page.text();
  });

  it('refuses 10,000 aliases of overview, deep and wide documents, and keeps heartbeating', async () => {
    const heartbeat = async () => {
      const res = await secure.graphql('{ clusters { nodes { status lastHeartbeatAt } } }', {}, 'viewer');
      return res.data.clusters[0].nodes[0] as { status: string; lastHeartbeatAt: string };
    };
    const before = await heartbeat();
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: overview { nodes runsRunning }`).join(' ')} }`;
    const attack = aliases(10_000);
    const attacks = Array.from({ length: 20 }, () => secure.graphql(attack, {}, 'viewer'));
    const health = await secure.health();
    for (const res of await Promise.all(attacks)) {
      expect(res.errors?.[0]?.extensions?.code).toBe('DOCUMENT_TOO_LARGE');
      expect(res.data).toBeUndefined();
    }
    expect(health.ok).toBe(true);

    const tooManyAliases = await secure.graphql(aliases(100), {}, 'viewer');
    expect(tooManyAliases.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxAliases',
    });
    expect((await secure.graphql(aliases(30), {}, 'viewer')).errors).toBeUndefined(); // the limit itself passes

    let deep = 'id';
    for (let i = 0; i < 8; i++) deep = `runs(first: 1) { nodes { job { ${deep} } } }`;
    const deepRes = await secure.graphql(`{ jobs(first: 1) { nodes { ${deep} } } }`, {}, 'viewer');
    expect(deepRes.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxDepth' });

    const wide = `{ overview { ${'nodes '.repeat(3_000)} } }`;
    expect((await secure.graphql(wide, {}, 'viewer')).errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxTokens',
    });
    const costly = '{ jobs(first: 1000) { nodes { runs(first: 1000) { nodes { id status } } } } }';
    expect((await secure.graphql(costly, {}, 'viewer')).errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxCost',
    });

    // The in-process node kept heartbeating through it all.
    const after = await until(
      'a heartbeat after the attacks',
      async () => {
        const now = await heartbeat();
        return now.lastHeartbeatAt !== before.lastHeartbeatAt && now;
      },
      { intervalMs: 500 },
    );
    expect(after.status).toBe('READY');
    expect(Date.parse(after.lastHeartbeatAt)).toBeGreaterThan(Date.parse(before.lastHeartbeatAt));
  });

  it('keeps anonymous 400 KB documents out of the heap and the document cache', async () => {
    const metric = async (name: string) => {
      const text = await (await fetch(`${secure.base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line!.split(' ')[1]);
    };
    const cacheBefore = await metric('jobgate_graphql_document_cache_entries');
    const heapBefore = await metric('jobgate_nodejs_heap_size_used_bytes');
    const filler = 'a'.repeat(400_000);
    for (let batch = 0; batch < 25; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          post(
            secure,
            { 'content-type': 'application/json' },
            JSON.stringify({ query: `{ overview { nodes } } # ${batch}-${i} ${filler}` }),
          ),
        ),
      );
      for (const a of answers) expect(a.status).toBe(401);
    }
    const heapAfter = await metric('jobgate_nodejs_heap_size_used_bytes');
    // 200 × 400 KB = 80 MB were sent; kept in the parse cache they were ~14 MB of heap each.
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await metric('jobgate_graphql_document_cache_entries')).toBe(cacheBefore);

    // Documents a viewer sends that the limits refuse are not kept either...
    for (let i = 0; i < 5; i++) {
      const res = await secure.graphql(
        `{ ${Array.from({ length: 40 }, (_, j) => `a${i}_${j}: overview { nodes }`).join(' ')} }`,
        {},
        'viewer',
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    }
    expect(await metric('jobgate_graphql_document_cache_entries')).toBe(cacheBefore);
    // ...while (positive control) valid ones are.
    for (let i = 0; i < 5; i++) {
      expect(
        (await secure.graphql(`{ overview { nodes } } # distinct ${i}`, {}, 'viewer')).errors,
      ).toBeUndefined();
    }
    expect(await metric('jobgate_graphql_document_cache_entries')).toBe(cacheBefore + 5);
  });

  it('rate-limits mutations per token with RATE_LIMITED and a retry hint', async () => {
    const start = 'mutation { startJob(input: { job: "no-such-job" }) { run { id } } }';
    const codes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await secure.graphql(start, {}, 'operator');
      codes.push(String(res.errors?.[0]?.extensions?.code));
    }
    expect(codes.slice(0, 5).every((c) => c === 'NOT_FOUND')).toBe(true);
    expect(codes.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    const limited = await secure.graphql(start, {}, 'operator');
    expect(limited.status).toBe(429);
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    // Another token has its own bucket; queries are not limited.
    expect((await secure.graphql(start, {}, 'admin')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await secure.graphql('{ overview { nodes } }', {}, 'operator')).errors).toBeUndefined();
  });
});

describe('what errors tell', () => {
  it('hides "Did you mean" from viewers but not from admins', async () => {
    const viewer = await secure.graphql('{ overveiw { nodes } }', {}, 'viewer');
    expect(viewer.errors?.[0]?.message).toContain('Cannot query field "overveiw"');
    expect(viewer.errors?.[0]?.message).not.toContain('Did you mean');
    const admin = await secure.graphql('{ overveiw { nodes } }', {}, 'admin');
    expect(admin.errors?.[0]?.message).toContain('Did you mean "overview"?');
    const enumTypo =
      '{ logLines(runId: "0123456789abcdef0123456789abcdef", level: WARNN) { nodes { seq } } }';
    const viewerEnum = await secure.graphql(enumTypo, {}, 'viewer');
    expect(viewerEnum.errors?.[0]?.message).not.toContain('Did you mean');
    expect((await secure.graphql(enumTypo, {}, 'admin')).errors?.[0]?.message).toContain('Did you mean');
  });

  it('shows RunException.stack to admins only', async () => {
    const input = {
      name: 'fails-with-a-stack',
      pipeline: {
        env: { 'job.mode': 'BATCH' },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1, plugin_output: 'f' }],
        sink: [
          {
            plugin_name: 'Assert',
            plugin_input: 'f',
            rules: { row_rules: [{ rule_type: 'MIN_ROW', rule_value: 2 }] },
          },
        ],
      },
    };
    const created = await secure.graphql(
      'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }',
      { input },
      'admin',
    );
    expect(created.errors).toBeUndefined();
    const started = await secure.graphql(
      'mutation { startJob(input: { job: "fails-with-a-stack" }) { run { id } } }',
      {},
      'admin',
    );
    const runId = started.data.startJob.run.id;
    const query = 'query ($id: ID!) { run(id: $id) { status exceptions { message stack } } }';
    const run = await until(
      'the run to fail with its exception',
      async () => {
        const now = (await secure.graphql(query, { id: runId }, 'admin')).data.run;
        return now.status === 'FAILED' && now.exceptions.length > 0 && now;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(run.exceptions.some((e: any) => typeof e.stack === 'string' && e.stack.length > 0)).toBe(true);
    const asViewer = (await secure.graphql(query, { id: runId }, 'viewer')).data.run;
    expect(asViewer.exceptions.length).toBe(run.exceptions.length);
    expect(asViewer.exceptions.every((e: any) => e.stack === null)).toBe(true);
  });

  it('answers malformed bodies 400, never INTERNAL_SERVER_ERROR, and never many times the request', async () => {
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${secure.tokens.viewer}` };
    const bodies = [
      '{"query": "{ overview { nodes } }"',
      '{"query": "\\ud800{ overview { nodes } }"}',
      '{"query": "{ overview { nodes } } \\u0000"}',
      '{"query": "{ job(name: \\"\\ud800\\") { id } }"}',
      '{"query": 12}',
      '[]',
      'null',
      `{"query": "{ overview { ${'x'.repeat(60_000)} } }"}`,
      `{"query": "query ($n: String!) { job(name: $n) { id } }", "variables": {"n": ${'['.repeat(5_000)}${']'.repeat(5_000)}}}`,
      `{"query": "query ($n: Int!) { jobs(first: $n) { totalCount } }", "variables": {"n": "${'\\u0000'.repeat(100_000)}"}}`,
    ];
    for (const body of bodies) {
      const res = await post(secure, auth, body);
      expect(res.status, body.slice(0, 80)).toBeLessThan(500);
      expect(res.text, body.slice(0, 80)).not.toContain('INTERNAL_SERVER_ERROR');
      expect(res.text.length, body.slice(0, 80)).toBeLessThan(Math.max(2_000, body.length));
    }
  });
});
