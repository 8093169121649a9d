// Nomad's blocking queries (ENDPOINTS.md §0): a read with `?index=N` waits until the answer's index
// is past N, or `?wait=` (Go duration; default 5m, at most 10m, plus up to wait/16 of jitter) has
// passed, then answers as usual with X-Nomad-Index. jobgate has no raft log to wait on, so the
// route's answer is read again every POLL_MS (a GraphQL read as the same viewer); an answer that
// changed without its index growing (a purged job leaves a list) also ends the wait, with an index
// past N so the client's next wait starts from there. `?stale` is accepted and changes nothing.
import type { RouteCall } from '../core/index.ts';
import { NomadError, nomadJson, stringify } from './respond.ts';

const POLL_MS = 1_000;
const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Milliseconds of a Go duration (time.ParseDuration), or undefined when it does not parse. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return match[1] === '-' ? -total : total;
}

export interface BlockingParams {
  minIndex: number;
  waitMs: number;
}

/** ?index, ?wait and ?stale as parseWait / parseConsistency read them (400 when they do not parse). */
export function blockingParams(url: URL): BlockingParams {
  const stale = url.searchParams.get('stale');
  if (stale !== null && stale !== '' && stale !== 'true' && stale !== 'false') {
    throw new NomadError(400, 'Expect `true` or `false` for `stale` query string parameter');
  }
  let waitMs = DEFAULT_WAIT_MS;
  const wait = url.searchParams.get('wait');
  if (wait !== null && wait !== '') {
    const parsed = parseGoDuration(wait);
    if (parsed === undefined) throw new NomadError(400, 'Invalid wait time');
    waitMs = Math.min(Math.max(parsed, 0), MAX_WAIT_MS);
  }
  let minIndex = 0;
  const index = url.searchParams.get('index');
  if (index !== null && index !== '') {
    if (!/^\d{1,20}$/.test(index) || BigInt(index) > 18446744073709551615n) {
      throw new NomadError(400, 'Invalid index');
    }
    minIndex = Number(index);
  }
  return { minIndex, waitMs };
}

export interface IndexedAnswer {
  body: unknown;
  index: number;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Answers a blocking-query route: `load` reads the answer and its index. */
export async function blocking(call: RouteCall, load: () => Promise<IndexedAnswer>): Promise<Response> {
  const { minIndex, waitMs } = blockingParams(call.url);
  let answer = await load();
  if (minIndex > 0 && answer.index <= minIndex) {
    const signal = call.request.signal;
    const deadline = Date.now() + waitMs + Math.random() * (waitMs / 16);
    const first = stringify(answer.body);
    while (answer.index <= minIndex && !signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await pause(Math.min(POLL_MS, left), signal);
      if (signal.aborted) break;
      answer = await load();
      if (answer.index <= minIndex && stringify(answer.body) !== first) {
        answer = { body: answer.body, index: minIndex + 1 };
      }
    }
  }
  return nomadJson(answer.body, call.url, { index: answer.index });
}
