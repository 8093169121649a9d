// The WebSocket limits an operator sets on `jobgate serve` (--max-sockets-per-token,
// --max-subscriptions-per-socket) reach the gateway: a real server process with both set to 1, a
// real token, real sockets.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { killLeftovers, startJobgate } from '../support/processes.ts';

afterAll(() => killLeftovers());

/** A graphql-ws socket after its connection_init; resolves once acknowledged, or with its close. */
function connect(url: string, token: string): Promise<{ socket: WebSocket; closed?: number }> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') resolve({ socket });
    });
    socket.once('close', (code) => resolve({ socket, closed: code }));
    socket.once('error', reject);
  });
}

/** The first message of a subscription (`next`, `error`, `complete`), or the socket's close code. */
function subscribe(socket: WebSocket, id: string): Promise<{ type: string; payload?: unknown }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id?: string; type: string; payload: unknown };
      if (message.id !== id) return;
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => resolve({ type: `closed ${code}` }));
    socket.send(
      JSON.stringify({
        id,
        type: 'subscribe',
        payload: { query: 'subscription { clusterEvents { cursor } }' },
      }),
    );
  });
}

it('serve takes the WebSocket limits from its flags', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jobgate-ws-limits-'));
  const run = promisify(execFile);
  try {
    const created = await run(
      process.execPath,
      ['bin/jobgate.mjs', 'token', 'create', '--role', 'viewer', '--data-dir', dir],
      { timeout: 120_000 },
    );
    const token = created.stdout.trim();
    const server = startJobgate([
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--no-node',
      '--max-sockets-per-token',
      '1',
      '--max-subscriptions-per-socket',
      '1',
    ]);
    const [, base] = await server.waitFor(/GraphiQL at (http:\/\/[^\s]+)\/graphql/);
    const url = `${base!.replace('http', 'ws')}/graphql`;

    const first = await connect(url, token);
    expect(first.closed).toBeUndefined();
    // The first subscription is live only: it says nothing until a cluster event comes.
    const a = subscribe(first.socket, 'a');
    const second = await subscribe(first.socket, 'b');
    expect(second.type).toBe('error');
    expect(JSON.stringify(second.payload)).toContain('too many subscriptions on this socket (limit 1)');

    const over = await connect(url, token);
    expect(over.closed).toBe(4429);

    // The first one was taken: it lasts until the server stops (1012: reconnect elsewhere).
    const stopped = server.stop('SIGTERM');
    expect((await a).type).toBe('closed 1012');
    expect(await stopped).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
