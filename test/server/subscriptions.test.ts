// GraphQL subscriptions over a real socket: graphql-ws clients (and raw `ws` sockets where the
// protocol itself is under test) and SSE against buildServedApp with auth on, over a runtime that
// really runs a pipeline. Each test ends by checking that the clients that left released everything
// they held on the event feed.
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eq, asc } from 'drizzle-orm';
import { events, runStatusHistory } from '../../src/db/schema/index.ts';
import { createEventFeed, type EventFeed } from '../../src/runtime/index.ts';
import type { App, AppOptions } from '../../src/server/app.ts';
import { SERVICE_RESTART } from '../../src/server/subscriptions.ts';
import { buildServedApp } from '../support/app.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

let t: TestRuntime;
let feed: EventFeed;
let app: App;
let base: string;
let viewer: string;
/** The SQL statements of the test database, while a test collects them. */
let statements: string[] | undefined;

/** A served app over the test runtime's database, auth on, reading the events through `events`. */
function servedApp(events: EventFeed, subscriptions?: AppOptions['subscriptions']) {
  return buildServedApp(t.database, {
    settings: {
      authEnabled: true,
      heartbeatTimeoutMs: 5_000,
      commandsEnabled: true,
      events,
      logFeed: t.runtime.logFeed,
      metricFeed: t.runtime.metricFeed,
    },
    subscriptions,
  });
}

beforeAll(async () => {
  t = await createTestRuntime({ slots: 4, onStatement: (q) => statements?.push(q) });
  feed = createEventFeed(t.database, { pollMs: 50 });
  app = servedApp(feed);
  base = await app.start();
  viewer = await t.token('viewer');
});
afterAll(async () => {
  await app?.stop();
  await feed?.close();
  await t?.close();
});

const wsUrl = (url: string) => `${url.replace('http', 'ws')}/graphql`;

function client(options: { token?: string; url?: string; impl?: typeof WebSocket } = {}): Client {
  return createClient({
    url: wsUrl(options.url ?? base),
    webSocketImpl: options.impl ?? WebSocket,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
    retryAttempts: 0,
  });
}

interface Received {
  data: any[];
  /** Settles when the server completes the operation (resolves) or fails it (rejects). */
  done: Promise<void>;
  stop(): void;
}

function subscribe(c: Client, query: string, variables: Record<string, unknown> = {}): Received {
  const data: any[] = [];
  let stop = () => {};
  const done = new Promise<void>((resolve, reject) => {
    stop = c.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) reject(Object.assign(new Error('errors'), { result }));
          else data.push(result.data);
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  done.catch(() => {}); // observed by the tests that expect it
  return { data, done, stop: () => stop() };
}

/** The close code a promise rejected with (a CloseEvent from graphql-ws). */
async function closeCodeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    return (err as { code: number }).code;
  }
  throw new Error('expected the socket to close');
}

/** Waits until nobody holds the feed: no subscriber, no waiter, no poll timer. */
async function feedReleased(events: EventFeed = feed) {
  await until('the event feed to be released', () => {
    const stats = events.stats();
    return stats.subscribers === 0 && stats.waiters === 0 && !stats.polling;
  });
  expect(events.stats()).toEqual({ subscribers: 0, waiters: 0, polling: false });
}

const RUN_EVENTS = `subscription($runId: ID!, $after: String) {
  runEvents(runId: $runId, after: $after) {
    cursor type at status message
    run { id status }
    checkpoint { id status kind }
  }
}`;

