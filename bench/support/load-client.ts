// The load generator, run as its own process (see load.ts) so its CPU does not share the event loop
// of the server it measures. Closed loop: `concurrency` workers, each sends the next request as soon
// as the previous response has been read in full, over keep-alive connections (one per worker).
// Requests that start during the warm-up are not recorded. Prints one JSON line (LoadSample).
import { Agent, request } from 'node:http';

export interface LoadConfig {
  url: string;
  /** POST (default) sends `body` as JSON; GET sends no body (a REST dialect's read). */
  method?: 'GET' | 'POST';
  /** The request body; with several, worker i sends bodies[i % length] (e.g. one run per worker). */
  body: string | string[];
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Every response must be a 200 of exactly this many bytes; anything else counts as an error. */
  expectBytes: number | number[];
}

export interface LoadSample {
  completed: number;
  /** Responses to requests sent during the warm-up (not in the latencies). */
  warmupCompleted: number;
  errors: number;
  firstError?: string;
  /** Wall time of the measured window (from its start to the last recorded response). */
  windowMs: number;
  latenciesMs: number[];
}

function send(
  agent: Agent,
  url: URL,
  method: 'GET' | 'POST',
  body: Buffer,
): Promise<{ status: number; bytes: number }> {
  const headers: Record<string, string | number> =
    method === 'POST'
      ? { 'content-type': 'application/json', 'content-length': body.length, accept: 'application/json' }
      : { accept: 'application/json' };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

async function run(config: LoadConfig): Promise<LoadSample> {
  const url = new URL(config.url);
  const bodies = (Array.isArray(config.body) ? config.body : [config.body]).map((b) => Buffer.from(b));
  const expected = Array.isArray(config.expectBytes) ? config.expectBytes : [config.expectBytes];
  const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency });
  const start = performance.now();
  const measureFrom = start + config.warmupMs;
  const end = measureFrom + config.measureMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  let warmupCompleted = 0;
  let firstError: string | undefined;
  let lastDone = measureFrom;
  const worker = async (i: number) => {
    const body = bodies[i % bodies.length]!;
    const expectBytes = expected[i % expected.length]!;
    while (performance.now() < end) {
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        const { status, bytes } = await send(agent, url, config.method ?? 'POST', body);
        if (status !== 200) failure = `HTTP ${status}`;
        else if (bytes !== expectBytes) failure = `${bytes} bytes, expected ${expectBytes}`;
      } catch (err) {
        failure = (err as Error).message;
      }
      const t1 = performance.now();
      if (t0 < measureFrom) {
        warmupCompleted++;
        continue;
      }
      lastDone = Math.max(lastDone, t1);
      if (failure) {
        errors++;
        firstError ??= failure;
      } else latenciesMs.push(Math.round((t1 - t0) * 1000) / 1000);
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, (_, i) => worker(i)));
  agent.destroy();
  return {
    completed: latenciesMs.length,
    warmupCompleted,
    errors,
    firstError,
    windowMs: lastDone - measureFrom,
    latenciesMs,
  };
}

const arg = process.argv[2];
if (!arg) {
  console.error('usage: load-client.ts <json LoadConfig>');
  process.exit(2);
}
const sample = await run(JSON.parse(arg) as LoadConfig);
process.stdout.write(`${JSON.stringify(sample)}\n`);
