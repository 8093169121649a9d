// What a token may hold over WebSocket: at most maxSocketsPerToken open sockets (one more is closed
// 4429 with the limit in its reason, other tokens are not affected, a freed place can be taken
// again), and a token revoked while its sockets are open gets them closed 4403 within the re-check
// interval, while other tokens' sockets stay open.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Database } from '../../src/db/client.ts';
import { createApiToken, revokeApiToken } from '../../src/db/tokens.ts';
import type { App } from '../../src/server/app.ts';
import { buildServedApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { until } from '../support/wait.ts';

let testDb: TestDatabase;
let database: Database;
let app: App;
let baseUrl: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = testDb.database;
  app = buildServedApp(database, {
    maxSocketsPerToken: 2,
    maxSubscriptionsPerSocket: 2,
    subscriptions: { tokenRecheckMs: 200 },
  });
  baseUrl = await app.start();
});

afterEach(async () => {
  const open = sockets.splice(0);
  for (const socket of open) socket.close();
  await until('every socket to close', () => open.every((s) => s.readyState === WebSocket.CLOSED));
});

afterAll(async () => {
  await app?.stop();
  await testDb?.close();
});

interface Opened {
  socket: WebSocket;
  /** Every message after connection_ack, parsed. */
  messages: { id?: string; type: string; payload?: unknown }[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves true on connection_ack, false when closed before. */
  acked: Promise<boolean>;
}

function open(token: string): Opened {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  sockets.push(socket);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const messages: Opened['messages'] = [];
  const acked = new Promise<boolean>((resolve) => {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Opened['messages'][number];
      if (message.type === 'connection_ack') resolve(true);
      else messages.push(message);
    });
    void closed.then(() => resolve(false));
  });
  socket.once('open', () =>
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
  );
  return { socket, messages, closed, acked };
}

describe('WebSocket sockets per token', () => {
  it('closes a socket over the token limit 4429, not another token, and frees a place on close', async () => {
    const a = (await createApiToken(database, 'viewer', 'limited a')).token;
    const b = (await createApiToken(database, 'viewer', 'limited b')).token;
    const first = open(a);
    const second = open(a);
    expect(await first.acked).toBe(true);
    expect(await second.acked).toBe(true);

    const third = open(a);
    expect(await third.acked).toBe(false);
    const refusal = await third.closed;
    expect(refusal.code).toBe(4429);
    expect(refusal.reason).toMatch(/too many open sockets for this token \(limit 2\)/);
    // Another token is counted on its own.
    expect(await open(b).acked).toBe(true);

    // A place freed by a close can be taken again.
    first.socket.close();
    await first.closed;
    await until('a place for the token', async () => {
      const again = open(a);
      if (await again.acked) return true;
      await again.closed;
      return false;
    });
  });

  it("closes a revoked token's open sockets 4403 within the re-check, and no other token's", async () => {
    const kept = await createApiToken(database, 'viewer', 'kept');
    const revoked = await createApiToken(database, 'viewer', 'to revoke');
    const keptSocket = open(kept.token);
    const revokedSocket = open(revoked.token);
    expect(await keptSocket.acked).toBe(true);
    expect(await revokedSocket.acked).toBe(true);

    await revokeApiToken(database, revoked.id, 'test');
    const closed = await revokedSocket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'the token was revoked' });
    // The re-check that closed the revoked token's socket read the kept token in the same statement.
    expect(keptSocket.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('answers a subscription over the per-socket limit with an error, and frees a place on complete', async () => {
    const { token } = await createApiToken(database, 'viewer', 'many subscriptions');
    const opened = open(token);
    expect(await opened.acked).toBe(true);
    const subscribe = (id: string) =>
      opened.socket.send(
        JSON.stringify({
          id,
          type: 'subscribe',
          payload: { query: 'subscription { clusterEvents { cursor } }' },
        }),
      );
    const errorsOf = (id: string) => opened.messages.filter((m) => m.id === id && m.type === 'error');
    subscribe('s1');
    subscribe('s2');
    subscribe('s3');
    const [refused] = await until('the third to be refused', () => errorsOf('s3').length && errorsOf('s3'));
    expect(refused!.payload).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/too many subscriptions on this socket \(limit 2\)/),
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
      }),
    ]);
    // Completing one frees its place: s4 is taken, s5 (the positive control, handled after s4) is not.
    opened.socket.send(JSON.stringify({ id: 's1', type: 'complete' }));
    subscribe('s4');
    subscribe('s5');
    await until('the fifth to be refused', () => errorsOf('s5').length > 0);
    expect(errorsOf('s4')).toEqual([]);
    expect(errorsOf('s1').concat(errorsOf('s2'))).toEqual([]);
  });
});