describe('WebSocket auth at connection_init', () => {
  it('closes 4403 without a valid token and serves a viewer token, in the payload or the upgrade header', async () => {
    for (const token of [undefined, 'jg_not-a-token']) {
      const c = client({ token });
      const refused = subscribe(c, 'subscription { clusterEvents { cursor } }');
      expect(await closeCodeOf(refused.done)).toBe(4403);
      await c.dispose();
    }

    const query = 'subscription { clusterEvents(after: "0") { cursor type nodeName } }';
    const byPayload = client({ token: viewer });
    const a = subscribe(byPayload, query);
    // The in-process node registered when the runtime started: its event is in the history.
    await until('the node:registered event', () =>
      a.data.find((d) => d.clusterEvents.type === 'NODE_REGISTERED'),
    );
    expect(a.data[0].clusterEvents.nodeName).toBe('test-node');

    const header = `Bearer ${viewer}`;
    class WithHeader extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization: header } });
      }
    }
    const byHeader = client({ impl: WithHeader as typeof WebSocket });
    const b = subscribe(byHeader, query);
    await until('the same event through the header', () => b.data.length > 0);
    expect(b.data[0]).toEqual(a.data[0]);
    // What /metrics says while they are open, and after they left.
    const scrape = async () => (await fetch(`${base}/metrics`)).text();
    await until('the two sockets and subscriptions in /metrics', async () => {
      const text = await scrape();
      return (
        text.includes('jobgate_websocket_sockets 2') &&
        text.includes('jobgate_event_feed_readers{kind="subscriber"} 2')
      );
    });

    await byPayload.dispose();
    await byHeader.dispose();
    await feedReleased();
    await until('no socket left', async () => (await scrape()).includes('jobgate_websocket_sockets 0'));
  });
});

describe('WebSocket timings', () => {
  it('closes 4408 without connection_init in time, pings, drops a socket that stops answering, and closes 1012 on stop', async () => {
    const fastFeed = createEventFeed(t.database, { pollMs: 50 });
    const fast = servedApp(fastFeed, { connectionInitWaitTimeoutMs: 1_000, keepAliveMs: 1_000 });
    const fastBase = await fast.start();
    try {
      const silent = new WebSocket(wsUrl(fastBase), 'graphql-transport-ws');
      const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
      expect(await silentClosed).toBe(4408);

      // Two raw sockets past connection_init: one answers pings (ws does by default), one does not.
      const open = async (autoPong: boolean) => {
        const socket = new WebSocket(wsUrl(fastBase), 'graphql-transport-ws', { autoPong });
        const state = { pings: 0, closed: false };
        socket.on('ping', () => state.pings++);
        socket.on('close', () => (state.closed = true));
        await new Promise<void>((resolve, reject) => {
          socket.on('open', () =>
            socket.send(JSON.stringify({ type: 'connection_init', payload: { token: viewer } })),
          );
          socket.on('message', (data) => {
            if (JSON.parse(String(data)).type === 'connection_ack') resolve();
          });
          socket.on('error', reject);
        });
        return { socket, state };
      };
      const healthy = await open(true);
      const mute = await open(false);
      await until('the socket that ignores pings to be dropped', () => mute.state.closed);
      expect(mute.state.pings).toBeGreaterThan(0);
      // Positive control: the answering socket lived through more than one pong deadline.
      await until('three pings on the answering socket', () => healthy.state.pings >= 3);
      expect(healthy.state.closed).toBe(false);
      healthy.socket.close();

      // Stopping closes open subscriptions with 1012 (reconnect elsewhere) and releases the feed.
      const c = client({ token: viewer, url: fastBase });
      const live = subscribe(c, 'subscription { clusterEvents { cursor } }');
      await until('the subscription to hold the feed', () => fastFeed.stats().subscribers === 1);
      await fast.stop();
      expect(await closeCodeOf(live.done)).toBe(SERVICE_RESTART);
      await c.dispose();
      await feedReleased(fastFeed);
    } finally {
      await fast.stop();
      await fastFeed.close();
    }
  });
});

