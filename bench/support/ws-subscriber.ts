// A subscriber process for the subscription benchmarks: it holds `clients` WebSocket connections to
// one server, each speaking the graphql-transport-ws protocol by hand over `ws` (connection_init,
// then one `subscribe` of TailLogs with after "HEAD", pong to ping), and records, per client and per
// log line, when the line arrived. It uses raw `ws` rather than the graphql-ws client: the clients
// share two cores with the server they measure, so each should cost as little as a connection can
// (the library adds lazy connecting, retries and a promise chain per message that this does not
// need); both servers meet exactly the same clients.
//
// Each line's message starts with `t=<epoch ms with µs>`, the time the writer took just before it sent
// the statement; receive times are taken the same way (performance.timeOrigin + now()), on the same
// machine clock. Control runs over the IPC channel (see subscribers.ts for the other side).
import { WebSocket } from 'ws';
import { createHistogram } from './histogram.ts';
import type { ClientConfig, ParentMessage, ChildMessage, ClientResult } from './subscriber-protocol.ts';

const TAIL_LOGS = `subscription TailLogs($runId: ID!, $after: String) {
  logs(runId: $runId, after: $after) { cursor lines { seq at level message } }
}`;

const config = JSON.parse(process.argv[2] ?? '{}') as ClientConfig;
const now = () => performance.timeOrigin + performance.now();
const send = (message: ChildMessage) => process.send!(message);

interface Client {
  ws: WebSocket;
  /** The last seq received, 0 before the first line. */
  last: number;
  open: boolean;
}

const clients: Client[] = [];
/** Set once the parent asked for the results: closes from then on are ours. */
let closing = false;
const fromSend = createHistogram();
let measure: { first: number; last: number; recvAt: Float64Array } | undefined;
let frames = 0;
let bytes = 0;
/** Frames that carried a measured line, and their bytes. */
let measuredFrames = 0;
let measuredBytes = 0;
let linesReceived = 0;
let gaps = 0;
let duplicates = 0;
let errors = 0;
let firstError: string | undefined;
let unexpectedCloses = 0;
/** Clients acknowledged and not closed since. */
let openCount = 0;
let warmClients = 0;
let warmSent = false;
let completeClients = 0;
/** A `reach` asked for: the seq, and how many open clients have it. */
let reach: { seq: number; clients: number } | undefined;
let completeSent = false;

let reported = false;

function fail(message: string) {
  errors++;
  firstError ??= message;
  if (!reported && !closing) {
    reported = true;
    send({ type: 'failed', error: message });
  }
}

function onLine(client: Client, index: number, seq: number, message: string, at: number) {
  linesReceived++;
  if (client.last === 0) {
    warmClients++;
    if (!warmSent && warmClients >= openCount) {
      warmSent = true;
      send({ type: 'warm' });
    }
  } else if (seq <= client.last) duplicates++;
  else if (seq !== client.last + 1) gaps++;
  if (reach && client.last < reach.seq && seq >= reach.seq && ++reach.clients >= openCount) {
    reach = undefined;
    send({ type: 'reached' });
  }
  if (seq > client.last) client.last = seq;
  if (!measure || seq < measure.first || seq > measure.last) return;
  const slot = index * (measure.last - measure.first + 1) + (seq - measure.first);
  if (measure.recvAt[slot] === 0) {
    measure.recvAt[slot] = at;
    const sentAt = Number(message.slice(2, message.indexOf(' ')));
    fromSend.record(at - sentAt);
  }
  if (seq === measure.last) {
    completeClients++;
    if (!completeSent && completeClients >= openCount) {
      completeSent = true;
      send({ type: 'complete' });
    }
  }
}

