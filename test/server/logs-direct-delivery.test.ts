// Direct delivery of live log batches (lib/direct-delivery.ts): subscribers that have caught up get
// each batch written to their socket in the feed's own loop, not pulled through an iterator each.
// Hundreds of subscriptions over real sockets, several per socket, must still get every line once,
// in order, in the frames graphql-ws would send; and a client that stops reading must leave the
// direct path (its socket fills), get its lines from its queue once it reads again, every one once,
// and come back to the direct path.
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
import { rawLogSubscriber, type RawLogSubscriber } from '../support/log-tail.ts';
import { until } from '../support/wait.ts';

const SOCKETS = 20;
const PER_SOCKET = 10;

let testDb: TestDatabase;
let database: Database;
let served: ServedWithFeeds;
let baseUrl: string;
let token: string;
let logFeed: LogFeed;
const sockets: WebSocket[] = [];
const stalled: RawLogSubscriber[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = testDb.database;
  served = await serveWithFeeds(database, { pollMs: 100, settleMs: 300 });
  ({ baseUrl, logFeed } = served);
  token = (await createApiToken(database, 'viewer', 'direct delivery')).token;
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(stalled.splice(0).map((s) => s.close()));
  await until('the feed to let go of every subscriber', () => logFeed.stats().subscribers === 0);
  expect(logFeed.stats()).toMatchObject({ streams: 0, direct: 0, timers: 0 });
});

afterAll(async () => {
  await served?.close();
  await testDb?.close();
});

const SEQS_ONLY = `subscription SeqsOnly($runId: ID!, $after: String) {
  logs(runId: $runId, after: $after) { cursor lines { seq } }
}`;

type Frame = { id: string; type: string; payload: { data: { logs: { lines: { seq: number }[] } } } };

/** One raw graphql-transport-ws socket running `ids.length` subscriptions: every `next` frame per
 * id as received (text), and any other message. */
async function socketWith(ids: string[], variables: Record<string, unknown>) {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  sockets.push(ws);
  const frames = new Map<string, string[]>(ids.map((id) => [id, []]));
  const others: string[] = [];
  const acked = new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const { type, id } = JSON.parse(text) as { type: string; id?: string };
      if (type === 'connection_ack') resolve();
      else if (type === 'next' && id !== undefined && frames.has(id)) frames.get(id)!.push(text);
      else others.push(text);
    });
    ws.on('error', reject);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  for (const id of ids) {
    ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query: SEQS_ONLY, variables } }));
  }
  return { frames, others };
}

const seqsOfFrames = (frames: string[]) =>
  frames.flatMap((f) => (JSON.parse(f) as Frame).payload.data.logs.lines.map((l) => l.seq));

let written = 0;
async function append(runId: string, count: number, messageChars: number) {
  const filler = 'x'.repeat(messageChars);
  const lines = Array.from({ length: count }, (_, i) => ({
    at: new Date(),
    level: LOG_LEVEL_RANK.INFO,
    vertex: null,
    subtaskIndex: null,
    message: `line ${written + i + 1} ${filler}`,
  }));
  await appendLogLines(database, runId, { id: null, name: null }, lines);
  written += count;
}

describe('direct delivery of log batches', () => {
  it('gives hundreds of subscribers every line once, in order; a stalled one falls back, catches up and returns', async () => {
    written = 0;
    const { runId } = await seedRun(database, {
      name: 'direct',
      vertices: 1,
      parallelism: 1,
      checkpoints: 0,
    });
    const variables = { runId, after: 'HEAD' };
    const ids = Array.from({ length: PER_SOCKET }, (_, i) => `op-${i}`);
    const followers: Awaited<ReturnType<typeof socketWith>>[] = [];
    for (let s = 0; s < SOCKETS; s++) followers.push(await socketWith(ids, variables));
    // One client that asks for the messages too (large frames), and will stop reading.
    const slow = await rawLogSubscriber(baseUrl, token, variables);
    stalled.push(slow);
    const all = SOCKETS * PER_SOCKET + 1;
    await until('every subscriber on the direct path', () => logFeed.stats().direct === all);

    const everyFollowerHas = (count: number) =>
      followers.every(({ frames }) => [...frames.values()].every((f) => seqsOfFrames(f).length >= count));
    await append(runId, 20, 100);
    await until(
      'the first lines at every subscriber',
      () => everyFollowerHas(written) && slow.seqs.length === written,
    );

    slow.pause();
    const refusalsBefore = logFeed.stats().refusals;
    // Until its socket holds more than the bound unsent (the kernel's buffers fill first).
    for (let round = 0; round < 1_000 && logFeed.stats().refusals === refusalsBefore; round++) {
      await append(runId, 20, 4_000);
      await until('the followers to keep up', () => everyFollowerHas(written));
    }
    expect(logFeed.stats().refusals).toBeGreaterThan(refusalsBefore);
    // The stalled one left the direct path; the others stayed on it.
    expect(logFeed.stats().direct).toBe(all - 1);
    for (let round = 0; round < 5; round++) await append(runId, 20, 4_000);
    await until('the followers to have every line', () => everyFollowerHas(written));

    slow.resume();
    await until('the stalled client to have every line', () => slow.seqs.length >= written, {
      timeoutMs: 60_000,
    });
    // Caught up, it is back on the direct path, and what follows reaches everyone.
    await until('the stalled client back on the direct path', () => logFeed.stats().direct === all);
    await append(runId, 20, 100);
    await until(
      'the last lines at every subscriber',
      () => everyFollowerHas(written) && slow.seqs.length >= written,
    );

    const expected = Array.from({ length: written }, (_, i) => i + 1);
    expect(slow.seqs).toEqual(expected);
    expect(slow.errors).toEqual([]);
    for (const { frames, others } of followers) {
      expect(others).toEqual([]);
      for (const [id, texts] of frames) {
        expect(seqsOfFrames(texts)).toEqual(expected);
        // Byte for byte what graphql-ws itself would send, with this subscription's id.
        for (const text of texts) {
          const frame = JSON.parse(text) as Frame;
          expect(text).toBe(JSON.stringify({ id: frame.id, type: frame.type, payload: frame.payload }));
          expect(frame).toMatchObject({ id, type: 'next' });
        }
      }
    }
  });
});
