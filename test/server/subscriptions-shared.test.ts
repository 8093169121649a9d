// Subscribers of one log stream share their results: the same selection of the same batch is
// executed once and sent as the same bytes to each (shared-subscription-results.ts,
// shared-frames.ts), a different selection gets its own, and a real graphql-ws client reads those
// frames as it reads any other. Raw sockets here, so the test sees the frames byte for byte.
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Database } from '../../src/db/client.ts';
import { createApiToken } from '../../src/db/tokens.ts';
import { LOG_LEVEL_RANK } from '../../src/lib/status.ts';
import type { LogFeed } from '../../src/runtime/index.ts';
import { appendLogLines } from '../../src/runtime/sql/append-log-lines.ts';
import { serveWithFeeds, type ServedWithFeeds } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { seedRun } from '../support/fixtures.ts';
import { collect, seqsOf, TAIL_LOGS, wsClient, type TailBatch } from '../support/log-tail.ts';
import { until } from '../support/wait.ts';

let testDb: TestDatabase;
let database: Database;
let served: ServedWithFeeds;
let baseUrl: string;
let token: string;
let logFeed: LogFeed;
const sockets: WebSocket[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = testDb.database;
  served = await serveWithFeeds(database, { pollMs: 100, settleMs: 300 });
  ({ baseUrl, logFeed } = served);
  token = (await createApiToken(database, 'viewer', 'shared frames')).token;
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await until('the feed to let go of every subscriber', () => logFeed.stats().subscribers === 0);
});

afterAll(async () => {
  await served?.close();
  await testDb?.close();
});

/** A graphql-transport-ws subscriber on a raw socket: every `next` frame as received, as text. */
interface RawSubscriber {
  frames: string[];
  others: string[];
}

async function rawSubscriber(
  id: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<RawSubscriber> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  sockets.push(ws);
  const subscriber: RawSubscriber = { frames: [], others: [] };
  const acked = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const type = (JSON.parse(text) as { type: string }).type;
      if (type === 'connection_ack') resolve();
      else if (type === 'next') subscriber.frames.push(text);
      else subscriber.others.push(text);
    });
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`closed ${code}`)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  return subscriber;
}

async function sharedResults(): Promise<{ executed: number; reused: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const value = (outcome: string) =>
    Number(
      new RegExp(`^jobgate_subscription_shared_results\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(
        text,
      )?.[1],
    );
  return { executed: value('executed'), reused: value('reused') };
}

async function append(runId: string, count: number) {
  const lines = Array.from({ length: count }, (_, i) => ({
    at: new Date(),
    level: LOG_LEVEL_RANK.INFO,
    vertex: null,
    subtaskIndex: null,
    message: `line ${i} with "quotes" and ünïcode`,
  }));
  await appendLogLines(database, runId, { id: null, name: null }, lines);
}

const SEQS_ONLY = `subscription SeqsOnly($runId: ID!, $after: String) {
  logs(runId: $runId, after: $after) { lines { seq } }
}`;

type Frame = { id: string; type: string; payload: { data: TailBatch } };
const parsed = (frames: string[]) => frames.map((f) => JSON.parse(f) as Frame);
const seqsOfFrames = (frames: string[]) => seqsOf(parsed(frames).map((f) => f.payload.data));

describe('shared subscription results', () => {
  it('sends the same selection of a batch as identical frames, and another selection its own', async () => {
    const { runId } = await seedRun(database, {
      name: 'shared',
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
    });
    const variables = { runId, after: 'HEAD' };
    // One after the other: the second finds the first's document in the document cache.
    const first = await rawSubscriber('tail', TAIL_LOGS, variables);
    await until('the first subscriber to join', () => logFeed.stats().joined === 1);
    const second = await rawSubscriber('tail', TAIL_LOGS, variables);
    const other = await rawSubscriber('tail', SEQS_ONLY, variables);
    const client = wsClient(baseUrl, token);
    clients.push(client);
    const real = collect<TailBatch>(client, TAIL_LOGS, variables);
    await until('every subscriber to join', () => logFeed.stats().joined === 4);
    const before = await sharedResults();

    for (let round = 0; round < 3; round++) {
      await append(runId, 5);
      const through = (round + 1) * 5;
      await until(
        'the lines at every subscriber',
        () =>
          [first.frames, second.frames, other.frames].every((f) => seqsOfFrames(f).length === through) &&
          seqsOf(real.results).length === through,
      );
    }

    const expected = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(seqsOfFrames(first.frames)).toEqual(expected);
    expect(seqsOfFrames(other.frames)).toEqual(expected);
    // Byte for byte the frames graphql-ws itself would send: JSON.stringify({ id, type, payload }).
    for (const frame of first.frames) {
      const { id, type, payload } = JSON.parse(frame) as Frame;
      expect(frame).toBe(JSON.stringify({ id, type, payload }));
      expect(id).toBe('tail');
      expect(type).toBe('next');
    }
    // Same selection, same batches: the same bytes (when the lines came in the same batches, as
    // they do once the subscribers follow the stream; compared batch by batch).
    expect(second.frames).toEqual(first.frames);
    // The real client reads the same data.
    expect(real.results).toEqual(parsed(first.frames).map((f) => f.payload.data));
    expect(real.errors).toEqual([]);
    // The other selection: only what it asked for.
    for (const { payload } of parsed(other.frames)) {
      expect(Object.keys(payload.data.logs)).toEqual(['lines']);
      for (const line of payload.data.logs.lines) expect(Object.keys(line)).toEqual(['seq']);
    }
    expect([first, second, other].flatMap((s) => s.others)).toEqual([]);

    // One execution per distinct (selection, batch): TAIL_LOGS's batches (shared by three
    // subscribers) and SEQS_ONLY's; every other result was reused.
    const after = await sharedResults();
    const distinct = first.frames.length + other.frames.length;
    const delivered = first.frames.length + second.frames.length + other.frames.length + real.results.length;
    expect(after.executed - before.executed).toBe(distinct);
    expect(after.reused - before.reused).toBe(delivered - distinct);
  });
});