function onFrame(client: Client, index: number, data: Buffer) {
  const at = now();
  frames++;
  bytes += data.length;
  let msg: { type: string; id?: string; payload?: unknown };
  try {
    msg = JSON.parse(data.toString()) as typeof msg;
  } catch {
    return fail(`not JSON: ${data.toString().slice(0, 200)}`);
  }
  if (msg.type === 'next') {
    const payload = msg.payload as {
      data?: { logs?: { lines: { seq: number; message: string }[] } };
      errors?: unknown;
    };
    if (payload.errors || !payload.data?.logs) return fail(JSON.stringify(payload).slice(0, 500));
    const lines = payload.data.logs.lines;
    if (measure && lines.some((l) => l.seq >= measure!.first && l.seq <= measure!.last)) {
      measuredFrames++;
      measuredBytes += data.length;
    }
    for (const line of lines) onLine(client, index, line.seq, line.message, at);
  } else if (msg.type === 'ping') {
    client.ws.send('{"type":"pong"}');
  } else if (msg.type === 'error' || msg.type === 'complete') {
    fail(`${msg.type}: ${JSON.stringify(msg.payload ?? '').slice(0, 500)}`);
  }
}

/** Opens one client and resolves once its subscribe is sent (or it failed). */
function connect(index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(config.url, 'graphql-transport-ws', { perMessageDeflate: false });
    const client: Client = { ws, last: 0, open: false };
    clients[index] = client;
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: config.connectionParams })),
    );
    ws.on('message', (data: Buffer) => {
      if (client.open) return onFrame(client, index, data);
      const msg = JSON.parse(data.toString()) as { type: string };
      if (msg.type === 'ping') return ws.send('{"type":"pong"}');
      if (msg.type !== 'connection_ack') return fail(`before ack: ${data.toString().slice(0, 300)}`);
      client.open = true;
      openCount++;
      ws.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: TAIL_LOGS, variables: { runId: config.runId, after: 'HEAD' } },
        }),
      );
      settle();
    });
    ws.on('error', (err) => {
      fail(`client ${index}: ${err.message}`);
      settle();
    });
    ws.on('close', (code, reason) => {
      if (client.open && !closing) {
        unexpectedCloses++;
        fail(`client ${index} closed: ${code} ${reason.toString()}`);
      }
      if (client.open) openCount--;
      client.open = false;
      settle();
    });
  });
}

async function connectAll() {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < config.clients) await connect(next++);
  };
  await Promise.all(Array.from({ length: Math.min(config.connectConcurrency, config.clients) }, worker));
  send({ type: 'subscribed', open: openCount, errors, firstError, ms: performance.now() - started });
}

function result(commitAt: number[]): ClientResult {
  const fromCommit = createHistogram();
  let measured = 0;
  let missing = 0;
  if (measure) {
    const span = measure.last - measure.first + 1;
    for (let c = 0; c < clients.length; c++) {
      for (let k = 0; k < span; k++) {
        const at = measure.recvAt[c * span + k]!;
        if (at === 0) {
          missing++;
          continue;
        }
        measured++;
        // NaN (an unknown commit time) arrives as null over IPC.
        const committed = commitAt[k];
        if (typeof committed === 'number') fromCommit.record(at - committed);
      }
    }
  }
  return {
    clients: clients.length,
    open: clients.filter((c) => c.open).length,
    measured,
    missing,
    frames,
    bytes,
    measuredFrames,
    measuredBytes,
    linesReceived,
    gaps,
    duplicates,
    errors,
    firstError,
    unexpectedCloses,
    fromSend: fromSend.toJSON(),
    fromCommit: fromCommit.toJSON(),
  };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'connect') {
    void connectAll();
  } else if (message.type === 'reach') {
    const have = clients.filter((c) => c.open && c.last >= message.seq).length;
    if (have >= openCount) send({ type: 'reached' });
    else reach = { seq: message.seq, clients: have };
  } else if (message.type === 'measure') {
    const span = message.last - message.first + 1;
    measure = { first: message.first, last: message.last, recvAt: new Float64Array(clients.length * span) };
    send({ type: 'measuring' });
  } else if (message.type === 'finish') {
    closing = true;
    send({ type: 'result', result: result(message.commitAt) });
    for (const c of clients) c.ws.terminate();
    process.disconnect();
  }
});

if (config.hold) send({ type: 'loaded' });
else await connectAll();
