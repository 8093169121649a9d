// The baseline of the fan-out benchmark: the least a WebSocket server has to do to push log lines to
// subscribers, in a process of its own. A `ws` WebSocketServer on 127.0.0.1 speaks just enough of the
// graphql-transport-ws protocol for the same clients (connection_init → connection_ack, subscribe →
// remembered with its id, ping → pong, complete → forgotten); it does no auth, parsing or validation
// of the document and reads no database. The benchmark's writer, after each statement of log lines
// has committed in PostgreSQL, sends the same lines (seq, at, level, message) here over the IPC
// channel; the server builds the `next` frame jobgate would send for them (the same JSON, byte for
// byte, when the subscription ids match) once per subscription id, and sends it to every subscriber.
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

export interface BroadcastLines {
  type: 'lines';
  cursor: string;
  lines: { seq: number; at: string; level: string; message: string }[];
}

/** Subscription id by socket, for the sockets that subscribed. */
const subscribers = new Map<WebSocket, string>();

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql', perMessageDeflate: false });

wss.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    let msg: { type?: string; id?: string };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return ws.close(4400, 'invalid message');
    }
    if (msg.type === 'connection_init') ws.send('{"type":"connection_ack"}');
    else if (msg.type === 'subscribe' && typeof msg.id === 'string') subscribers.set(ws, msg.id);
    else if (msg.type === 'ping') ws.send('{"type":"pong"}');
    else if (msg.type === 'complete') subscribers.delete(ws);
  });
  ws.on('close', () => subscribers.delete(ws));
});

process.on('message', (message: BroadcastLines) => {
  if (message.type !== 'lines') return;
  const data = { logs: { cursor: message.cursor, lines: message.lines } };
  const frames = new Map<string, string>();
  for (const [ws, id] of subscribers) {
    let frame = frames.get(id);
    if (frame === undefined) {
      frame = JSON.stringify({ id, type: 'next', payload: { data } });
      frames.set(id, frame);
    }
    ws.send(frame);
  }
});

process.on('disconnect', () => process.exit(0));

wss.on('listening', () => process.send!({ type: 'listening', port: (wss.address() as AddressInfo).port }));
