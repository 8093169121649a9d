// A token's verification at connection_init is shared by the sockets it opens for a short while
// (server/token-verifications.ts): a reconnect storm of one token's sockets costs one token lookup,
// not one per socket. Revocation still takes effect: the token's open sockets, including one that
// was admitted on a kept verification after the revocation, are closed 4403 by the re-check, and
// new sockets are refused once the kept verification is older than its time to live.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
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
let statements: string[] = [];
/** The lookup of a token by its secret (the re-check of open sockets reads by id instead). */
const isTokenLookup = (q: string) => /from "api_tokens"/.test(q) && /"token_hash" =/.test(q);

beforeAll(async () => {
  testDb = await createTestDatabase({ onStatement: (q) => statements.push(q) });
  database = testDb.database;
  app = buildServedApp(database, {
    maxSocketsPerToken: 100,
    subscriptions: { tokenRecheckMs: 200, tokenVerificationTtlMs: 1_000 },
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
  const acked = new Promise<boolean>((resolve) => {
    socket.on('message', (data: Buffer) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack') resolve(true);
    });
    void closed.then(() => resolve(false));
  });
  socket.once('open', () =>
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
  );
  return { closed, acked };
}

it('opens 30 sockets of one token at once with fewer token lookups than sockets; a wrong token is still refused', async () => {
  const { token } = await createApiToken(database, 'viewer', 'storm');
  statements = [];
  const opened = Array.from({ length: 30 }, () => open(token));
  expect(await Promise.all(opened.map((o) => o.acked))).toEqual(Array(30).fill(true));
  const lookups = statements.filter(isTokenLookup).length;
  // A lookup per socket would be 30; one in flight is shared, then kept for a second.
  expect(lookups).toBeGreaterThanOrEqual(1);
  expect(lookups).toBeLessThan(30);
  // A token that is not valid is not served from what was kept for another.
  const wrong = open(`${token.slice(0, -4)}AAAA`);
  expect(await wrong.acked).toBe(false);
  expect((await wrong.closed).code).toBe(4403);
});

it('closes every socket of a revoked token, also one admitted after the revocation, and then refuses new ones', async () => {
  const kept = await createApiToken(database, 'viewer', 'kept');
  const revoked = await createApiToken(database, 'viewer', 'revoked');
  const keptSocket = open(kept.token);
  const first = open(revoked.token);
  expect(await keptSocket.acked).toBe(true);
  expect(await first.acked).toBe(true);
  await revokeApiToken(database, revoked.id, 'test');
  // Within the kept verification's second it may still be admitted, but not for long.
  const soonAfter = open(revoked.token);
  expect(await first.closed).toEqual({ code: 4403, reason: 'the token was revoked' });
  expect((await soonAfter.closed).code).toBe(4403);
  await until('a new socket of the revoked token to be refused at connection_init', async () => {
    const again = open(revoked.token);
    if (await again.acked) return false;
    expect((await again.closed).code).toBe(4403);
    return true;
  });
  // The other token kept its socket, and still opens new ones (positive control).
  expect(await open(kept.token).acked).toBe(true);
  expect((await Promise.race([keptSocket.closed, Promise.resolve('open')])) === 'open').toBe(true);
});