describe('runEvents', () => {
  it('streams a real run in order, resumes after a disconnect with nothing lost or repeated, and completes', async () => {
    await t.createJob({
      name: 'watch-run',
      pipeline: {
        env: { 'job.mode': 'STREAMING', parallelism: 2, 'checkpoint.interval': 300 },
        source: [{ plugin_name: 'FakeSource', 'row.num': 1_000_000, 'rows.per.second': 2000 }],
        sink: [{ plugin_name: 'Blackhole' }],
      },
    });
    const runId = await t.start('watch-run');

    const first = client({ token: viewer });
    const before = subscribe(first, RUN_EVENTS, { runId });
    await until('a completed checkpoint', () =>
      before.data.some((d) => d.runEvents.type === 'CHECKPOINT_COMPLETED'),
    );
    // Leave mid-run; the run goes on without anyone watching.
    await first.dispose();
    await feedReleased();
    const lastCursor = before.data.at(-1).runEvents.cursor as string;
    await until('more events of the run while nobody watches', async () => {
      const rows = await t.database.db.select({ id: events.id }).from(events).where(eq(events.runId, runId));
      return rows.filter((r) => r.id > Number(lastCursor)).length >= 2;
    });

    const second = client({ token: viewer });
    const after = subscribe(second, RUN_EVENTS, { runId, after: lastCursor });
    await until('the missed events', () => after.data.length >= 2);
    expect((await t.graphql({ contract: 'CancelJob' }, { runId })).errors).toBeUndefined();
    await after.done; // the server completes the stream once the run has ended
    await second.dispose();
    await feedReleased();

    const received = [...before.data, ...after.data].map((d) => d.runEvents);
    const stored = await t.database.db
      .select({ id: events.id })
      .from(events)
      .where(eq(events.runId, runId))
      .orderBy(asc(events.id));
    expect(received.map((e) => Number(e.cursor))).toEqual(stored.map((e) => e.id));

    const history = await t.database.db
      .select({ from: runStatusHistory.fromStatus, to: runStatusHistory.toStatus })
      .from(runStatusHistory)
      .where(eq(runStatusHistory.runId, runId))
      .orderBy(asc(runStatusHistory.id));
    const statuses = received.filter((e) => e.type === 'RUN_STATUS').map((e) => e.status);
    // (The first row of the history, CREATED from nothing, is the RUN_CREATED event.)
    expect(statuses).toEqual(history.filter((h) => h.from !== null).map((h) => h.to));
    expect(statuses).toContain('RUNNING');
    expect(statuses.at(-1)).toBe('CANCELED');
    expect(received[0].type).toBe('RUN_CREATED');
    // A checkpoint is read as it is now: retention may have pruned the older ones (null), not the
    // newest.
    const checkpointEvents = received.filter((e) => e.type === 'CHECKPOINT_COMPLETED');
    expect(checkpointEvents.length).toBeGreaterThan(0);
    expect(checkpointEvents.at(-1).checkpoint).toMatchObject({ status: 'COMPLETED', kind: 'CHECKPOINT' });
    // `run` is the run as it is when the event is answered, with one read per event.
    expect(after.data.at(-1).runEvents.run).toEqual({ id: runId, status: 'CANCELED' });

    // A run that has ended: its history, then the end at once; with "HEAD", only the end.
    const third = client({ token: viewer });
    const replay = subscribe(third, RUN_EVENTS, { runId });
    await replay.done;
    expect(replay.data.map((d) => Number(d.runEvents.cursor))).toEqual(stored.map((e) => e.id));
    const head = subscribe(third, RUN_EVENTS, { runId, after: 'HEAD' });
    await head.done;
    expect(head.data).toEqual([]);
    const bad = subscribe(third, RUN_EVENTS, { runId, after: 'yesterday' });
    await expect(bad.done).rejects.toMatchObject({
      result: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    await third.dispose();
    await feedReleased();
  });
});

describe('what the runtime reports', () => {
  it('a failing run: its exception and restart, then FAILED and the end of the stream', async () => {
    await t.createJob({
      name: 'watch-failing',
      command: { command: 'exit 3' },
      restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 },
    });
    const runId = await t.start('watch-failing');
    const c = client({ token: viewer });
    const watched = subscribe(c, RUN_EVENTS, { runId });
    await watched.done;
    await c.dispose();
    await feedReleased();
    const received = watched.data.map((d) => d.runEvents);
    const types = received.map((e) => e.type);
    expect(types.filter((type) => type === 'RUN_EXCEPTION')).toHaveLength(2); // each attempt's
    expect(types).toContain('RUN_RESTARTED');
    expect(received.find((e) => e.type === 'RUN_EXCEPTION').message).toContain('3');
    expect(received.at(-1)).toMatchObject({ type: 'RUN_STATUS', status: 'FAILED' });
  });

  it('clusterEvents: a node drained and resumed, live', async () => {
    const nodeId = t.runtime.node!.id;
    const c = client({ token: viewer });
    const watched = subscribe(
      c,
      'subscription { clusterEvents(cluster: "default") { type nodeName node { status } } }',
    );
    await until('the subscription to hold the feed', () => feed.stats().subscribers === 1);
    const drain = `mutation($id: ID!) { drainNode(id: $id) { node { status } } }`;
    expect((await t.graphql(drain, { id: nodeId })).errors).toBeUndefined();
    const resume = `mutation($id: ID!) { resumeNode(id: $id) { node { status } } }`;
    expect((await t.graphql(resume, { id: nodeId })).errors).toBeUndefined();
    // Idempotent: resuming a READY node changes nothing and says nothing.
    expect((await t.graphql(resume, { id: nodeId })).errors).toBeUndefined();
    await until('both events', () => watched.data.length >= 2);
    expect(watched.data.map((d) => d.clusterEvents.type)).toEqual(['NODE_DRAINING', 'NODE_RESUMED']);
    expect(watched.data[0].clusterEvents.nodeName).toBe('test-node');
    await c.dispose();
    await feedReleased();
  });
});

describe('loaders', () => {
  it('answers each event to many subscribers with one read of the run, not one each', async () => {
    await t.createJob({ name: 'watch-many', command: { command: 'true' } });
    const c = client({ token: viewer });
    const query = 'subscription { jobEvents(job: "watch-many") { cursor run { id status } } }';
    const subscribers = Array.from({ length: 4 }, () => subscribe(c, query));
    await until('four subscriptions on the feed', () => feed.stats().subscribers === 4);
    statements = [];
    const runId = await t.start('watch-many');
    await t.waitForRun(runId, ['FINISHED']);
    const stored = await t.database.db.select({ id: events.id }).from(events).where(eq(events.runId, runId));
    await until('every event at every subscriber', () =>
      subscribers.every((s) => s.data.length === stored.length),
    );
    const runReads = statements.filter((q) => /from runs r where r\.id = any/.test(q)).length;
    statements = undefined;
    await c.dispose();
    await feedReleased();
    // One read per event however many subscribers answer it (measured: 4 reads for 4 events x 4
    // subscribers); a read per subscriber would be 4x.
    expect(runReads).toBeLessThan(2 * stored.length);
  });
});

describe('SSE', () => {
  const sse = (body: Record<string, unknown>, token?: string) =>
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });

  it('refuses an unauthenticated stream (401) and streams to a viewer, live, releasing the feed when it leaves', async () => {
    const query = encodeURIComponent('subscription { clusterEvents { cursor } }');
    const anonymous = await fetch(`${base}/graphql?query=${query}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();

    await t.createJob({ name: 'sse-job', command: { command: 'true' } });
    const res = await sse(
      { query: 'subscription { jobEvents(job: "sse-job") { cursor type run { id } } }' },
      viewer,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await until('the SSE stream to hold the feed', () => feed.stats().subscribers === 1);
    const runId = await t.start('sse-job');

    const reader = res.body!.getReader();
    let text = '';
    await until(
      'the run:created event over SSE',
      async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        return text.includes('RUN_CREATED');
      },
      { intervalMs: 1 },
    );
    const created = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)))
      .find((message) => message.data?.jobEvents.type === 'RUN_CREATED');
    expect(created.data.jobEvents.run.id).toBe(runId);
    await reader.cancel();
    await feedReleased();
    await t.waitForRun(runId, ['FINISHED']);

    // GET works too (the JSON-only rule is for POST bodies); an ended run's stream completes.
    const ended = new URLSearchParams({
      query: 'subscription($id: ID!) { runEvents(runId: $id) { type status } }',
      variables: JSON.stringify({ id: runId }),
    });
    const replay = await fetch(`${base}/graphql?${ended}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${viewer}` },
    });
    expect(replay.status).toBe(200);
    const body = await replay.text(); // ends: the server completed the stream
    expect(body).toContain('"status":"FINISHED"');
    expect(body).toContain('event: complete');
    await feedReleased();
  });
});
